//! Donations: gifts from a donor, optionally to a project. Amounts are exact decimals.

use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::shared::{
    Currency, DonationId, DonorId, Money, OrgScope, Page, PageRequest, ProjectId, RepoError, Timestamp, ValueError,
    optional_text,
};
use crate::string_enum;

string_enum! {
    pub enum PaymentMethod: "payment_method" {
        Cash => "cash",
        Check => "check",
        CreditCard => "credit_card",
        Wire => "wire",
        Crypto => "crypto",
        Other => "other",
    }
}

string_enum! {
    pub enum RecurringFrequency: "recurring_frequency" {
        Weekly => "weekly",
        Monthly => "monthly",
        Quarterly => "quarterly",
        SemiAnnually => "semi_annually",
        Annually => "annually",
    }
}

/// Whether a gift repeats. A frequency exists only for recurring gifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recurrence {
    #[default]
    OneOff,
    Recurring(Option<RecurringFrequency>),
}

impl Recurrence {
    pub fn from_parts(is_recurring: bool, frequency: Option<RecurringFrequency>) -> Result<Self, ValueError> {
        match (is_recurring, frequency) {
            (true, frequency) => Ok(Recurrence::Recurring(frequency)),
            (false, None) => Ok(Recurrence::OneOff),
            (false, Some(_)) => {
                Err(ValueError::new("recurring_frequency", "may only be set when is_recurring is true"))
            }
        }
    }

    pub fn is_recurring(self) -> bool {
        matches!(self, Recurrence::Recurring(_))
    }

    pub fn frequency(self) -> Option<RecurringFrequency> {
        match self {
            Recurrence::Recurring(frequency) => frequency,
            Recurrence::OneOff => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Donation {
    pub id: DonationId,
    pub donor_id: DonorId,
    pub project_id: Option<ProjectId>,
    pub amount: Money,
    pub date: NaiveDate,
    pub payment_method: Option<PaymentMethod>,
    /// Check number, transaction id, ...
    pub reference_number: Option<String>,
    pub notes: Option<String>,
    pub recurrence: Recurrence,
    pub tax_deductible: bool,
    /// When the receipt went out; `None` while no receipt has been sent.
    pub receipt_sent_date: Option<Timestamp>,
    pub receipt_sent: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDonation {
    pub donor_id: DonorId,
    pub project_id: Option<ProjectId>,
    pub amount: Money,
    pub date: NaiveDate,
    pub payment_method: Option<PaymentMethod>,
    pub reference_number: Option<String>,
    pub notes: Option<String>,
    pub recurrence: Recurrence,
    pub tax_deductible: bool,
}

impl NewDonation {
    /// A one-off, tax-deductible gift. The amount must be greater than zero.
    pub fn new(donor_id: DonorId, amount: Money, date: NaiveDate) -> Result<Self, ValueError> {
        check_gift_amount(&amount)?;
        Ok(Self {
            donor_id,
            project_id: None,
            amount,
            date,
            payment_method: None,
            reference_number: None,
            notes: None,
            recurrence: Recurrence::OneOff,
            tax_deductible: true,
        })
    }

    pub fn validate(&self) -> Result<(), ValueError> {
        check_gift_amount(&self.amount)?;
        optional_text("reference_number", self.reference_number.as_deref(), 200)?;
        optional_text("notes", self.notes.as_deref(), 10_000)?;
        Ok(())
    }
}

pub fn check_gift_amount(amount: &Money) -> Result<(), ValueError> {
    if amount.is_positive() { Ok(()) } else { Err(ValueError::new("amount", "must be greater than zero")) }
}

/// Changes to a donation: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonationPatch {
    pub project_id: Option<Option<ProjectId>>,
    pub amount: Option<Money>,
    pub date: Option<NaiveDate>,
    pub payment_method: Option<Option<PaymentMethod>>,
    pub reference_number: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub recurrence: Option<Recurrence>,
    pub tax_deductible: Option<bool>,
    /// `Some(Some(t))` marks the receipt sent at `t`; `Some(None)` marks it unsent.
    pub receipt_sent_date: Option<Option<Timestamp>>,
}

/// Which donations to read or add up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DonationFilter {
    pub donor_id: Option<DonorId>,
    pub project_id: Option<ProjectId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub currency: Option<Currency>,
    pub payment_method: Option<PaymentMethod>,
    pub is_recurring: Option<bool>,
}

/// The exact sum and count of donations in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyTotal {
    pub currency: Currency,
    pub total: Decimal,
    pub count: u64,
}

impl Donation {
    /// Applies a patch; marking the receipt sent records when.
    pub fn apply(&mut self, patch: DonationPatch) -> Result<(), ValueError> {
        if let Some(v) = patch.project_id {
            self.project_id = v;
        }
        if let Some(v) = patch.amount {
            check_gift_amount(&v)?;
            self.amount = v;
        }
        if let Some(v) = patch.date {
            self.date = v;
        }
        if let Some(v) = patch.payment_method {
            self.payment_method = v;
        }
        if let Some(v) = patch.reference_number {
            self.reference_number = optional_text("reference_number", v.as_deref(), 200)?;
        }
        if let Some(v) = patch.notes {
            self.notes = optional_text("notes", v.as_deref(), 10_000)?;
        }
        if let Some(v) = patch.recurrence {
            self.recurrence = v;
        }
        if let Some(v) = patch.tax_deductible {
            self.tax_deductible = v;
        }
        if let Some(v) = patch.receipt_sent_date {
            self.receipt_sent = v.is_some();
            self.receipt_sent_date = v;
        }
        Ok(())
    }
}

/// One calendar year of a donor's giving in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearTotal {
    pub year: i32,
    pub total: Decimal,
    pub count: u64,
}

