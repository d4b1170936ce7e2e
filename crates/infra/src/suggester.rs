//! The built-in, rule-based [`TaskSuggester`]: three rules over the organization's own data,
//! each one parameterised SQL query that runs unchanged on PostgreSQL and SQLite (`$n`
//! placeholders work on both), each proposal with a reasoning text, a confidence and a natural
//! key (see `docs/decisions/0030-templates-and-suggested-tasks.md`):
//!
//! * **Lapsed donors**: a counted gift (amount above zero) in the previous fiscal year, none in
//!   this one. One per donor and lapsed year.
//! * **Major donors without contact**: counted gifts of at least
//!   [`SuggesterRules::major_donor_threshold`] in one currency, over the donor's lifetime (read
//!   from `donor_giving_totals`, decision 0031), and no contact for
//!   [`SuggesterRules::no_contact_days`] days: neither `donors.last_contact_date` nor a
//!   communication sent, delivered or received since. One per donor and last contact.
//! * **Failed emails**: a campaign email (`generated_emails`) whose status is `failed`, or that
//!   was not sent and has a failed send job, and no send job pending. One per email.
//!
//! Soft-deleted donors are never proposed. Each rule proposes at most
//! [`SuggesterRules::max_per_rule`] tasks per run (the largest, most recent first), so a first run
//! over a big organization stays a reviewable list.

use async_trait::async_trait;
use chrono::{Days, NaiveDate, NaiveTime};
use givance_domain::report::FiscalYearStart;
use givance_domain::todo::{
    AiConfidence, NewTodo, Priority, SuggestedTask, SuggestionContext, SuggestionKey, SuggestionRule, TITLE_MAX,
    TaskSuggester, TodoOrigin, TodoType,
};
use givance_domain::{DonorId, OrgScope, RepoError, Timestamp, ValueError};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::error::write_err;
use crate::money::cents_to_decimal;

/// The rules' settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggesterRules {
    /// Lifetime counted giving, in one currency, from which a donor is a major donor.
    pub major_donor_threshold: Decimal,
    /// How long a major donor may go without contact before a follow-up is proposed.
    pub no_contact_days: u32,
    /// The most tasks one rule proposes in one run.
    pub max_per_rule: u64,
}

impl Default for SuggesterRules {
    /// 1,000.00 and 90 days; 200 tasks per rule and run.
    fn default() -> Self {
        Self { major_donor_threshold: Decimal::new(100_000, 2), no_contact_days: 90, max_per_rule: 200 }
    }
}

pub struct RuleBasedSuggester {
    conn: DatabaseConnection,
    rules: SuggesterRules,
}

impl RuleBasedSuggester {
    pub fn new(conn: DatabaseConnection, rules: SuggesterRules) -> Self {
        Self { conn, rules }
    }

    async fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, RepoError> {
        let statement = Statement::from_sql_and_values(self.conn.get_database_backend(), sql, values);
        self.conn.query_all_raw(statement).await.map_err(write_err)
    }

    fn limit(&self) -> Value {
        i64::try_from(self.rules.max_per_rule).unwrap_or(i64::MAX).into()
    }

    async fn lapsed_donors(
        &self,
        scope: &OrgScope,
        context: SuggestionContext,
    ) -> Result<Vec<SuggestedTask>, RepoError> {
        let fiscal = context.fiscal_year;
        let this_year = fiscal.year_of(context.today);
        let (Some(this), Some(last)) = (fiscal.year(this_year), fiscal.year(this_year - 1)) else {
            return Ok(Vec::new());
        };
        let rows =
            self.rows(LAPSED_SQL, vec![org(scope), last.from().into(), this.from().into(), self.limit()]).await?;
        rows.iter()
            .map(|row| {
                let donor = DonorId::from_uuid(get::<Uuid>(row, "donor_id")?);
                let name = donor_name(row)?;
                let gifts: i64 = get(row, "gifts")?;
                let last_gift: NaiveDate = get(row, "last_gift")?;
                let (last_label, this_label) = (year_label(fiscal, this_year - 1), year_label(fiscal, this_year));
                let reasoning = format!(
                    "{name} made {gifts} gift{s} in {last_label}, the last on {last_gift}, and none so far in \
                     {this_label}. A donor who gave last year is far likelier to give again when asked than a new \
                     donor is to give at all.",
                    s = if gifts == 1 { "" } else { "s" },
                );
                let confidence = if gifts > 1 { "0.85" } else { "0.75" };
                let todo = suggested(
                    &format!("Re-engage {name}: gave in {last_label}, not yet in {this_label}"),
                    TodoType::Call,
                    Priority::Medium,
                    due(context.today, 14),
                    donor,
                    reasoning,
                    confidence,
                )?;
                let key = SuggestionKey::new(SuggestionRule::LapsedDonor, donor, &(this_year - 1).to_string());
                Ok(SuggestedTask { rule: SuggestionRule::LapsedDonor, key, todo })
            })
            .collect()
    }

