//! The composition root's helper: every repository over one connection pool, as the domain's
//! ports. The API and the CLI build their state from this.

use std::sync::Arc;

use givance_domain::api_key::ApiKeyRepository;
use givance_domain::communication::{CommunicationRepository, CommunicationThreadRepository};
use givance_domain::donation::DonationRepository;
use givance_domain::donor::DonorRepository;
use givance_domain::donor_list::DonorListRepository;
use givance_domain::idempotency::IdempotencyStore;
use givance_domain::organization::OrganizationRepository;
use givance_domain::project::ProjectRepository;
use givance_domain::report::ReportRepository;
use givance_domain::staff::StaffRepository;
use givance_domain::template::TemplateRepository;
use givance_domain::timeline::TimelineRepository;
use givance_domain::todo::{TaskSuggester, TodoRepository};
use givance_domain::user::UserRepository;
use sea_orm::DatabaseConnection;

use crate::credential_cache::{self, CredentialCache};
use crate::repositories::SeaDonorListRepository;
use crate::repositories::SeaIdempotencyStore;
use crate::repositories::SeaReportRepository;
use crate::repositories::{
    SeaApiKeyRepository, SeaDonationRepository, SeaDonorRepository, SeaOrganizationRepository, SeaProjectRepository,
    SeaStaffRepository, SeaUserRepository,
};
use crate::repositories::{SeaCommunicationRepository, SeaCommunicationThreadRepository, SeaTimelineRepository};
use crate::repositories::{SeaTemplateRepository, SeaTodoRepository};
use crate::suggester::{RuleBasedSuggester, SuggesterRules};

#[derive(Clone)]
pub struct Repositories {
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub staff: Arc<dyn StaffRepository>,
    pub donors: Arc<dyn DonorRepository>,
    pub donor_lists: Arc<dyn DonorListRepository>,
    pub projects: Arc<dyn ProjectRepository>,
    pub donations: Arc<dyn DonationRepository>,
    pub api_keys: Arc<dyn ApiKeyRepository>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub reports: Arc<dyn ReportRepository>,
    pub templates: Arc<dyn TemplateRepository>,
    pub todos: Arc<dyn TodoRepository>,
    /// The built-in, rule-based suggester with its default rules.
    pub task_suggester: Arc<dyn TaskSuggester>,
    pub communications: Arc<dyn CommunicationRepository>,
    pub communication_threads: Arc<dyn CommunicationThreadRepository>,
    pub timelines: Arc<dyn TimelineRepository>,
    /// The API-key lookups' cache, which serves only once [`Repositories::cache_credentials`] ran.
    credentials: Arc<CredentialCache>,
}

impl Repositories {
    /// The repositories over `conn`; API-key lookups always go to the database.
    pub fn new(conn: &DatabaseConnection) -> Self {
        let credentials = CredentialCache::new();
        Self {
            organizations: Arc::new(SeaOrganizationRepository::new(conn.clone(), credentials.clone())),
            users: Arc::new(SeaUserRepository::new(conn.clone())),
            staff: Arc::new(SeaStaffRepository::new(conn.clone(), credentials.clone())),
            donors: Arc::new(SeaDonorRepository::new(conn.clone())),
            donor_lists: Arc::new(SeaDonorListRepository::new(conn.clone())),
            projects: Arc::new(SeaProjectRepository::new(conn.clone())),
            donations: Arc::new(SeaDonationRepository::new(conn.clone())),
            api_keys: Arc::new(SeaApiKeyRepository::new(conn.clone(), credentials.clone())),
            idempotency: Arc::new(SeaIdempotencyStore::new(conn.clone())),
            reports: Arc::new(SeaReportRepository::new(conn.clone())),
            templates: Arc::new(SeaTemplateRepository::new(conn.clone())),
            todos: Arc::new(SeaTodoRepository::new(conn.clone())),
            task_suggester: Arc::new(RuleBasedSuggester::new(conn.clone(), SuggesterRules::default())),
            communications: Arc::new(SeaCommunicationRepository::new(conn.clone())),
            communication_threads: Arc::new(SeaCommunicationThreadRepository::new(conn.clone())),
            timelines: Arc::new(SeaTimelineRepository::new(conn.clone())),
            credentials,
        }
    }

    /// Keeps API-key lookups in memory while PostgreSQL tells this process of every change to
    /// keys and staff (`credential_cache`); a no-op on SQLite. For a long-running server: it
    /// holds a connection of its own and must be called within a Tokio runtime.
    pub fn cache_credentials(self, conn: &DatabaseConnection) -> Self {
        credential_cache::listen(conn, &self.credentials);
        self
    }

    /// Whether API-key lookups are being served from memory right now.
    pub fn credentials_cached(&self) -> bool {
        self.credentials.is_live()
    }
}