/// A donor's giving in one currency, from every donation recorded for them (all amounts are
/// positive, so every donation counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivingSummary {
    pub currency: Currency,
    pub lifetime_total: Decimal,
    pub gift_count: u64,
    pub first_gift_date: NaiveDate,
    pub last_gift_date: NaiveDate,
    pub largest_gift: Decimal,
    /// Oldest year first; years without gifts are absent.
    pub by_year: Vec<YearTotal>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DonationRepository: Send + Sync {
    /// Fails with `NotFound` when the donor or project is not the organization's, or the donor
    /// is soft-deleted (no new gifts are recorded for a deleted donor).
    async fn create(&self, scope: &OrgScope, donation: NewDonation) -> Result<Donation, RepoError>;
    async fn get(&self, scope: &OrgScope, id: DonationId) -> Result<Option<Donation>, RepoError>;
    /// Newest gift date first, then the most recently recorded (ids are time-ordered). The
    /// page's cursor position carries the gift date (at 00:00 UTC) and the id, not `created_at`.
    async fn list(
        &self,
        scope: &OrgScope,
        filter: DonationFilter,
        page: PageRequest,
    ) -> Result<Page<Donation>, RepoError>;
    /// `NotFound` when the donation is not the organization's; `Invalid` naming `project_id`
    /// when the patch moves it to a project that is not.
    async fn update(&self, scope: &OrgScope, id: DonationId, patch: DonationPatch) -> Result<Donation, RepoError>;
    async fn delete(&self, scope: &OrgScope, id: DonationId) -> Result<(), RepoError>;
    /// The donor's giving, one summary per currency they gave in (none when they never gave).
    async fn giving_summary(&self, scope: &OrgScope, donor: DonorId) -> Result<Vec<GivingSummary>, RepoError>;
    /// Exact totals per currency of the matching donations.
    async fn totals(&self, scope: &OrgScope, filter: DonationFilter) -> Result<Vec<CurrencyTotal>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_needs_a_recurring_gift() {
        assert_eq!(
            Recurrence::from_parts(false, Some(RecurringFrequency::Monthly)).unwrap_err().field,
            "recurring_frequency"
        );
        assert_eq!(Recurrence::from_parts(true, None).unwrap(), Recurrence::Recurring(None));
        assert_eq!(Recurrence::from_parts(false, None).unwrap(), Recurrence::OneOff);
    }

    #[test]
    fn gifts_must_be_positive() {
        let donor = DonorId::new();
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let zero = Money::parse("0", Currency::USD).unwrap();
        assert_eq!(NewDonation::new(donor, zero, date).unwrap_err().field, "amount");
        let gift = Money::parse("25.00", Currency::USD).unwrap();
        assert!(NewDonation::new(donor, gift, date).is_ok());
    }
}
