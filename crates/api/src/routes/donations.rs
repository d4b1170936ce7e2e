//! Donations over HTTP: create (with `Idempotency-Key`), list (keyset, newest gift date first,
//! with filters), read, update (PATCH, explicit null clears), delete, and receipt marking
//! (`POST /donations/{id}/receipt`). Another organization's donation, like a malformed id, is a
//! 404; another organization's (or an unknown, or a soft-deleted) donor or project in a body is a
//! 422 naming the field.
//!
//! Create is on a hot path (bulk entry, integrations): without an `Idempotency-Key` it costs the
//! credential lookup and one INSERT. A refused reference is diagnosed only after the database
//! refused it, never checked beforehand.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use givance_domain::access::{DONATIONS_READ, DONATIONS_WRITE};
use givance_domain::donation::{
    Donation, DonationFilter, DonationPatch, NewDonation, PaymentMethod, Recurrence, RecurringFrequency,
    check_gift_amount,
};
use givance_domain::shared::time::now;
use givance_domain::{
    Currency, DonationId, DonorId, Money, OrgScope, PageRequest, ProjectId, RepoError, Timestamp, ValueError,
    optional_text,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
    ValidationFailed,
};
use crate::fields::{Faults, ListResponse, flag, money_text, page_request, parse_time, path_id, tagged_cursor};
use crate::idempotency::idempotent;
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;
/// The longest reference number (check number, transaction id).
pub const REFERENCE_MAX: usize = 200;
/// The longest notes.
pub const NOTES_MAX: usize = 10_000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/donations").get(list_donations).post(create_donation))
        .service(web::resource("/donations/{id}").get(get_donation).patch(update_donation).delete(delete_donation))
        .service(web::resource("/donations/{id}/receipt").post(mark_receipt));
}

// ---------------------------------------------------------------------------------------------
// Responses

fn payment_method_schema() -> utoipa::openapi::schema::Object {
    text_enum(PaymentMethod::ALL.iter().map(|m| m.as_str()))
}

