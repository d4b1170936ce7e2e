//! SeaORM implementations of the domain's repository ports, one module per aggregate. Each
//! maps rows to domain entities (`to_domain`) and domain entities to rows (`to_row`) itself.

mod api_key;
mod communication;
mod donation;
mod donor;
mod donor_list;
mod donor_list_filter;
mod idempotency;
mod organization;
mod project;
mod report;
mod staff;
mod template;
mod timeline;
mod todo;
mod user;

pub use api_key::SeaApiKeyRepository;
pub use communication::{SeaCommunicationRepository, SeaCommunicationThreadRepository};
pub use donation::SeaDonationRepository;
pub use donor::SeaDonorRepository;
pub use donor_list::SeaDonorListRepository;
pub use idempotency::{SeaIdempotencyStore, request_fingerprint};
pub use organization::SeaOrganizationRepository;
pub use project::SeaProjectRepository;
pub use report::SeaReportRepository;
pub use staff::SeaStaffRepository;
pub use template::SeaTemplateRepository;
pub use timeline::SeaTimelineRepository;
pub use todo::SeaTodoRepository;
pub use user::SeaUserRepository;
