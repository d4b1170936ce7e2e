//! SeaORM implementations of the domain's repository ports, one module per aggregate. Each
//! maps rows to domain entities (`to_domain`) and domain entities to rows (`to_row`) itself.

mod api_key;
mod donation;
mod donor;
mod idempotency;
mod organization;
mod project;
mod staff;
mod user;

pub use api_key::SeaApiKeyRepository;
pub use donation::SeaDonationRepository;
pub use donor::SeaDonorRepository;
pub use idempotency::{SeaIdempotencyStore, request_fingerprint};
pub use organization::SeaOrganizationRepository;
pub use project::SeaProjectRepository;
pub use staff::SeaStaffRepository;
pub use user::SeaUserRepository;
