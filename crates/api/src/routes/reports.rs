//! Fundraising reports over HTTP, under `/reports` (`donations:read`; the reports that list
//! donors — LYBUNT, SYBUNT, top donors — also `donors:read`, as the donations CSV export does).
//! Each answers JSON, or CSV with `?format=csv` or `Accept: text/csv` (every cell through the
//! export's formula guard). The definitions are in `docs/reports.md`.

use actix_web::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use givance_domain::access::{DONATIONS_READ, DONORS_READ};
use givance_domain::report::{
    DateRange, FiscalYearStart, GivingBy, GivingGroup, GivingRow, Lapsed, LapsedDonor, LapsedQuery, Retention,
    RetentionPeriods, TopDonor,
};
use givance_domain::shared::time::now;
use givance_domain::{Currency, OrgScope, ValueError};
use givance_infra::export::csv_document;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Tenant;
use crate::error::{ApiError, BadRequest, Forbidden, Unauthorized, ValidationFailed};
use crate::fields::{Faults, money_text, page_request, tagged_cursor};
use crate::state::AppState;

/// The largest JSON page of a LYBUNT or SYBUNT list (and of top donors).
pub const MAX_LIMIT: u64 = 200;
/// The largest CSV page of a LYBUNT or SYBUNT list, also its default: one download serves a
/// mailing of that size.
pub const MAX_CSV_LIMIT: u64 = 10_000;
/// The most fiscal years one retention request covers.
pub const MAX_FISCAL_YEARS: i32 = 50;
/// The response header holding the next page's cursor of a CSV list.
pub const NEXT_CURSOR_HEADER: &str = "X-Next-Cursor";

const DEFAULT_LIMIT: u64 = 50;
const DEFAULT_TOP_DONORS: u64 = 10;
const DEFAULT_RETENTION_YEARS: i32 = 5;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/reports/lybunt").get(lybunt))
        .service(web::resource("/reports/sybunt").get(sybunt))
        .service(web::resource("/reports/retention").get(retention))
        .service(web::resource("/reports/retention/fiscal-years").get(retention_by_fiscal_year))
        .service(web::resource("/reports/giving/by-month").get(giving_by_month))
        .service(web::resource("/reports/giving/by-project").get(giving_by_project))
        .service(web::resource("/reports/giving/by-payment-method").get(giving_by_payment_method))
        .service(web::resource("/reports/top-donors").get(top_donors));
}

// ---------------------------------------------------------------------------------------------
// Shared parsing and rendering

/// JSON or CSV: `format` wins, else an `Accept` that names `text/csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format(f: &mut Faults, raw: Option<&str>, req: &HttpRequest) -> Format {
    match raw.map(str::trim) {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(_) => {
            f.push("format", "must be 'json' or 'csv'");
            Format::Json
        }
        None => {
            let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            if accept.to_ascii_lowercase().contains("text/csv") { Format::Csv } else { Format::Json }
        }
    }
}

fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, ValueError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ValueError::new(field, format!("'{}' is not a date (YYYY-MM-DD)", raw.trim())))
}

fn parse_year(field: &'static str, raw: &str) -> Result<i32, ValueError> {
    match raw.trim().parse::<i32>() {
        Ok(year) if (1..=9999).contains(&year) => Ok(year),
        _ => Err(ValueError::new(field, format!("'{}' is not a year from 1 to 9999", raw.trim()))),
    }
}

fn parse_limit(f: &mut Faults, raw: Option<&str>, max: u64, default: u64) -> u64 {
    let Some(raw) = raw else { return default };
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            f.push("limit", format!("must be an integer from 1 to {max}"));
            default
        }
    }
}

fn today() -> NaiveDate {
    now().date_naive()
}

/// The organization's fiscal calendar (one read, only when a default needs it).
async fn calendar(state: &AppState, scope: &OrgScope) -> Result<FiscalYearStart, ApiError> {
    Ok(state.repos.organizations.get(scope).await?.fiscal_year_start_month)
}

