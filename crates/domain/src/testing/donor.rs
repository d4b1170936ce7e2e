//! An in-memory `DonorRepository`, and the contract every `DonorRepository` must meet.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::donor::{Donor, DonorPatch, DonorQuery, DonorRepository, DonorSort, NewDonor, SearchPrefix};
use crate::shared::time::now;
use crate::{Cursor, DonorId, OrgScope, OrganizationId, Page, PageRequest, RepoError};

/// Donors in memory, scoped like the real thing. For behaviour tests of code that takes a
/// `&dyn DonorRepository`.
#[derive(Default)]
pub struct InMemoryDonorRepository {
    rows: Mutex<Vec<(OrganizationId, Donor)>>,
}

impl InMemoryDonorRepository {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_rows<T>(&self, f: impl FnOnce(&mut Vec<(OrganizationId, Donor)>) -> T) -> T {
        let mut rows = self.rows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut rows)
    }

    fn with_donor<T>(
        &self,
        scope: &OrgScope,
        id: DonorId,
        deleted: bool,
        f: impl FnOnce(&mut Donor) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        self.with_rows(|rows| {
            let donor = rows
                .iter_mut()
                .find(|(org, d)| *org == scope.org() && d.id == id && d.is_deleted() == deleted)
                .map(|(_, d)| d)
                .ok_or(RepoError::NotFound)?;
            f(donor)
        })
    }

    fn page(&self, scope: &OrgScope, deleted: bool, query: &DonorQuery, request: PageRequest) -> Page<Donor> {
        let key = |d: &Donor| (d.created_at, d.id.into_uuid());
        let newest = query.sort == DonorSort::Newest;
        let after = |d: &Donor| {
            request
                .after()
                .is_none_or(|c| if newest { key(d) < (c.created_at, c.id) } else { key(d) > (c.created_at, c.id) })
        };
        let mut donors: Vec<Donor> = self.with_rows(|rows| {
            rows.iter()
                .filter(|(org, d)| *org == scope.org() && d.is_deleted() == deleted && query.matches(d) && after(d))
                .map(|(_, d)| d.clone())
                .collect()
        });
        donors.sort_by_key(key);
        if newest {
            donors.reverse();
        }
        donors.truncate(usize::try_from(request.limit()).unwrap_or(usize::MAX).saturating_add(1));
        Page::from_rows(donors, request, |d| Cursor { created_at: d.created_at, id: d.id.into_uuid() })
    }
}

#[async_trait]
impl DonorRepository for InMemoryDonorRepository {
    async fn create(&self, scope: &OrgScope, new: NewDonor) -> Result<Donor, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        self.with_rows(|rows| {
            let taken = new.external_id.is_some()
                && rows.iter().any(|(org, d)| *org == scope.org() && d.external_id == new.external_id);
            if taken {
                return Err(RepoError::Conflict { constraint: "uq_donors_org_external_id".to_owned() });
            }
            let at = now();
            let donor = Donor::register(new, at);
            rows.push((scope.org(), donor.clone()));
            Ok(donor)
        })
    }

    async fn get(&self, scope: &OrgScope, id: DonorId) -> Result<Option<Donor>, RepoError> {
        match self.with_donor(scope, id, false, |d| Ok(d.clone())) {
            Err(RepoError::NotFound) => Ok(None),
            other => other.map(Some),
        }
    }

    async fn find_by_external_id(&self, scope: &OrgScope, external_id: &str) -> Result<Option<Donor>, RepoError> {
        Ok(self.with_rows(|rows| {
            rows.iter()
                .find(|(org, d)| {
                    *org == scope.org() && !d.is_deleted() && d.external_id.as_deref() == Some(external_id)
                })
                .map(|(_, d)| d.clone())
        }))
    }

    async fn list(&self, scope: &OrgScope, query: &DonorQuery, page: PageRequest) -> Result<Page<Donor>, RepoError> {
        Ok(self.page(scope, false, query, page))
    }

    async fn list_deleted(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<Donor>, RepoError> {
        Ok(self.page(scope, true, &DonorQuery::default(), page))
    }

    async fn update(&self, scope: &OrgScope, id: DonorId, patch: DonorPatch) -> Result<Donor, RepoError> {
        self.with_donor(scope, id, false, |stored| {
            let mut donor = stored.clone();
            donor.apply(patch).map_err(RepoError::Invalid)?;
            donor.updated_at = now();
            *stored = donor.clone();
            Ok(donor)
        })
    }

    async fn soft_delete(&self, scope: &OrgScope, id: DonorId) -> Result<(), RepoError> {
        self.with_donor(scope, id, false, |d| {
            d.deleted_at = Some(now());
            Ok(())
        })
    }

    async fn restore(&self, scope: &OrgScope, id: DonorId) -> Result<Donor, RepoError> {
        self.with_donor(scope, id, true, |d| {
            d.deleted_at = None;
            d.updated_at = now();
            Ok(d.clone())
        })
    }

    async fn hard_delete(&self, scope: &OrgScope, id: DonorId) -> Result<(), RepoError> {
        self.with_rows(|rows| {
            let before = rows.len();
            rows.retain(|(org, d)| !(*org == scope.org() && d.id == id));
            if rows.len() == before { Err(RepoError::NotFound) } else { Ok(()) }
        })
    }
}