fn frequency_schema() -> utoipa::openapi::schema::Object {
    text_enum(RecurringFrequency::ALL.iter().map(|f| f.as_str()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DonationResponse {
    pub id: uuid::Uuid,
    pub donor_id: uuid::Uuid,
    pub project_id: Option<uuid::Uuid>,
    /// Greater than zero, two places.
    #[schema(value_type = String, example = "25.00")]
    pub amount: String,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    #[schema(schema_with = payment_method_schema, nullable)]
    pub payment_method: Option<PaymentMethod>,
    pub reference_number: Option<String>,
    pub notes: Option<String>,
    pub is_recurring: bool,
    /// Only on a recurring gift.
    #[schema(schema_with = frequency_schema, nullable)]
    pub recurring_frequency: Option<RecurringFrequency>,
    pub tax_deductible: bool,
    pub receipt_sent: bool,
    /// When the receipt went out; null while none has.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub receipt_sent_date: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Donation> for DonationResponse {
    fn from(d: Donation) -> Self {
        Self {
            id: d.id.into_uuid(),
            donor_id: d.donor_id.into_uuid(),
            project_id: d.project_id.map(ProjectId::into_uuid),
            amount: money_text(d.amount.amount()),
            currency: d.amount.currency().code().to_owned(),
            date: d.date,
            payment_method: d.payment_method,
            reference_number: d.reference_number,
            notes: d.notes,
            is_recurring: d.recurrence.is_recurring(),
            recurring_frequency: d.recurrence.frequency(),
            tax_deductible: d.tax_deductible,
            receipt_sent: d.receipt_sent,
            receipt_sent_date: d.receipt_sent_date,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

pub type DonationList = ListResponse<DonationResponse>;

// ---------------------------------------------------------------------------------------------
// Field parsing shared by create, update and the list's filters

/// An amount: a decimal string (`"25.00"`), greater than zero, at most two places, at most
/// 9999999999.99. A JSON number is refused: a float cannot carry money exactly.
fn parse_amount(value: &serde_json::Value, currency: Currency) -> Result<Money, ValueError> {
    let raw = match value {
        serde_json::Value::Null => return Err(ValueError::new("amount", "is required")),
        serde_json::Value::String(s) => s,
        _ => return Err(ValueError::new("amount", "must be a decimal string such as \"25.00\"")),
    };
    let money = Money::parse(raw, currency)?;
    check_gift_amount(&money)?;
    Ok(money)
}

fn parse_currency(raw: &str) -> Result<Currency, ValueError> {
    Currency::parse(raw)
}

/// A `YYYY-MM-DD` date.
fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, ValueError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ValueError::new(field, format!("'{}' is not a date (YYYY-MM-DD)", raw.trim())))
}

fn parse_payment_method(raw: &str) -> Result<PaymentMethod, ValueError> {
    raw.trim().parse::<PaymentMethod>()
}

fn parse_frequency(raw: &str) -> Result<RecurringFrequency, ValueError> {
    raw.trim().parse::<RecurringFrequency>()
}

/// A donor or project id of a body; unlike a path id, a malformed one is a 422 naming it.
fn parse_uuid(field: &'static str, raw: &str) -> Result<uuid::Uuid, ValueError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| ValueError::new(field, format!("'{}' is not a UUID", raw.trim())))
}

fn not_found() -> ApiError {
    ApiError::not_found("no donation with this id")
}

/// A donation id from the path; a malformed one names no donation: 404.
fn donation_id(raw: &str) -> Result<DonationId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        err => err.into(),
    }
}

const NO_DONOR: &str = "no donor with this id in the organization (or the donor is deleted)";
const NO_PROJECT: &str = "no project with this id in the organization";

/// The 422 for a create the database refused for its references: which of them is not the
/// organization's. Only this failure path reads, and only what it must.
async fn unknown_reference(state: &AppState, scope: &OrgScope, donor: DonorId, project: Option<ProjectId>) -> ApiError {
    let mut f = Faults::default();
    let Some(project) = project else {
        f.push("donor_id", NO_DONOR);
        return f.finish(()).err().unwrap_or_else(not_found);
    };
    if !matches!(state.repos.donors.get(scope, donor).await, Ok(Some(_))) {
        f.push("donor_id", NO_DONOR);
    }
    if !matches!(state.repos.projects.get(scope, project).await, Ok(Some(_))) {
        f.push("project_id", NO_PROJECT);
    }
    // Both exist now: one of them was deleted and made again meanwhile, or it raced; the
    // project is the reference the database checks last.
    f.finish(()).err().unwrap_or_else(|| ApiError::from(ValueError::new("project_id", NO_PROJECT)))
}

// ---------------------------------------------------------------------------------------------
// Create

/// A gift. Serialised again (canonically) to fingerprint an `Idempotency-Key` request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDonationRequest {
    /// The donor's id: a live donor of the caller's organization.
    #[schema(value_type = String, format = Uuid)]
    pub donor_id: Option<String>,
    /// A project of the caller's organization.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub project_id: Option<String>,
    /// A decimal string, greater than zero, at most two places, at most 9999999999.99.
    #[serde(default)]
    #[schema(value_type = String, example = "25.00")]
    pub amount: serde_json::Value,
    /// ISO 4217; `USD` by default.
    #[schema(example = "USD", max_length = 3)]
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub date: Option<String>,
    #[schema(schema_with = payment_method_schema, nullable)]
    pub payment_method: Option<String>,
    /// Check number, transaction id, ...
    #[schema(max_length = 200)]
    pub reference_number: Option<String>,
    #[schema(max_length = 10_000)]
    pub notes: Option<String>,
    /// `false` by default.
    pub is_recurring: Option<bool>,
    /// Only with `is_recurring: true`.
    #[schema(schema_with = frequency_schema, nullable)]
    pub recurring_frequency: Option<String>,
    /// `true` by default.
    pub tax_deductible: Option<bool>,
}

impl CreateDonationRequest {
    fn to_new_donation(&self) -> Result<NewDonation, ApiError> {
        let mut f = Faults::default();
        let donor_id = f
            .required_with("donor_id", self.donor_id.as_deref(), |raw| parse_uuid("donor_id", raw))
            .map(DonorId::from_uuid);
        let project_id =
            self.project_id.as_deref().and_then(|raw| f.take(parse_uuid("project_id", raw))).map(ProjectId::from_uuid);
        let currency = match self.currency.as_deref() {
            None => Some(Currency::default()),
            Some(raw) => f.take(parse_currency(raw)),
        };
        // Without a valid currency the amount is still checked, against the default.
        let amount = f.take(parse_amount(&self.amount, currency.unwrap_or_default()));
        let date = f.required_with("date", self.date.as_deref(), |raw| parse_date("date", raw));
        let payment_method = self.payment_method.as_deref().and_then(|raw| f.take(parse_payment_method(raw)));
        let reference_number =
            f.take(optional_text("reference_number", self.reference_number.as_deref(), REFERENCE_MAX));
        let notes = f.take(optional_text("notes", self.notes.as_deref(), NOTES_MAX));
        let frequency = self.recurring_frequency.as_deref().map(|raw| f.take(parse_frequency(raw)));
        let recurrence = match frequency {
            Some(None) => None,
            Some(Some(frequency)) => {
                f.take(Recurrence::from_parts(self.is_recurring.unwrap_or(false), Some(frequency)))
            }
            None => f.take(Recurrence::from_parts(self.is_recurring.unwrap_or(false), None)),
        };
        let new = match (donor_id, amount, date, recurrence) {
            (Some(donor_id), Some(amount), Some(date), Some(recurrence)) if currency.is_some() => Some(NewDonation {
                donor_id,
                project_id,
                amount,
                date,
                payment_method,
                reference_number: reference_number.flatten(),
                notes: notes.flatten(),
                recurrence,
                tax_deductible: self.tax_deductible.unwrap_or(true),
            }),
            _ => None,
        };
        f.finish(new)?.ok_or_else(|| ApiError::from(ValueError::new("amount", "is required")))
    }
}

/// Records a gift (`donations:write`). With an `Idempotency-Key`, a repeat of the same request
/// returns the first response (header `Idempotent-Replayed: true`) and stores nothing more; a
/// repeat while the first still runs is a 409 `idempotency_in_progress`; the key with another
/// request is a 422 `idempotency_key_reused`. A donor or project that is not the
/// organization's (or a soft-deleted donor) is a 422 naming `donor_id` / `project_id`.
#[utoipa::path(
    post,
    path = "/donations",
    operation_id = "createDonation",
    tag = "donations",
    params(
        ("Idempotency-Key" = Option<String>, Header, max_length = 255, min_length = 1,
            description = "1 to 255 printable ASCII characters, unique per request, kept at least 24 hours"),
    ),
    request_body = CreateDonationRequest,
    responses(
        (status = 201, description = "The donation (or, replayed, the first response to this key)", body = DonationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_donation(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CreateDonationRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_WRITE)?;
    let new = body.to_new_donation()?;
    let (donor, project) = (new.donor_id, new.project_id);
    idempotent(&state, scope, &req, &*body, || async {
        let donation = match state.repos.donations.create(scope, new).await {
            Ok(donation) => donation,
            Err(RepoError::NotFound) => return Err(unknown_reference(&state, scope, donor, project).await),
            Err(err) => return Err(repo_error(err)),
        };
        tracing::info!(donation = %donation.id, "donation created");
        Ok((StatusCode::CREATED, DonationResponse::from(donation)))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// List

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDonationsQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub donor_id: Option<String>,
    pub project_id: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub currency: Option<String>,
    pub payment_method: Option<String>,
    pub is_recurring: Option<String>,
}

/// Cursors of this list carry a tag so that another list's cursor is refused, not misread.
const CURSOR_TAG: &str = "g";

impl ListDonationsQuery {
    fn parse(&self) -> Result<(DonationFilter, PageRequest), ApiError> {
        let mut f = Faults::default();
        let page = page_request(&mut f, self.limit.as_deref(), self.cursor.as_deref(), CURSOR_TAG);
        let filter = DonationFilter {
            donor_id: self.donor_id.as_deref().and_then(|raw| f.take(parse_uuid("donor_id", raw))).map(DonorId::from),
            project_id: self
                .project_id
                .as_deref()
                .and_then(|raw| f.take(parse_uuid("project_id", raw)))
                .map(ProjectId::from),
            from: self.date_from.as_deref().and_then(|raw| f.take(parse_date("date_from", raw))),
            to: self.date_to.as_deref().and_then(|raw| f.take(parse_date("date_to", raw))),
            currency: self.currency.as_deref().and_then(|raw| f.take(parse_currency(raw))),
            payment_method: self.payment_method.as_deref().and_then(|raw| f.take(parse_payment_method(raw))),
            is_recurring: flag(&mut f, "is_recurring", self.is_recurring.as_deref()),
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && to < from
        {
            f.push("date_to", "must not be before date_from");
        }
        f.finish((filter, page))
    }
}

/// The organization's donations, newest gift date first, then most recently recorded
/// (`donations:read`).
#[utoipa::path(
    get,
    path = "/donations",
    operation_id = "listDonations",
    tag = "donations",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
        ("donor_id" = Option<String>, Query, format = Uuid, description = "Only this donor's gifts"),
        ("project_id" = Option<String>, Query, format = Uuid, description = "Only gifts to this project"),
        ("date_from" = Option<String>, Query, format = Date, description = "Gifts on or after this date"),
        ("date_to" = Option<String>, Query, format = Date, description = "Gifts on or before this date"),
        ("currency" = Option<String>, Query, description = "Only gifts in this ISO 4217 currency"),
        ("payment_method" = Option<String>, Query, description = "cash, check, credit_card, wire, crypto or other"),
        ("is_recurring" = Option<bool>, Query, description = "Only recurring (true) or one-off (false) gifts"),
    ),
    responses(
        (status = 200, description = "One page of donations", body = Page<DonationResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_donations(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListDonationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_READ)?;
    let (filter, page) = query.parse()?;
    let page = state.repos.donations.list(scope, filter, page).await?;
    Ok(HttpResponse::Ok().json(DonationList {
        data: page.items.into_iter().map(DonationResponse::from).collect(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One donation (`donations:read`).
#[utoipa::path(
    get,
    path = "/donations/{id}",
    operation_id = "getDonation",
    tag = "donations",
    params(("id" = String, Path, description = "The donation's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The donation", body = DonationResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_donation(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_READ)?;
    let id = donation_id(&id)?;
    let donation = state.repos.donations.get(scope, id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(DonationResponse::from(donation)))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDonationRequest {
    /// Null detaches the gift from its project.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub project_id: Option<Option<String>>,
    /// A decimal string as on create. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, example = "25.00")]
    pub amount: Option<Option<serde_json::Value>>,
    /// ISO 4217. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, example = "USD", max_length = 3)]
    pub currency: Option<Option<String>>,
    /// `YYYY-MM-DD`. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, format = Date)]
    pub date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = payment_method_schema, nullable)]
    pub payment_method: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub reference_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10_000)]
    pub notes: Option<Option<String>>,
    /// `false` also clears the frequency. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub is_recurring: Option<Option<bool>>,
    /// Only on a recurring gift; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = frequency_schema, nullable)]
    pub recurring_frequency: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub tax_deductible: Option<Option<bool>>,
    /// An RFC 3339 timestamp marks the receipt sent then; null marks it not sent.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub receipt_sent_date: Option<Option<String>>,
}

impl UpdateDonationRequest {
    /// The patch, read against the stored donation: an amount keeps the stored currency unless
    /// one is given (and the other way round), and the recurrence rule holds for the result.
    fn into_patch(self, current: &Donation) -> Result<DonationPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = DonationPatch::default();
        if let Some(v) = self.project_id {
            patch.project_id = match v {
                None => Some(None),
                Some(raw) => f.take(parse_uuid("project_id", &raw)).map(|id| Some(ProjectId::from_uuid(id))),
            };
        }
        let currency = f.non_null("currency", self.currency).map(|raw| f.take(parse_currency(&raw)));
        let amount = f.non_null("amount", self.amount);
        match (amount, currency) {
            (_, Some(None)) | (None, None) => {}
            (Some(value), currency) => {
                let currency = currency.flatten().unwrap_or(current.amount.currency());
                patch.amount = f.take(parse_amount(&value, currency));
            }
            (None, Some(Some(currency))) => {
                patch.amount = f.take(Money::new(current.amount.amount(), currency));
            }
        }
        if let Some(raw) = f.non_null("date", self.date) {
            patch.date = f.take(parse_date("date", &raw));
        }
        if let Some(v) = self.payment_method {
            patch.payment_method = match v {
                None => Some(None),
                Some(raw) => f.take(parse_payment_method(&raw)).map(Some),
            };
        }
        if let Some(v) = self.reference_number {
            patch.reference_number = f.take(optional_text("reference_number", v.as_deref(), REFERENCE_MAX));
        }
        if let Some(v) = self.notes {
            patch.notes = f.take(optional_text("notes", v.as_deref(), NOTES_MAX));
        }
        let is_recurring = f.non_null("is_recurring", self.is_recurring);
        let frequency = match self.recurring_frequency {
            None => Some(None),
            Some(None) => Some(Some(None)),
            Some(Some(raw)) => f.take(parse_frequency(&raw)).map(|v| Some(Some(v))),
        };
        if let Some(frequency) = frequency
            && (is_recurring.is_some() || frequency.is_some())
        {
            let recurring = is_recurring.unwrap_or(current.recurrence.is_recurring());
            // Turning recurrence off drops a stored frequency; only an explicit one is refused.
            let frequency = match frequency {
                Some(frequency) => frequency,
                None if recurring => current.recurrence.frequency(),
                None => None,
            };
            patch.recurrence = f.take(Recurrence::from_parts(recurring, frequency));
        }
        patch.tax_deductible = f.non_null("tax_deductible", self.tax_deductible);
        if let Some(v) = self.receipt_sent_date {
            patch.receipt_sent_date = match v {
                None => Some(None),
                Some(raw) => f.take(parse_time("receipt_sent_date", &raw)).map(Some),
            };
        }
        f.finish(patch)
    }
}

/// Changes a donation (`donations:write`); fields left out are unchanged, `null` clears.
#[utoipa::path(
    patch,
    path = "/donations/{id}",
    operation_id = "updateDonation",
    tag = "donations",
    params(("id" = String, Path, description = "The donation's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateDonationRequest,
    responses(
        (status = 200, description = "The changed donation", body = DonationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_donation(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateDonationRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_WRITE)?;
    let id = donation_id(&id)?;
    let current = state.repos.donations.get(scope, id).await?.ok_or_else(not_found)?;
    let patch = body.into_inner().into_patch(&current)?;
    // A project of another organization comes back as `Invalid` naming `project_id`: a 422.
    let donation = state.repos.donations.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(donation = %id, "donation updated");
    Ok(HttpResponse::Ok().json(DonationResponse::from(donation)))
}

// ---------------------------------------------------------------------------------------------
// Receipt

/// The body of a receipt marking; it may be left out entirely.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReceiptRequest {
    /// When the receipt went out (RFC 3339); now by default.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<String>,
}

/// Marks the receipt of a donation sent (`donations:write`): `receipt_sent` becomes true and
/// `receipt_sent_date` the given `sent_at`, or now. Marking an already marked donation without
/// `sent_at` keeps its date, so a retry changes nothing.
#[utoipa::path(
    post,
    path = "/donations/{id}/receipt",
    operation_id = "markDonationReceiptSent",
    tag = "donations",
    params(("id" = String, Path, description = "The donation's id (a UUID); a malformed or unknown one is a 404")),
    request_body(content = Option<MarkReceiptRequest>, description = "Optional"),
    responses(
        (status = 200, description = "The donation, marked", body = DonationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
async fn mark_receipt(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_WRITE)?;
    let id = donation_id(&id)?;
    let request: MarkReceiptRequest = if body.iter().all(u8::is_ascii_whitespace) {
        MarkReceiptRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|err| {
            ApiError::bad_request(
                "invalid_json",
                format!("the request body is not valid JSON for this endpoint: {err}"),
            )
        })?
    };
    let sent_at = request.sent_at.as_deref().map(|raw| parse_time("sent_at", raw)).transpose()?;
    let current = state.repos.donations.get(scope, id).await?.ok_or_else(not_found)?;
    if current.receipt_sent && sent_at.is_none() {
        return Ok(HttpResponse::Ok().json(DonationResponse::from(current)));
    }
    let patch =
        DonationPatch { receipt_sent_date: Some(Some(sent_at.unwrap_or_else(now))), ..DonationPatch::default() };
    let donation = state.repos.donations.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(donation = %id, "donation receipt marked sent");
    Ok(HttpResponse::Ok().json(DonationResponse::from(donation)))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes a donation (`donations:write`).
#[utoipa::path(
    delete,
    path = "/donations/{id}",
    operation_id = "deleteDonation",
    tag = "donations",
    params(("id" = String, Path, description = "The donation's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_donation(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_WRITE)?;
    let id = donation_id(&id)?;
    state.repos.donations.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(donation = %id, "donation deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_donation, list_donations, get_donation, update_donation, mark_receipt, delete_donation),
    components(schemas(DonationResponse, CreateDonationRequest, UpdateDonationRequest, MarkReceiptRequest))
)]
pub struct Api;