/// `from` and `to`; either left out defaults to the current fiscal year to date.
async fn date_range(
    state: &AppState,
    scope: &OrgScope,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<DateRange, ApiError> {
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let calendar = calendar(state, scope).await?;
            let to = to.unwrap_or_else(today);
            let year_start = calendar.year(calendar.year_of(to)).map(|year| year.from()).unwrap_or(to);
            (from.unwrap_or(year_start), to)
        }
    };
    Ok(DateRange::new(from, to, "to")?)
}

/// A CSV download (`<name>.csv`), with the next page's cursor in [`NEXT_CURSOR_HEADER`].
fn csv_response(
    name: &str,
    header: &[&str],
    records: Vec<Vec<String>>,
    next_cursor: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let body = csv_document(header, records.into_iter()).map_err(ApiError::internal)?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/csv; charset=utf-8")
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")))
        .insert_header((CACHE_CONTROL, "no-store"));
    if let Some(cursor) = next_cursor {
        response.insert_header((NEXT_CURSOR_HEADER, cursor));
    }
    Ok(response.body(body))
}

fn rate_text(retention: &Retention) -> Option<String> {
    retention.rate().map(|rate| rate.to_string())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// The last day, included.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
}

impl From<DateRange> for Period {
    fn from(range: DateRange) -> Self {
        Self { from: range.from(), to: range.to() }
    }
}

// ---------------------------------------------------------------------------------------------
// LYBUNT and SYBUNT

