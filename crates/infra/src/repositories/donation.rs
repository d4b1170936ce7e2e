use async_trait::async_trait;
use chrono::NaiveDate;
use givance_domain::donation::{
    CurrencyTotal, Donation, DonationFilter, DonationPatch, DonationRepository, GivingSummary, NewDonation, YearTotal,
};
use givance_domain::shared::time::now;
use givance_domain::{Currency, Cursor, DonationId, DonorId, OrgScope, Page, PageRequest, RepoError, ValueError};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::convert::{donation_changes, donation_new_row, donation_to_domain, parse_optional};
use crate::entities::donation::{self, Column, Entity};
use crate::error::{delete_err, require_row, write_err};
use crate::money::{cents_to_decimal, stored_amount, sum_cents};
use crate::scoped::{insert_for_live_donor, save_scoped, scoped, scoped_by_id, scoped_delete};

pub struct SeaDonationRepository {
    conn: DatabaseConnection,
}

impl SeaDonationRepository {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn filtered(scope: &OrgScope, filter: &DonationFilter) -> Select<Entity> {
    let mut select = scoped::<Entity>(scope);
    if let Some(donor) = filter.donor_id {
        select = select.filter(Column::DonorId.eq(donor.into_uuid()));
    }
    if let Some(project) = filter.project_id {
        select = select.filter(Column::ProjectId.eq(project.into_uuid()));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::Date.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::Date.lte(to));
    }
    if let Some(currency) = filter.currency {
        select = select.filter(Column::Currency.eq(currency.code()));
    }
    if let Some(method) = filter.payment_method {
        select = select.filter(Column::PaymentMethod.eq(method.as_str()));
    }
    if let Some(recurring) = filter.is_recurring {
        // A NULL is the spec's default, FALSE.
        select = select.filter(if recurring {
            Condition::all().add(Column::IsRecurring.eq(true))
        } else {
            Condition::any().add(Column::IsRecurring.eq(false)).add(Column::IsRecurring.is_null())
        });
    }
    select
}

/// A list position: the gift date (as 00:00 UTC, in the cursor's timestamp) and the id.
fn cursor_of(m: &donation::Model) -> Cursor {
    Cursor { created_at: m.date.and_time(chrono::NaiveTime::MIN).and_utc(), id: m.id }
}

