//! The composition root's helper: every repository over one connection pool, as the domain's
//! ports. The API and the CLI build their state from this.

use std::sync::Arc;

use givance_domain::api_key::ApiKeyRepository;
use givance_domain::donation::DonationRepository;
use givance_domain::donor::DonorRepository;
use givance_domain::idempotency::IdempotencyStore;
use givance_domain::organization::OrganizationRepository;
use givance_domain::project::ProjectRepository;
use givance_domain::staff::StaffRepository;
use givance_domain::user::UserRepository;
use sea_orm::DatabaseConnection;

use crate::repositories::SeaIdempotencyStore;
use crate::repositories::{
    SeaApiKeyRepository, SeaDonationRepository, SeaDonorRepository, SeaOrganizationRepository, SeaProjectRepository,
    SeaStaffRepository, SeaUserRepository,
};

#[derive(Clone)]
pub struct Repositories {
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub staff: Arc<dyn StaffRepository>,
    pub donors: Arc<dyn DonorRepository>,
    pub projects: Arc<dyn ProjectRepository>,
    pub donations: Arc<dyn DonationRepository>,
    pub api_keys: Arc<dyn ApiKeyRepository>,
    pub idempotency: Arc<dyn IdempotencyStore>,
}

impl Repositories {
    pub fn new(conn: &DatabaseConnection) -> Self {
        Self {
            organizations: Arc::new(SeaOrganizationRepository::new(conn.clone())),
            users: Arc::new(SeaUserRepository::new(conn.clone())),
            staff: Arc::new(SeaStaffRepository::new(conn.clone())),
            donors: Arc::new(SeaDonorRepository::new(conn.clone())),
            projects: Arc::new(SeaProjectRepository::new(conn.clone())),
            donations: Arc::new(SeaDonationRepository::new(conn.clone())),
            api_keys: Arc::new(SeaApiKeyRepository::new(conn.clone())),
            idempotency: Arc::new(SeaIdempotencyStore::new(conn.clone())),
        }
    }
}