/// Every parameter is read as text so that a bad value is a 422 naming it; the document states
/// the type it must have.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LapsedParams {
    /// Fiscal year Y, named after the calendar year it ends in; the current one by default
    #[param(value_type = Option<i32>, minimum = 1, maximum = 9999)]
    pub fiscal_year: Option<String>,
    /// Donors per page: JSON 1-200 (50 by default), CSV 1-10000 (10000 by default)
    #[param(value_type = Option<u64>, minimum = 1, maximum = 10000)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page (in CSV: the `X-Next-Cursor` header)
    pub cursor: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`), `json` by default
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LapsedTotalResponse {
    #[schema(example = "USD")]
    pub currency: String,
    /// Counted gifts in fiscal year Y-1.
    #[schema(value_type = String, example = "250.00")]
    pub last_year_total: String,
    /// Every counted gift before fiscal year Y.
    #[schema(value_type = String, example = "1250.00")]
    pub lifetime_total: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LapsedDonorResponse {
    pub donor_id: uuid::Uuid,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// The last counted gift before fiscal year Y, in any currency.
    #[schema(value_type = String, format = Date)]
    pub last_gift_date: NaiveDate,
    /// One entry per currency the donor gave in, largest lifetime total first.
    pub totals: Vec<LapsedTotalResponse>,
}

impl From<LapsedDonor> for LapsedDonorResponse {
    fn from(d: LapsedDonor) -> Self {
        Self {
            donor_id: d.donor_id.into_uuid(),
            first_name: d.first_name,
            last_name: d.last_name,
            email: d.email,
            last_gift_date: d.last_gift_date,
            totals: d
                .totals
                .into_iter()
                .map(|t| LapsedTotalResponse {
                    currency: t.currency.code().to_owned(),
                    last_year_total: money_text(t.last_year_total),
                    lifetime_total: money_text(t.lifetime_total),
                })
                .collect(),
        }
    }
}

/// One page of a LYBUNT or SYBUNT list.
#[derive(Debug, Serialize, ToSchema)]
pub struct LapsedReportResponse {
    /// Fiscal year Y, named after the calendar year it ends in.
    pub fiscal_year: i32,
    /// Fiscal year Y's days.
    pub period: Period,
    /// Fiscal year Y-1's days.
    pub previous_period: Period,
    pub data: Vec<LapsedDonorResponse>,
    /// Pass it back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

const LAPSED_COLUMNS: &[&str] = &[
    "donor_id",
    "first_name",
    "last_name",
    "email",
    "last_gift_date",
    "currency",
    "last_year_total",
    "lifetime_total",
];

/// A CSV line per donor and currency.
fn lapsed_records(donors: Vec<LapsedDonor>) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    for d in donors {
        for t in &d.totals {
            records.push(vec![
                d.donor_id.to_string(),
                d.first_name.clone().unwrap_or_default(),
                d.last_name.clone().unwrap_or_default(),
                d.email.clone().unwrap_or_default(),
                d.last_gift_date.to_string(),
                t.currency.code().to_owned(),
                money_text(t.last_year_total),
                money_text(t.lifetime_total),
            ]);
        }
    }
    records
}

async fn lapsed_report(
    kind: Lapsed,
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: LapsedParams,
) -> Result<HttpResponse, ApiError> {
    tenant.require(DONORS_READ)?;
    let scope = tenant.require(DONATIONS_READ)?;
    let (name, tag) = match kind {
        Lapsed::Lybunt => ("lybunt", "ly"),
        Lapsed::Sybunt => ("sybunt", "sy"),
    };
    let mut f = Faults::default();
    let format = format(&mut f, params.format.as_deref(), &req);
    let year = params.fiscal_year.as_deref().and_then(|raw| f.take(parse_year("fiscal_year", raw)));
    let (max, default) = match format {
        Format::Json => (MAX_LIMIT, DEFAULT_LIMIT),
        Format::Csv => (MAX_CSV_LIMIT, MAX_CSV_LIMIT),
    };
    let limit = parse_limit(&mut f, params.limit.as_deref(), max, default);
    let after = page_request(&mut f, None, params.cursor.as_deref(), tag).after();
    f.finish(())?;

    let calendar = calendar(&state, scope).await?;
    let year = year.unwrap_or_else(|| calendar.year_of(today()));
    let query = LapsedQuery::new(kind, calendar, year, limit, after)?;
    let page = state.repos.reports.lapsed(scope, query).await?;
    let next_cursor = tagged_cursor(tag, page.next_cursor);
    if format == Format::Csv {
        return csv_response(&format!("{name}-{year}"), LAPSED_COLUMNS, lapsed_records(page.items), next_cursor);
    }
    Ok(HttpResponse::Ok().json(LapsedReportResponse {
        fiscal_year: year,
        period: query.year.into(),
        previous_period: query.previous_year.into(),
        data: page.items.into_iter().map(LapsedDonorResponse::from).collect(),
        next_cursor,
    }))
}

/// LYBUNT for fiscal year Y: live donors with a counted gift in fiscal year Y-1 and none in Y,
/// last gift first (`donations:read` and `donors:read`).
#[utoipa::path(
    get,
    path = "/reports/lybunt",
    operation_id = "reportLybunt",
    tag = "reports",
    params(LapsedParams),
    responses(
        (status = 200, description = "A page of the list; CSV has a line per donor and currency",
            content((LapsedReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn lybunt(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<LapsedParams>,
) -> Result<HttpResponse, ApiError> {
    lapsed_report(Lapsed::Lybunt, tenant, state, req, params.into_inner()).await
}

/// SYBUNT for fiscal year Y: live donors with a counted gift in any fiscal year before Y and
/// none in Y (LYBUNT donors included), last gift first (`donations:read` and `donors:read`).
#[utoipa::path(
    get,
    path = "/reports/sybunt",
    operation_id = "reportSybunt",
    tag = "reports",
    params(LapsedParams),
    responses(
        (status = 200, description = "A page of the list; CSV has a line per donor and currency",
            content((LapsedReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn sybunt(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<LapsedParams>,
) -> Result<HttpResponse, ApiError> {
    lapsed_report(Lapsed::Sybunt, tenant, state, req, params.into_inner()).await
}

// ---------------------------------------------------------------------------------------------
// Retention

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionParams {
    pub as_of: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionYearsParams {
    pub from_year: Option<String>,
    pub to_year: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionResponse {
    /// Fiscal year Y (by fiscal year only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fiscal_year: Option<i32>,
    /// The day the rolling windows end on (rolling only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub as_of: Option<NaiveDate>,
    pub prior_period: Period,
    pub current_period: Period,
    /// Live donors with a counted gift in the prior period.
    pub prior_donors: u64,
    /// Those of them with a counted gift in the current period too.
    pub retained_donors: u64,
    /// `retained_donors / prior_donors`, four places, rounded half to even; null without prior
    /// donors. The counts give the exact ratio.
    #[schema(value_type = Option<String>, example = "0.6667")]
    pub retention_rate: Option<String>,
}

impl RetentionResponse {
    fn new(periods: RetentionPeriods, retention: Retention) -> Self {
        Self {
            fiscal_year: None,
            as_of: None,
            prior_period: periods.prior.into(),
            current_period: periods.current.into(),
            prior_donors: retention.prior_donors,
            retained_donors: retention.retained_donors,
            retention_rate: rate_text(&retention),
        }
    }

    fn record(&self) -> Vec<String> {
        vec![
            self.prior_period.from.to_string(),
            self.prior_period.to.to_string(),
            self.current_period.from.to_string(),
            self.current_period.to.to_string(),
            self.prior_donors.to_string(),
            self.retained_donors.to_string(),
            self.retention_rate.clone().unwrap_or_default(),
        ]
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionYearsResponse {
    /// One entry per fiscal year, oldest first.
    pub data: Vec<RetentionResponse>,
}

const RETENTION_COLUMNS: &[&str] =
    &["prior_from", "prior_to", "current_from", "current_to", "prior_donors", "retained_donors", "retention_rate"];

/// Rolling donor retention: live donors of the twelve months before the last twelve, and how
/// many of them gave again in the last twelve months to `as_of` (`donations:read`).
#[utoipa::path(
    get,
    path = "/reports/retention",
    operation_id = "reportRetention",
    tag = "reports",
    params(
        ("as_of" = Option<String>, Query, format = Date, description = "The last day of the current twelve months; today (UTC) by default"),
        ("format" = Option<String>, Query, description = "`csv` for CSV (as does `Accept: text/csv`), `json` by default"),
    ),
    responses(
        (status = 200, description = "The counts and the rate",
            content((RetentionResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn retention(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<RetentionParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_READ)?;
    let mut f = Faults::default();
    let format = format(&mut f, params.format.as_deref(), &req);
    let as_of = params.as_of.as_deref().and_then(|raw| f.take(parse_date("as_of", raw)));
    f.finish(())?;
    let as_of = as_of.unwrap_or_else(today);
    let periods = RetentionPeriods::rolling(as_of)?;
    let retention = state.repos.reports.retention(scope, periods).await?;
    let response = RetentionResponse { as_of: Some(as_of), ..RetentionResponse::new(periods, retention) };
    if format == Format::Csv {
        let header: Vec<&str> = std::iter::once("as_of").chain(RETENTION_COLUMNS.iter().copied()).collect();
        let record = std::iter::once(as_of.to_string()).chain(response.record()).collect();
        return csv_response("retention", &header, vec![record], None);
    }
    Ok(HttpResponse::Ok().json(response))
}

/// Donor retention by fiscal year: for each fiscal year Y, live donors of Y-1 and how many of
/// them gave again in Y (`donations:read`).
#[utoipa::path(
    get,
    path = "/reports/retention/fiscal-years",
    operation_id = "reportRetentionByFiscalYear",
    tag = "reports",
    params(
        ("from_year" = Option<i32>, Query, minimum = 1, maximum = 9999, description = "The first fiscal year Y; four years before `to_year` by default"),
        ("to_year" = Option<i32>, Query, minimum = 1, maximum = 9999, description = "The last fiscal year Y; the current one by default. At most 50 years in all"),
        ("format" = Option<String>, Query, description = "`csv` for CSV (as does `Accept: text/csv`), `json` by default"),
    ),
    responses(
        (status = 200, description = "One entry per fiscal year, oldest first",
            content((RetentionYearsResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn retention_by_fiscal_year(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<RetentionYearsParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_READ)?;
    let mut f = Faults::default();
    let format = format(&mut f, params.format.as_deref(), &req);
    let from_year = params.from_year.as_deref().and_then(|raw| f.take(parse_year("from_year", raw)));
    let to_year = params.to_year.as_deref().and_then(|raw| f.take(parse_year("to_year", raw)));
    f.finish(())?;
    let calendar = calendar(&state, scope).await?;
    let to_year = to_year.unwrap_or_else(|| calendar.year_of(today()));
    let from_year = from_year.unwrap_or_else(|| (to_year - (DEFAULT_RETENTION_YEARS - 1)).max(1));
    let mut f = Faults::default();
    if to_year < from_year {
        f.push("to_year", format!("{to_year} is before from_year {from_year}"));
    } else if to_year - from_year >= MAX_FISCAL_YEARS {
        f.push("to_year", format!("at most {MAX_FISCAL_YEARS} fiscal years at once"));
    }
    f.finish(())?;

    // One query per year: each reads only its two years' gifts.
    let mut data = Vec::new();
    for year in from_year..=to_year {
        let periods = RetentionPeriods::fiscal_year(calendar, year)?;
        let retention = state.repos.reports.retention(scope, periods).await?;
        data.push(RetentionResponse { fiscal_year: Some(year), ..RetentionResponse::new(periods, retention) });
    }
    if format == Format::Csv {
        let header: Vec<&str> = std::iter::once("fiscal_year").chain(RETENTION_COLUMNS.iter().copied()).collect();
        let records = data
            .iter()
            .map(|r| std::iter::once(r.fiscal_year.unwrap_or_default().to_string()).chain(r.record()).collect())
            .collect();
        return csv_response("retention-by-fiscal-year", &header, records, None);
    }
    Ok(HttpResponse::Ok().json(RetentionYearsResponse { data }))
}

// ---------------------------------------------------------------------------------------------
// Giving by month, project and payment method

/// Read as text, like [`LapsedParams`].
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// The first day; the start of the current fiscal year by default
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included; today (UTC) by default
    #[param(format = Date)]
    pub to: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`), `json` by default
    pub format: Option<String>,
}

