//! Fundraising reports: LYBUNT and SYBUNT lists, donor retention, giving by month, project and
//! payment method, and top donors. The definitions are written out in `docs/reports.md`; the
//! choices behind them (fiscal-year names, currencies, soft-deleted donors, zero gifts) in
//! `docs/decisions/0027-fundraising-reports.md`.
//!
//! Two rules hold for every report:
//! - a *counted gift* is a donation whose amount is not zero;
//! - reports about **donors** (LYBUNT, SYBUNT, retention, top donors) leave soft-deleted donors
//!   out, while reports about **money** (giving by month, project, method) count every gift, as
//!   the donations list and totals do.
//!
//! Amounts are never converted between currencies: every money figure is per currency.

use std::fmt;

use async_trait::async_trait;
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use crate::donation::PaymentMethod;
use crate::shared::{Currency, Cursor, DonorId, OrgScope, Page, ProjectId, RepoError, ValueError};

// ---------------------------------------------------------------------------------------------
// Fiscal years

/// The month an organization's fiscal year starts in, 1 (January, the default) to 12.
///
/// A fiscal year is named after the calendar year it **ends** in: with a July start, fiscal
/// year 2026 runs from 2025-07-01 to 2026-06-30. With a January start it is the calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiscalYearStart(u32);

impl FiscalYearStart {
    pub const FIELD: &'static str = "fiscal_year_start_month";
    pub const JANUARY: Self = Self(1);

    pub fn new(month: u32) -> Result<Self, ValueError> {
        if (1..=12).contains(&month) {
            Ok(Self(month))
        } else {
            Err(ValueError::new(Self::FIELD, format!("{month} is not a month; expected 1 (January) to 12 (December)")))
        }
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.0
    }

    /// The fiscal year `date` falls in.
    pub fn year_of(self, date: NaiveDate) -> i32 {
        if self.0 > 1 && date.month() >= self.0 { date.year() + 1 } else { date.year() }
    }

    /// Fiscal year `year`: its first and its last day. `None` beyond the calendar's range.
    pub fn year(self, year: i32) -> Option<DateRange> {
        let start_year = if self.0 > 1 { year.checked_sub(1)? } else { year };
        let first = NaiveDate::from_ymd_opt(start_year, self.0, 1)?;
        let last = first.checked_add_months(Months::new(12))?.pred_opt()?;
        Some(DateRange { from: first, to: last })
    }
}

impl Default for FiscalYearStart {
    fn default() -> Self {
        Self::JANUARY
    }
}

impl fmt::Display for FiscalYearStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Date ranges

/// Days `from` to `to`, both included; never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DateRange {
    /// Refuses a range that ends before it starts, naming `to_field`.
    pub fn new(from: NaiveDate, to: NaiveDate, to_field: &'static str) -> Result<Self, ValueError> {
        if to < from {
            return Err(ValueError::new(to_field, format!("{to} is before the start of the range, {from}")));
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The day after the range: the exclusive bound queries compare with.
    pub fn end_exclusive(&self) -> Option<NaiveDate> {
        self.to.succ_opt()
    }

    /// The twelve months that end on `as_of` (`as_of` minus a year, exclusive, to `as_of`).
    pub fn twelve_months_to(as_of: NaiveDate) -> Option<Self> {
        let year_before = as_of.checked_sub_months(Months::new(12))?;
        Some(Self { from: year_before.succ_opt()?, to: as_of })
    }
}

// ---------------------------------------------------------------------------------------------
// LYBUNT and SYBUNT

/// Which lapsed donors a list holds, for fiscal year Y.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lapsed {
    /// "Last Year But Unfortunately Not This": a counted gift in fiscal year Y-1, none in Y.
    Lybunt,
    /// "Some Year But Unfortunately Not This": a counted gift in any fiscal year before Y, none
    /// in Y. Includes the LYBUNT donors.
    Sybunt,
}

/// What a LYBUNT or SYBUNT list is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LapsedQuery {
    pub kind: Lapsed,
    /// Fiscal year Y, whose days the donors gave nothing in.
    pub year: DateRange,
    /// Fiscal year Y-1 (LYBUNT's "last year"; the last-year totals of both lists).
    pub previous_year: DateRange,
    /// Donors per page.
    pub limit: u64,
    /// After this donor (`created_at` holds the last gift date at midnight UTC).
    pub after: Option<Cursor>,
}