    async fn major_donors_without_contact(
        &self,
        scope: &OrgScope,
        context: SuggestionContext,
    ) -> Result<Vec<SuggestedTask>, RepoError> {
        let threshold = self.rules.major_donor_threshold;
        let threshold_cents = (threshold * Decimal::ONE_HUNDRED).trunc();
        let threshold_cents = i64::try_from(threshold_cents).unwrap_or(i64::MAX);
        let days = u64::from(self.rules.no_contact_days);
        let cutoff: Timestamp = context
            .today
            .checked_sub_days(Days::new(days))
            .unwrap_or(NaiveDate::MIN)
            .and_time(NaiveTime::MIN)
            .and_utc();
        let values = vec![org(scope), threshold_cents.into(), cutoff.into(), self.limit()];
        let rows = self.rows(MAJOR_DONORS_SQL, values).await?;
        let mut seen: Vec<DonorId> = Vec::new();
        let mut out = Vec::new();
        for row in &rows {
            // A donor who is major in two currencies appears twice: the larger total comes first.
            let donor = DonorId::from_uuid(get::<Uuid>(row, "donor_id")?);
            if seen.contains(&donor) {
                continue;
            }
            seen.push(donor);
            let name = donor_name(row)?;
            let total = cents_to_decimal(get(row, "total_cents")?);
            let currency: String = get(row, "currency")?;
            let last_contact: Option<Timestamp> = get(row, "last_contact_date")?;
            let since = last_contact.map_or_else(
                || "has no recorded contact at all".to_owned(),
                |at| format!("was last contacted on {}", at.date_naive()),
            );
            let reasoning = format!(
                "{name} has given {total} {currency} in all (a major donor: {threshold} or more in one currency) and \
                 {since}, more than {days} days ago. Major donors who hear nothing drift away."
            );
            let confidence = if last_contact.is_none() { "0.85" } else { "0.80" };
            let todo = suggested(
                &format!("Call {name}: major donor, no contact in {days} days"),
                TodoType::Call,
                Priority::High,
                due(context.today, 7),
                donor,
                reasoning,
                confidence,
            )?;
            let occurrence = last_contact.map_or_else(|| "never".to_owned(), |at| at.date_naive().to_string());
            let key = SuggestionKey::new(SuggestionRule::MajorDonorNoContact, donor, &occurrence);
            out.push(SuggestedTask { rule: SuggestionRule::MajorDonorNoContact, key, todo });
        }
        Ok(out)
    }

    async fn failed_emails(
        &self,
        scope: &OrgScope,
        context: SuggestionContext,
    ) -> Result<Vec<SuggestedTask>, RepoError> {
        let rows = self.rows(FAILED_EMAILS_SQL, vec![org(scope), self.limit()]).await?;
        rows.iter()
            .map(|row| {
                let email: Uuid = get(row, "email_id")?;
                let donor = DonorId::from_uuid(get::<Uuid>(row, "donor_id")?);
                let name = donor_name(row)?;
                let subject: String = get(row, "subject")?;
                let subject = shortened(&subject, 120);
                let error: Option<String> = get(row, "error_message")?;
                let error = error.map(|e| format!(" ({})", shortened(&e, 500))).unwrap_or_default();
                let reasoning = format!(
                    "The email \"{subject}\" to {name} failed to send{error}. Check the address and the mailbox \
                     connection, then send it again or reach {name} another way."
                );
                let todo = suggested(
                    &format!("Resend \"{subject}\" to {name}"),
                    TodoType::Email,
                    Priority::High,
                    due(context.today, 2),
                    donor,
                    reasoning,
                    "0.95",
                )?;
                let key = SuggestionKey::new(SuggestionRule::FailedEmail, donor, &email.to_string());
                Ok(SuggestedTask { rule: SuggestionRule::FailedEmail, key, todo })
            })
            .collect()
    }
}

#[async_trait]
impl TaskSuggester for RuleBasedSuggester {
    async fn suggest(&self, scope: &OrgScope, context: SuggestionContext) -> Result<Vec<SuggestedTask>, RepoError> {
        let mut out = self.failed_emails(scope, context).await?;
        out.extend(self.major_donors_without_contact(scope, context).await?);
        out.extend(self.lapsed_donors(scope, context).await?);
        Ok(out)
    }
}

/// `$1` organization, `$2` first day of last fiscal year, `$3` first day of this one, `$4` limit.
const LAPSED_SQL: &str = "\
    SELECT dn.id AS donor_id, dn.first_name AS first_name, dn.last_name AS last_name, \
        COUNT(*) AS gifts, MAX(g.date) AS last_gift \
    FROM donations g \
    JOIN donors dn ON dn.organization_id = g.organization_id AND dn.id = g.donor_id \
    WHERE g.organization_id = $1 AND g.amount > 0 AND g.date >= $2 AND g.date < $3 \
        AND dn.deleted_at IS NULL \
        AND NOT EXISTS (SELECT 1 FROM donations n \
            WHERE n.organization_id = $1 AND n.donor_id = g.donor_id AND n.amount > 0 AND n.date >= $3) \
    GROUP BY dn.id, dn.first_name, dn.last_name \
    ORDER BY MAX(g.date) DESC, dn.id \
    LIMIT $4";