/// The calendar year of a donation's date, as an integer.
fn year_of(backend: DatabaseBackend) -> Expr {
    match backend {
        DatabaseBackend::Sqlite => Expr::cust(r#"CAST(strftime('%Y', "donations"."date") AS INTEGER)"#),
        _ => Expr::cust(r#"CAST(EXTRACT(YEAR FROM "donations"."date") AS INTEGER)"#),
    }
}

#[async_trait]
impl DonationRepository for SeaDonationRepository {
    async fn create(&self, scope: &OrgScope, new: NewDonation) -> Result<Donation, RepoError> {
        new.validate().map_err(RepoError::Invalid)?;
        let at = now();
        let donation = Donation {
            id: DonationId::new(),
            donor_id: new.donor_id,
            project_id: new.project_id,
            amount: new.amount,
            date: new.date,
            payment_method: new.payment_method,
            reference_number: new.reference_number,
            notes: new.notes,
            recurrence: new.recurrence,
            tax_deductible: new.tax_deductible,
            receipt_sent: false,
            receipt_sent_date: None,
            created_at: at,
            updated_at: at,
        };
        let row = donation_new_row(scope.org().into_uuid(), &donation);
        // One statement, `INSERT ... SELECT <values> FROM donors WHERE <the donor is live and
        // ours>`: a missing, foreign or soft-deleted donor inserts nothing, and the composite
        // foreign keys refuse a project of another organization. No read before the write.
        let inserted = insert_for_live_donor::<Entity, _>(&self.conn, scope, donation.donor_id, &row).await?;
        require_row(inserted)?;
        Ok(donation)
    }

    async fn get(&self, scope: &OrgScope, id: DonationId) -> Result<Option<Donation>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(donation_to_domain)
            .transpose()
    }

    async fn list(
        &self,
        scope: &OrgScope,
        filter: DonationFilter,
        request: PageRequest,
    ) -> Result<Page<Donation>, RepoError> {
        let mut select =
            filtered(scope, &filter).order_by_desc(Column::Date).order_by_desc(Column::Id).limit(request.limit() + 1);
        if let Some(after) = request.after() {
            let date = after.created_at.date_naive();
            select = select.filter(
                Condition::any()
                    .add(Column::Date.lt(date))
                    .add(Condition::all().add(Column::Date.eq(date)).add(Column::Id.lt(after.id))),
            );
        }
        let rows = select.all(&self.conn).await.map_err(write_err)?;
        Page::from_rows(rows, request, cursor_of).try_map(donation_to_domain)
    }

    async fn update(&self, scope: &OrgScope, id: DonationId, patch: DonationPatch) -> Result<Donation, RepoError> {
        let mut donation = self.get(scope, id).await?.ok_or(RepoError::NotFound)?;
        donation.apply(patch).map_err(RepoError::Invalid)?;
        donation.updated_at = now();
        // The donation was just read, so a refused write can only be the foreign-key check on
        // the new project (the donor never changes).
        save_scoped::<Entity>(&self.conn, scope, id.into_uuid(), donation_changes(&donation)).await.map_err(|err| {
            match err {
                RepoError::NotFound if donation.project_id.is_some() => {
                    RepoError::Invalid(ValueError::new("project_id", "no project with this id in the organization"))
                }
                err => err,
            }
        })?;
        Ok(donation)
    }

    async fn delete(&self, scope: &OrgScope, id: DonationId) -> Result<(), RepoError> {
        let result = scoped_delete::<Entity>(scope, id.into_uuid()).exec(&self.conn).await.map_err(delete_err)?;
        require_row(result.rows_affected)
    }

    async fn giving_summary(&self, scope: &OrgScope, donor: DonorId) -> Result<Vec<GivingSummary>, RepoError> {
        let backend = self.conn.get_database_backend();
        let of_donor = || filtered(scope, &DonationFilter { donor_id: Some(donor), ..DonationFilter::default() });
        // One pass, per currency and year; the lifetime figures are folded from the years.
        let years: Vec<(Option<String>, i32, i64, i64, NaiveDate, NaiveDate, Decimal)> = of_donor()
            .select_only()
            .column(Column::Currency)
            .column_as(year_of(backend), "year")
            .column_as(sum_cents(backend, "donations", Column::Amount), "total_cents")
            .column_as(Expr::from(Func::count(Expr::col(Column::Id))), "gift_count")
            .column_as(Expr::from(Func::min(Expr::col(Column::Date))), "first_gift")
            .column_as(Expr::from(Func::max(Expr::col(Column::Date))), "last_gift")
            .column_as(Expr::from(Func::max(Expr::col(Column::Amount))), "largest_gift")
            .group_by(Column::Currency)
            .group_by(year_of(backend))
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(write_err)?;
        let mut summaries: Vec<GivingSummary> = Vec::new();
        for (currency, year, cents, count, first, last, largest) in years {
            let currency = parse_optional::<Currency>(currency)?.unwrap_or_default();
            let year =
                YearTotal { year, total: cents_to_decimal(cents), count: u64::try_from(count).unwrap_or_default() };
            let largest = stored_amount(largest);
            match summaries.iter_mut().find(|s| s.currency == currency) {
                Some(summary) => {
                    summary.lifetime_total += year.total;
                    summary.gift_count += year.count;
                    summary.first_gift_date = summary.first_gift_date.min(first);
                    summary.last_gift_date = summary.last_gift_date.max(last);
                    summary.largest_gift = summary.largest_gift.max(largest);
                    summary.by_year.push(year);
                }
                None => summaries.push(GivingSummary {
                    currency,
                    lifetime_total: year.total,
                    gift_count: year.count,
                    first_gift_date: first,
                    last_gift_date: last,
                    largest_gift: largest,
                    by_year: vec![year],
                }),
            }
        }
        for summary in &mut summaries {
            summary.by_year.sort_by_key(|y| y.year);
        }
        summaries.sort_by_key(|s| std::cmp::Reverse(s.lifetime_total));
        Ok(summaries)
    }

    async fn totals(&self, scope: &OrgScope, filter: DonationFilter) -> Result<Vec<CurrencyTotal>, RepoError> {
        let backend = self.conn.get_database_backend();
        let rows: Vec<(Option<String>, i64, i64)> = filtered(scope, &filter)
            .select_only()
            .column(Column::Currency)
            .column_as(sum_cents(backend, "donations", Column::Amount), "total_cents")
            .column_as(Expr::from(Func::count(Expr::col(Column::Id))), "gift_count")
            .group_by(Column::Currency)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(write_err)?;
        rows.into_iter()
            .map(|(currency, cents, count)| {
                Ok(CurrencyTotal {
                    currency: parse_optional::<Currency>(currency)?.unwrap_or_default(),
                    total: cents_to_decimal(cents),
                    count: u64::try_from(count).unwrap_or_default(),
                })
            })
            .collect()
    }
}