impl RangeParams {
    fn parse(&self, req: &HttpRequest) -> Result<(Option<NaiveDate>, Option<NaiveDate>, Format), ApiError> {
        let mut f = Faults::default();
        let format = format(&mut f, self.format.as_deref(), req);
        let from = self.from.as_deref().and_then(|raw| f.take(parse_date("from", raw)));
        let to = self.to.as_deref().and_then(|raw| f.take(parse_date("to", raw)));
        f.finish((from, to, format))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GivingRowResponse {
    /// `YYYY-MM` (by month only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-01")]
    pub month: Option<String>,
    /// The project; null for gifts to no project (by project only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Option<uuid::Uuid>>,
    /// The project's current name (by project only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_name: Option<Option<String>>,
    /// The payment method; null for gifts recorded without one (by payment method only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<Option<String>>,
    #[schema(example = "USD")]
    pub currency: String,
    #[schema(value_type = String, example = "1250.00")]
    pub total: String,
    pub gift_count: u64,
    /// Distinct donors, soft-deleted ones included.
    pub donor_count: u64,
}

impl From<GivingRow> for GivingRowResponse {
    fn from(row: GivingRow) -> Self {
        let mut out = Self {
            month: None,
            project_id: None,
            project_name: None,
            payment_method: None,
            currency: row.currency.code().to_owned(),
            total: money_text(row.total),
            gift_count: row.gift_count,
            donor_count: row.donor_count,
        };
        match row.group {
            GivingGroup::Month(month) => out.month = Some(month),
            GivingGroup::Project { id, name } => {
                out.project_id = Some(id.map(|id| id.into_uuid()));
                out.project_name = Some(name);
            }
            GivingGroup::PaymentMethod(method) => out.payment_method = Some(method.map(|m| m.as_str().to_owned())),
        }
        out
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GivingReportResponse {
    pub period: Period,
    /// One row per group and currency; groups with no counted gift are left out.
    pub data: Vec<GivingRowResponse>,
}

async fn giving_report(
    by: GivingBy,
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: RangeParams,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONATIONS_READ)?;
    let (from, to, format) = params.parse(&req)?;
    let range = date_range(&state, scope, from, to).await?;
    let rows = state.repos.reports.giving(scope, by, range).await?;
    if format == Format::Csv {
        let (name, group_columns): (&str, &[&str]) = match by {
            GivingBy::Month => ("giving-by-month", &["month"]),
            GivingBy::Project => ("giving-by-project", &["project_id", "project_name"]),
            GivingBy::PaymentMethod => ("giving-by-payment-method", &["payment_method"]),
        };
        let header: Vec<&str> =
            group_columns.iter().copied().chain(["currency", "total", "gift_count", "donor_count"]).collect();
        let records = rows
            .into_iter()
            .map(|row| {
                let mut record = match row.group {
                    GivingGroup::Month(month) => vec![month],
                    GivingGroup::Project { id, name } => {
                        vec![id.map(|id| id.to_string()).unwrap_or_default(), name.unwrap_or_default()]
                    }
                    GivingGroup::PaymentMethod(method) => {
                        vec![method.map(|m| m.as_str().to_owned()).unwrap_or_default()]
                    }
                };
                record.extend([
                    row.currency.code().to_owned(),
                    money_text(row.total),
                    row.gift_count.to_string(),
                    row.donor_count.to_string(),
                ]);
                record
            })
            .collect();
        return csv_response(name, &header, records, None);
    }
    Ok(HttpResponse::Ok()
        .json(GivingReportResponse { period: range.into(), data: rows.into_iter().map(Into::into).collect() }))
}

/// Counted gifts per calendar month and currency, oldest month first (`donations:read`).
#[utoipa::path(
    get,
    path = "/reports/giving/by-month",
    operation_id = "reportGivingByMonth",
    tag = "reports",
    params(RangeParams),
    responses(
        (status = 200, description = "A row per month and currency",
            content((GivingReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn giving_by_month(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<RangeParams>,
) -> Result<HttpResponse, ApiError> {
    giving_report(GivingBy::Month, tenant, state, req, params.into_inner()).await
}

/// Counted gifts per project and currency, by project name, gifts to no project last
/// (`donations:read`).
#[utoipa::path(
    get,
    path = "/reports/giving/by-project",
    operation_id = "reportGivingByProject",
    tag = "reports",
    params(RangeParams),
    responses(
        (status = 200, description = "A row per project and currency",
            content((GivingReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn giving_by_project(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<RangeParams>,
) -> Result<HttpResponse, ApiError> {
    giving_report(GivingBy::Project, tenant, state, req, params.into_inner()).await
}

/// Counted gifts per payment method and currency, in the methods' order (cash, check,
/// credit_card, wire, crypto, other), gifts without one last (`donations:read`).
#[utoipa::path(
    get,
    path = "/reports/giving/by-payment-method",
    operation_id = "reportGivingByPaymentMethod",
    tag = "reports",
    params(RangeParams),
    responses(
        (status = 200, description = "A row per payment method and currency",
            content((GivingReportResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn giving_by_payment_method(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<RangeParams>,
) -> Result<HttpResponse, ApiError> {
    giving_report(GivingBy::PaymentMethod, tenant, state, req, params.into_inner()).await
}

// ---------------------------------------------------------------------------------------------
// Top donors

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopDonorsParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub currency: Option<String>,
    pub limit: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopDonorResponse {
    /// 1 for the largest total.
    pub rank: u64,
    pub donor_id: uuid::Uuid,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = String, example = "5000.00")]
    pub total: String,
    pub gift_count: u64,
    #[schema(value_type = String, format = Date)]
    pub first_gift_date: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub last_gift_date: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopDonorsResponse {
    pub period: Period,
    #[schema(example = "USD")]
    pub currency: String,
    pub data: Vec<TopDonorResponse>,
}

const TOP_DONOR_COLUMNS: &[&str] = &[
    "rank",
    "donor_id",
    "first_name",
    "last_name",
    "email",
    "currency",
    "total",
    "gift_count",
    "first_gift_date",
    "last_gift_date",
];

fn top_donor_response(rank: u64, d: TopDonor) -> TopDonorResponse {
    TopDonorResponse {
        rank,
        donor_id: d.donor_id.into_uuid(),
        first_name: d.first_name,
        last_name: d.last_name,
        email: d.email,
        total: money_text(d.total),
        gift_count: d.gift_count,
        first_gift_date: d.first_gift_date,
        last_gift_date: d.last_gift_date,
    }
}

/// The live donors who gave the most in one currency over a date range, largest total first
/// (`donations:read` and `donors:read`).
#[utoipa::path(
    get,
    path = "/reports/top-donors",
    operation_id = "reportTopDonors",
    tag = "reports",
    params(
        ("from" = Option<String>, Query, format = Date, description = "The first day; the start of the current fiscal year by default"),
        ("to" = Option<String>, Query, format = Date, description = "The last day, included; today (UTC) by default"),
        ("currency" = Option<String>, Query, description = "ISO 4217; only gifts in it count. USD by default"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "How many donors, 10 by default"),
        ("format" = Option<String>, Query, description = "`csv` for CSV (as does `Accept: text/csv`), `json` by default"),
    ),
    responses(
        (status = 200, description = "The donors, ranked",
            content((TopDonorsResponse = "application/json"), (String = "text/csv"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn top_donors(
    tenant: Tenant,
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<TopDonorsParams>,
) -> Result<HttpResponse, ApiError> {
    tenant.require(DONORS_READ)?;
    let scope = tenant.require(DONATIONS_READ)?;
    let mut f = Faults::default();
    let format = format(&mut f, params.format.as_deref(), &req);
    let from = params.from.as_deref().and_then(|raw| f.take(parse_date("from", raw)));
    let to = params.to.as_deref().and_then(|raw| f.take(parse_date("to", raw)));
    let currency = match params.currency.as_deref() {
        None => Some(Currency::default()),
        Some(raw) => f.take(Currency::parse(raw).map_err(|e| e.for_field("currency"))),
    };
    let limit = parse_limit(&mut f, params.limit.as_deref(), MAX_LIMIT, DEFAULT_TOP_DONORS);
    let currency = f.finish(currency)?.unwrap_or_default();
    let range = date_range(&state, scope, from, to).await?;
    let donors = state.repos.reports.top_donors(scope, range, currency, limit).await?;
    let ranked = (1..).zip(donors).map(|(rank, d)| top_donor_response(rank, d));
    if format == Format::Csv {
        let records = ranked
            .map(|d| {
                vec![
                    d.rank.to_string(),
                    d.donor_id.to_string(),
                    d.first_name.unwrap_or_default(),
                    d.last_name.unwrap_or_default(),
                    d.email.unwrap_or_default(),
                    currency.code().to_owned(),
                    d.total,
                    d.gift_count.to_string(),
                    d.first_gift_date.to_string(),
                    d.last_gift_date.to_string(),
                ]
            })
            .collect();
        return csv_response("top-donors", TOP_DONOR_COLUMNS, records, None);
    }
    Ok(HttpResponse::Ok().json(TopDonorsResponse {
        period: range.into(),
        currency: currency.code().to_owned(),
        data: ranked.collect(),
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        lybunt,
        sybunt,
        retention,
        retention_by_fiscal_year,
        giving_by_month,
        giving_by_project,
        giving_by_payment_method,
        top_donors
    ),
    components(schemas(
        Period,
        LapsedReportResponse,
        LapsedDonorResponse,
        LapsedTotalResponse,
        RetentionResponse,
        RetentionYearsResponse,
        GivingReportResponse,
        GivingRowResponse,
        TopDonorsResponse,
        TopDonorResponse
    ))
)]
pub struct Api;
