//! Building blocks every aggregate uses: typed ids, the tenant scope, errors, value objects,
//! string enums and pagination.

pub mod country;
pub mod email;
pub mod enums;
pub mod error;
pub mod ids;
pub mod money;
pub mod page;
pub mod phone;
pub mod tenant;
pub mod text;
pub mod time;
pub mod timezone;
pub mod web_url;

pub use country::CountryCode;
pub use email::EmailAddress;
pub use error::{RepoError, ValueError};
pub use ids::*;
pub use money::{Currency, Money};
pub use page::{Cursor, Page, PageRequest};
pub use phone::PhoneNumber;
pub use tenant::{Actor, OrgScope, Permissions};
pub use text::{Secret, optional_text, required_text};
pub use time::Timestamp;
pub use timezone::TimeZone;
pub use web_url::WebUrl;