/// `$1` organization, `$2` the threshold in cents, `$3` the no-contact cutoff, `$4` limit. The
/// lifetime totals come from `donor_giving_totals`, which triggers keep per donor and currency
/// (decision 0031). Contact is `donors.last_contact_date` or a communication sent, delivered or
/// received (its `sent_at`, else when it was logged).
const MAJOR_DONORS_SQL: &str = "\
    SELECT dn.id AS donor_id, dn.first_name AS first_name, dn.last_name AS last_name, \
        dn.last_contact_date AS last_contact_date, v.currency AS currency, v.total_cents AS total_cents \
    FROM donor_giving_totals v \
    JOIN donors dn ON dn.organization_id = $1 AND dn.id = v.donor_id \
    WHERE v.organization_id = $1 AND v.total_cents >= $2 AND dn.deleted_at IS NULL \
        AND (dn.last_contact_date IS NULL OR dn.last_contact_date < $3) \
        AND NOT EXISTS (SELECT 1 FROM communications c \
            WHERE c.organization_id = $1 AND c.donor_id = dn.id \
                AND COALESCE(c.sent_at, c.created_at) >= $3 \
                AND (c.direction = 'inbound' OR c.status IN ('sent', 'delivered'))) \
    ORDER BY v.total_cents DESC, dn.id \
    LIMIT $4";

/// `$1` organization, `$2` limit. The latest failed job's error explains the failure.
const FAILED_EMAILS_SQL: &str = "\
    SELECT e.id AS email_id, e.donor_id AS donor_id, e.subject AS subject, \
        dn.first_name AS first_name, dn.last_name AS last_name, \
        (SELECT j.error_message FROM email_send_jobs j \
            WHERE j.organization_id = $1 AND j.email_id = e.id AND j.status = 'failed' \
            ORDER BY j.updated_at DESC LIMIT 1) AS error_message \
    FROM generated_emails e \
    JOIN donors dn ON dn.organization_id = e.organization_id AND dn.id = e.donor_id \
    WHERE e.organization_id = $1 AND dn.deleted_at IS NULL \
        AND (e.status = 'failed' \
            OR ((e.status IS NULL OR e.status <> 'sent') AND EXISTS (SELECT 1 FROM email_send_jobs j \
                WHERE j.organization_id = $1 AND j.email_id = e.id AND j.status = 'failed'))) \
        AND NOT EXISTS (SELECT 1 FROM email_send_jobs p \
            WHERE p.organization_id = $1 AND p.email_id = e.id AND p.status IN ('pending', 'processing')) \
    ORDER BY e.updated_at DESC, e.id \
    LIMIT $2";

fn org(scope: &OrgScope) -> Value {
    scope.org().into_uuid().into()
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, RepoError> {
    row.try_get::<T>("", column).map_err(write_err)
}

/// The donor as a task names them: first and last name as far as known.
fn donor_name(row: &QueryResult) -> Result<String, RepoError> {
    let first: Option<String> = get(row, "first_name")?;
    let last: Option<String> = get(row, "last_name")?;
    let name = [first, last].into_iter().flatten().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
    let name = name.collect::<Vec<_>>().join(" ");
    Ok(if name.is_empty() { "a donor without a name".to_owned() } else { name })
}

/// "2025" for a calendar fiscal year, "fiscal year 2026" otherwise.
fn year_label(fiscal: FiscalYearStart, year: i32) -> String {
    if fiscal == FiscalYearStart::JANUARY { year.to_string() } else { format!("fiscal year {year}") }
}

fn due(today: NaiveDate, days: u64) -> Option<NaiveDate> {
    today.checked_add_days(Days::new(days))
}

/// At most `max` characters, with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

fn suggested(
    title: &str,
    todo_type: TodoType,
    priority: Priority,
    due_date: Option<NaiveDate>,
    donor: DonorId,
    reasoning: String,
    confidence: &str,
) -> Result<NewTodo, RepoError> {
    let invalid = |e: ValueError| RepoError::Corrupt(format!("a suggestion is invalid: {e}"));
    let mut todo = NewTodo::new(&shortened(title, TITLE_MAX)).map_err(invalid)?;
    todo.todo_type = todo_type;
    todo.priority = priority;
    todo.due_date = due_date;
    todo.donor_id = Some(donor);
    todo.origin = TodoOrigin::Ai {
        reasoning: Some(reasoning),
        confidence: Some(AiConfidence::parse(confidence).map_err(invalid)?),
    };
    Ok(todo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_shortened_with_an_ellipsis() {
        assert_eq!(shortened("  short  ", 10), "short");
        assert_eq!(shortened("abcdefghijk", 5), "abcd…");
        assert_eq!(shortened("ééééé", 5), "ééééé");
    }

    #[test]
    fn years_are_named_as_the_organization_counts_them() {
        assert_eq!(year_label(FiscalYearStart::JANUARY, 2025), "2025");
        assert_eq!(year_label(FiscalYearStart::new(7).unwrap_or_default(), 2026), "fiscal year 2026");
    }
}