impl LapsedQuery {
    /// The list of `kind` for fiscal `year` of `calendar`.
    pub fn new(
        kind: Lapsed,
        calendar: FiscalYearStart,
        year: i32,
        limit: u64,
        after: Option<Cursor>,
    ) -> Result<Self, ValueError> {
        let out_of_range = || ValueError::new("fiscal_year", format!("{year} is out of range"));
        let this = calendar.year(year).ok_or_else(out_of_range)?;
        let previous = year.checked_sub(1).and_then(|y| calendar.year(y)).ok_or_else(out_of_range)?;
        Ok(Self { kind, year: this, previous_year: previous, limit, after })
    }
}

/// A donor of a LYBUNT or SYBUNT list. Nothing counted is in fiscal year Y, so the figures are
/// those of the gifts before it.
#[derive(Debug, Clone, PartialEq)]
pub struct LapsedDonor {
    pub donor_id: DonorId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// The donor's last counted gift before fiscal year Y, in any currency.
    pub last_gift_date: NaiveDate,
    /// Per currency the donor gave in, largest lifetime total first.
    pub totals: Vec<LapsedTotal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LapsedTotal {
    pub currency: Currency,
    /// Counted gifts in fiscal year Y-1 (zero for a SYBUNT donor who lapsed earlier).
    pub last_year_total: Decimal,
    /// Every counted gift before fiscal year Y.
    pub lifetime_total: Decimal,
}

// ---------------------------------------------------------------------------------------------
// Retention

/// Of the donors of one period, how many gave again in the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Donors with a counted gift in the earlier period.
    pub prior_donors: u64,
    /// Those of them with a counted gift in the later period too.
    pub retained_donors: u64,
}

impl Retention {
    /// The decimal places of [`Retention::rate`].
    pub const RATE_PLACES: u32 = 4;

    /// `retained / prior`, rounded half-even to four places (`0.6667`); `None` when there were
    /// no prior donors. The two counts give the exact ratio.
    pub fn rate(&self) -> Option<Decimal> {
        if self.prior_donors == 0 {
            return None;
        }
        let ratio = Decimal::from(self.retained_donors).checked_div(Decimal::from(self.prior_donors))?;
        let mut rate = ratio.round_dp(Self::RATE_PLACES);
        rate.rescale(Self::RATE_PLACES);
        Some(rate)
    }
}

/// Retention over two periods: who gave in `prior` and gave again in `current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPeriods {
    pub prior: DateRange,
    pub current: DateRange,
}

impl RetentionPeriods {
    /// The twelve months to `as_of` against the twelve months before them.
    pub fn rolling(as_of: NaiveDate) -> Result<Self, ValueError> {
        let out_of_range = || ValueError::new("as_of", format!("{as_of} is out of range"));
        let current = DateRange::twelve_months_to(as_of).ok_or_else(out_of_range)?;
        let prior_end = current.from().pred_opt().ok_or_else(out_of_range)?;
        let prior = DateRange::twelve_months_to(prior_end).ok_or_else(out_of_range)?;
        Ok(Self { prior, current })
    }

    /// Fiscal year `year` against fiscal year `year - 1`.
    pub fn fiscal_year(calendar: FiscalYearStart, year: i32) -> Result<Self, ValueError> {
        let out_of_range = || ValueError::new("fiscal_year", format!("{year} is out of range"));
        let current = calendar.year(year).ok_or_else(out_of_range)?;
        let prior = year.checked_sub(1).and_then(|y| calendar.year(y)).ok_or_else(out_of_range)?;
        Ok(Self { prior, current })
    }
}

// ---------------------------------------------------------------------------------------------
// Giving breakdowns and top donors

/// What giving is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivingBy {
    Month,
    Project,
    PaymentMethod,
}

/// The group a row of a giving breakdown totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GivingGroup {
    /// A calendar month, `YYYY-MM`.
    Month(String),
    /// A project (its current name), or gifts to no project.
    Project { id: Option<ProjectId>, name: Option<String> },
    /// A payment method, or gifts recorded without one.
    PaymentMethod(Option<PaymentMethod>),
}

/// One group's counted gifts in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct GivingRow {
    pub group: GivingGroup,
    pub currency: Currency,
    pub total: Decimal,
    pub gift_count: u64,
    /// Distinct donors who gave to the group in this currency.
    pub donor_count: u64,
}

/// A donor ranked by their counted gifts in one currency over a date range.
#[derive(Debug, Clone, PartialEq)]
pub struct TopDonor {
    pub donor_id: DonorId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub total: Decimal,
    pub gift_count: u64,
    pub first_gift_date: NaiveDate,
    pub last_gift_date: NaiveDate,
}

