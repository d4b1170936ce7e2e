//! SeaORM entities, one module per table. They never leave this crate: repositories map them
//! to domain entities. Column types follow docs/decisions/0002 (arrays as JSON arrays, INET as
//! text, timestamps as timestamptz / RFC 3339 text).

pub(crate) mod api_key;
pub(crate) mod communication;
pub(crate) mod communication_thread;
pub(crate) mod communication_thread_donor;
pub(crate) mod communication_thread_staff;
pub(crate) mod donation;
pub(crate) mod donor;
pub(crate) mod donor_giving;
pub(crate) mod donor_giving_total;
pub(crate) mod donor_list;
pub(crate) mod donor_list_member;
pub(crate) mod idempotency_key;
pub(crate) mod organization;
pub(crate) mod project;
pub(crate) mod staff;
pub(crate) mod template;
pub(crate) mod todo;
pub(crate) mod user;