/// What every `DonorRepository` must do, run against the fake here and against the SeaORM
/// implementation in infra, so the two cannot drift. `a` and `b` are scopes of two existing,
/// empty organizations. Panics with a message on the first broken promise.
pub async fn donor_repository_contract(repo: &dyn DonorRepository, a: &OrgScope, b: &OrgScope) {
    let mut new = NewDonor::individual(Some("Ada"), Some("Lovelace")).unwrap_or_else(|e| panic!("{e}"));
    new.external_id = Some("ext-1".to_owned());
    new.tags = vec!["major".to_owned()];
    let first = repo.create(a, new.clone()).await.unwrap_or_else(|e| panic!("create: {e}"));
    assert_eq!(repo.get(a, first.id).await.ok().flatten().as_ref(), Some(&first), "get returns what create stored");
    assert!(
        matches!(repo.create(a, new.clone()).await, Err(RepoError::Conflict { .. })),
        "a second donor with the same external id is a conflict"
    );
    repo.create(b, new).await.unwrap_or_else(|e| panic!("another organization may reuse an external id: {e}"));

    let second = repo
        .create(a, NewDonor::individual(Some("Grace"), None).unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("create: {e}"));
    let all = DonorQuery::default();
    let page = repo.list(a, &all, PageRequest::first(1)).await.unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(page.items.iter().map(|d| d.id).collect::<Vec<_>>(), vec![second.id], "newest first");
    let cursor = page.next_cursor.as_deref().map(Cursor::decode).and_then(Result::ok);
    assert!(cursor.is_some(), "a next cursor when more rows exist");
    let rest = repo.list(a, &all, PageRequest::new(Some(10), cursor)).await.unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(rest.items.iter().map(|d| d.id).collect::<Vec<_>>(), vec![first.id]);
    assert_eq!(rest.next_cursor, None);
    let oldest = DonorQuery { sort: DonorSort::Oldest, ..DonorQuery::default() };
    let ids = |page: Page<Donor>| page.items.iter().map(|d| d.id).collect::<Vec<_>>();
    let list =
        async |query: &DonorQuery| repo.list(a, query, PageRequest::default()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(list(&oldest).await), vec![first.id, second.id], "oldest first");
    let search = |q: &str| DonorQuery { search: SearchPrefix::parse(q).ok(), ..DonorQuery::default() };
    assert_eq!(ids(list(&search("LOVE")).await), vec![first.id], "prefix of the last name, any case");
    assert_eq!(ids(list(&search("gra")).await), vec![second.id], "prefix of the first name");
    assert!(ids(list(&search("ace")).await).is_empty(), "a prefix, not a substring");
    assert!(ids(list(&search("%")).await).is_empty(), "LIKE wildcards are literal");
    assert!(ids(list(&search("_da")).await).is_empty(), "LIKE wildcards are literal");
    let tagged = DonorQuery { tag: Some("major".to_owned()), ..DonorQuery::default() };
    assert_eq!(ids(list(&tagged).await), vec![first.id]);
    let without_email = DonorQuery { has_email: Some(false), ..DonorQuery::default() };
    assert_eq!(ids(list(&without_email).await).len(), 2);

    let patch = DonorPatch { last_name: Some(None), notes: Some(Some("Gala".to_owned())), ..DonorPatch::default() };
    let updated = repo.update(a, first.id, patch).await.unwrap_or_else(|e| panic!("update: {e}"));
    assert_eq!((updated.last_name.as_deref(), updated.notes.as_deref()), (None, Some("Gala")));
    let bad = DonorPatch { tags: Some(vec![String::new()]), ..DonorPatch::default() };
    assert!(matches!(repo.update(a, first.id, bad).await, Err(RepoError::Invalid(_))), "a bad patch is Invalid");

    // Another organization sees and changes nothing.
    assert!(matches!(repo.get(b, first.id).await, Ok(None)));
    assert!(matches!(repo.update(b, first.id, DonorPatch::default()).await, Err(RepoError::NotFound)));
    assert!(matches!(repo.soft_delete(b, first.id).await, Err(RepoError::NotFound)));
    assert!(matches!(repo.hard_delete(b, first.id).await, Err(RepoError::NotFound)));
    assert_eq!(repo.get(a, first.id).await.ok().flatten().as_ref(), Some(&updated), "unchanged by org B");

    repo.soft_delete(a, first.id).await.unwrap_or_else(|e| panic!("soft delete: {e}"));
    assert!(matches!(repo.get(a, first.id).await, Ok(None)), "soft-deleted donors are hidden");
    let deleted = repo.list_deleted(a, PageRequest::default()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted.items.iter().map(|d| d.id).collect::<Vec<_>>(), vec![first.id]);
    assert!(!repo.restore(a, first.id).await.unwrap_or_else(|e| panic!("restore: {e}")).is_deleted());
    repo.hard_delete(a, first.id).await.unwrap_or_else(|e| panic!("hard delete: {e}"));
    assert!(matches!(repo.get(a, first.id).await, Ok(None)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_fake_meets_the_contract() {
        let repo = InMemoryDonorRepository::new();
        let a = OrgScope::for_tests(OrganizationId::new());
        let b = OrgScope::for_tests(OrganizationId::new());
        donor_repository_contract(&repo, &a, &b).await;
    }
}