// ---------------------------------------------------------------------------------------------
// The port

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReportRepository: Send + Sync {
    /// A page of a LYBUNT or SYBUNT list, last gift first (then donor id, descending).
    async fn lapsed(&self, scope: &OrgScope, query: LapsedQuery) -> Result<Page<LapsedDonor>, RepoError>;
    /// Donors (not soft-deleted) with a counted gift in `periods.prior`, and how many of them
    /// gave again in `periods.current`.
    async fn retention(&self, scope: &OrgScope, periods: RetentionPeriods) -> Result<Retention, RepoError>;
    /// Counted gifts in `range`, per group and currency, in group order (months ascending,
    /// projects by name with "no project" last, methods in their declared order, none last).
    async fn giving(&self, scope: &OrgScope, by: GivingBy, range: DateRange) -> Result<Vec<GivingRow>, RepoError>;
    /// The `limit` donors (not soft-deleted) who gave the most in `currency` in `range`, largest
    /// total first (then donor id).
    async fn top_donors(
        &self,
        scope: &OrgScope,
        range: DateRange,
        currency: Currency,
        limit: u64,
    ) -> Result<Vec<TopDonor>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn fiscal_years_are_named_after_the_year_they_end_in() {
        let july = FiscalYearStart::new(7).unwrap();
        let fy = july.year(2026).unwrap();
        assert_eq!((fy.from(), fy.to()), (day(2025, 7, 1), day(2026, 6, 30)));
        assert_eq!(july.year_of(day(2025, 6, 30)), 2025);
        assert_eq!(july.year_of(day(2025, 7, 1)), 2026);
        let january = FiscalYearStart::default();
        let fy = january.year(2026).unwrap();
        assert_eq!((fy.from(), fy.to()), (day(2026, 1, 1), day(2026, 12, 31)));
        assert_eq!(january.year_of(day(2026, 12, 31)), 2026);
        let december = FiscalYearStart::new(12).unwrap();
        assert_eq!(december.year(2026).unwrap().to(), day(2026, 11, 30));
        assert_eq!(december.year_of(day(2025, 12, 1)), 2026);
    }

    #[test]
    fn months_outside_1_to_12_are_refused() {
        for bad in [0, 13, 100] {
            assert_eq!(FiscalYearStart::new(bad).unwrap_err().field, "fiscal_year_start_month");
        }
        assert_eq!(FiscalYearStart::new(12).unwrap().month(), 12);
    }

    #[test]
    fn a_range_may_not_end_before_it_starts() {
        assert_eq!(DateRange::new(day(2026, 2, 1), day(2026, 1, 31), "to").unwrap_err().field, "to");
        let one_day = DateRange::new(day(2026, 2, 1), day(2026, 2, 1), "to").unwrap();
        assert_eq!(one_day.end_exclusive(), Some(day(2026, 2, 2)));
    }

    #[test]
    fn rolling_retention_compares_two_twelve_month_windows() {
        let periods = RetentionPeriods::rolling(day(2026, 11, 26)).unwrap();
        assert_eq!((periods.current.from(), periods.current.to()), (day(2025, 11, 27), day(2026, 11, 26)));
        assert_eq!((periods.prior.from(), periods.prior.to()), (day(2024, 11, 27), day(2025, 11, 26)));
        let leap = RetentionPeriods::rolling(day(2024, 2, 29)).unwrap();
        assert_eq!(leap.current.from(), day(2023, 3, 1));
        assert_eq!(leap.prior.to(), day(2023, 2, 28));
    }

    #[test]
    fn the_rate_is_rounded_to_four_places_and_absent_without_prior_donors() {
        let rate = |prior, retained| Retention { prior_donors: prior, retained_donors: retained }.rate();
        assert_eq!(rate(3, 2).unwrap().to_string(), "0.6667");
        assert_eq!(rate(4, 4).unwrap().to_string(), "1.0000");
        assert_eq!(rate(8, 1).unwrap().to_string(), "0.1250");
        assert_eq!(rate(0, 0), None);
    }

    #[test]
    fn a_lapsed_query_spans_the_year_and_the_one_before() {
        let query = LapsedQuery::new(Lapsed::Lybunt, FiscalYearStart::new(4).unwrap(), 2026, 50, None).unwrap();
        assert_eq!(query.year.from(), day(2025, 4, 1));
        assert_eq!(query.previous_year.from(), day(2024, 4, 1));
        assert_eq!(query.previous_year.to(), day(2025, 3, 31));
        assert!(LapsedQuery::new(Lapsed::Sybunt, FiscalYearStart::default(), i32::MAX, 50, None).is_err());
    }
}
