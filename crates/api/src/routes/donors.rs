//! Donors over HTTP: create, list (keyset, search, filters), read (with the giving summary for
//! callers who may read donations), update (PATCH, explicit null clears; journey stage moves
//! follow the organization's graph unless an admin forces them), soft delete, restore, list
//! deleted, and erase (admin). Another organization's donor, like a malformed id, is a 404.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use givance_domain::access::{DONATIONS_READ, DONORS_READ, DONORS_WRITE, STAFF_MANAGE};
use givance_domain::donation::GivingSummary;
use givance_domain::donor::{
    Address, Donor, DonorPatch, DonorQuery, DonorSort, DonorType, Household, NAME_MAX, NOTES_MAX, NewDonor,
    SearchPrefix, Spouse, validate_tags,
};
use givance_domain::organization::{JourneyGraph, Organization, phone_region};
use givance_domain::{
    CountryCode, DonorId, EmailAddress, OrgScope, PageRequest, PhoneNumber, RepoError, Timestamp, ValueError,
    optional_text,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
    ValidationFailed,
};
use crate::fields::{
    Faults, ListResponse, PageQuery, flag, money_text, page_request, parse_time, path_id, tagged_cursor,
};
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `/donors/deleted` first: it would otherwise be read as a donor id.
    cfg.service(web::resource("/donors").get(list_donors).post(create_donor))
        .service(web::resource("/donors/deleted").get(list_deleted_donors))
        .service(web::resource("/donors/{id}").get(get_donor).patch(update_donor).delete(delete_donor))
        .service(web::resource("/donors/{id}/restore").post(restore_donor))
        .service(web::resource("/donors/{id}/erase").delete(erase_donor));
}

// ---------------------------------------------------------------------------------------------
// Responses

#[derive(Debug, Serialize, ToSchema)]
pub struct YearTotalResponse {
    pub year: i32,
    #[schema(value_type = String, example = "250.00")]
    pub total: String,
    pub count: u64,
}

/// A donor's giving in one currency; amounts are decimal strings with two places.
#[derive(Debug, Serialize, ToSchema)]
pub struct GivingResponse {
    #[schema(example = "USD")]
    pub currency: String,
    #[schema(value_type = String, example = "1250.00")]
    pub lifetime_total: String,
    pub gift_count: u64,
    pub first_gift_date: NaiveDate,
    pub last_gift_date: NaiveDate,
    #[schema(value_type = String, example = "500.00")]
    pub largest_gift: String,
    pub by_year: Vec<YearTotalResponse>,
}

fn donor_type_schema() -> utoipa::openapi::schema::Object {
    text_enum(DonorType::ALL.iter().map(|t| t.as_str()))
}

impl From<GivingSummary> for GivingResponse {
    fn from(g: GivingSummary) -> Self {
        Self {
            currency: g.currency.code().to_owned(),
            lifetime_total: money_text(g.lifetime_total),
            gift_count: g.gift_count,
            first_gift_date: g.first_gift_date,
            last_gift_date: g.last_gift_date,
            largest_gift: money_text(g.largest_gift),
            by_year: g
                .by_year
                .into_iter()
                .map(|y| YearTotalResponse { year: y.year, total: money_text(y.total), count: y.count })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DonorResponse {
    pub id: uuid::Uuid,
    pub external_id: Option<String>,
    #[schema(schema_with = donor_type_schema)]
    pub donor_type: DonorType,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// E.164.
    #[schema(example = "+14155550123")]
    pub phone: Option<String>,
    pub spouse_first_name: Option<String>,
    pub spouse_last_name: Option<String>,
    pub spouse_email: Option<String>,
    pub address_street: Option<String>,
    pub address_city: Option<String>,
    pub address_state: Option<String>,
    pub address_zip: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "US")]
    pub address_country: Option<String>,
    pub journey_stage: Option<String>,
    pub ai_classification: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_contact_date: Option<Timestamp>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Value>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Set while the donor is soft-deleted.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deleted_at: Option<Timestamp>,
    /// Per currency; present only for callers holding `donations:read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub giving: Option<Vec<GivingResponse>>,
}

impl From<Donor> for DonorResponse {
    fn from(d: Donor) -> Self {
        let donor_type = d.household.donor_type();
        let spouse = d.household.spouse().cloned().unwrap_or_default();
        Self {
            id: d.id.into_uuid(),
            external_id: d.external_id,
            donor_type,
            first_name: d.first_name,
            last_name: d.last_name,
            email: d.email.map(|e| e.as_str().to_owned()),
            phone: d.phone.map(|p| p.as_str().to_owned()),
            spouse_first_name: spouse.first_name,
            spouse_last_name: spouse.last_name,
            spouse_email: spouse.email.map(|e| e.as_str().to_owned()),
            address_street: d.address.street,
            address_city: d.address.city,
            address_state: d.address.state,
            address_zip: d.address.zip,
            address_country: d.address.country.map(|c| c.as_str().to_owned()),
            journey_stage: d.journey_stage,
            ai_classification: d.ai_classification,
            last_contact_date: d.last_contact_date,
            notes: d.notes,
            tags: d.tags,
            custom_fields: d.custom_fields,
            created_at: d.created_at,
            updated_at: d.updated_at,
            deleted_at: d.deleted_at,
            giving: None,
        }
    }
}

pub type DonorList = ListResponse<DonorResponse>;

// ---------------------------------------------------------------------------------------------
// Field parsing shared by create and update

fn blank_to_none(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn parse_email(field: &'static str, raw: Option<&str>) -> Result<Option<EmailAddress>, ValueError> {
    blank_to_none(raw).map(|e| EmailAddress::parse(e).map_err(|err| err.for_field(field))).transpose()
}

fn parse_country(raw: Option<&str>) -> Result<Option<CountryCode>, ValueError> {
    blank_to_none(raw).map(|c| CountryCode::parse(c).map_err(|err| err.for_field("address_country"))).transpose()
}

/// A phone number written without a country prefix, whose region must come from somewhere.
fn is_national(raw: Option<&str>) -> bool {
    blank_to_none(raw).is_some_and(|p| !p.starts_with('+'))
}

/// E.164, reading a national number as one of the donor's country, else the organization's,
/// else the US.
fn parse_phone(
    raw: Option<&str>,
    donor_country: Option<CountryCode>,
    organization_country: Option<CountryCode>,
) -> Result<Option<PhoneNumber>, ValueError> {
    blank_to_none(raw)
        .map(|p| PhoneNumber::parse_in_region(p, Some(phone_region(donor_country, organization_country))))
        .transpose()
        .map_err(|err| err.for_field("phone"))
}

fn parse_donor_type(raw: &str) -> Result<DonorType, ValueError> {
    raw.trim().parse::<DonorType>().map_err(|_| {
        ValueError::new(
            "donor_type",
            format!("'{}' is not a donor type; expected 'individual' or 'couple'", raw.trim()),
        )
    })
}

fn parse_custom_fields(value: serde_json::Value) -> Result<Option<serde_json::Value>, ValueError> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) => {
            let size = serde_json::to_vec(&value).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > CUSTOM_FIELDS_MAX_BYTES {
                Err(ValueError::new("custom_fields", format!("at most {CUSTOM_FIELDS_MAX_BYTES} bytes of JSON")))
            } else {
                Ok(Some(value))
            }
        }
        _ => Err(ValueError::new("custom_fields", "must be a JSON object")),
    }
}

/// The largest `custom_fields` object, as compact JSON.
pub const CUSTOM_FIELDS_MAX_BYTES: usize = 64 * 1024;

fn parse_tags(tags: Vec<String>) -> Result<Vec<String>, ValueError> {
    let tags: Vec<String> = tags.into_iter().map(|t| t.trim().to_owned()).collect();
    validate_tags(&tags)?;
    let mut unique: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        if !unique.contains(&tag) {
            unique.push(tag);
        }
    }
    Ok(unique)
}

/// A spouse field set on an individual.
fn spouse_on_individual(field: &'static str) -> ValueError {
    ValueError::new(field, "spouse fields may only be set when donor_type is 'couple'")
}

/// Checks that `stage` is a stage of the organization's graph (any value when it has none).
fn check_known_stage(graph: Option<&JourneyGraph>, stage: &str) -> Result<(), ValueError> {
    match graph {
        Some(graph) if graph.stage(stage).is_none() => {
            let ids: Vec<&str> = graph.stages.iter().map(|s| s.id.as_str()).collect();
            Err(ValueError::new(
                "journey_stage",
                format!("'{stage}' is not a stage of the organization's journey graph; stages: {}", ids.join(", ")),
            ))
        }
        _ => Ok(()),
    }
}

/// The scope's organization, read only when `needed`: a handler loads it at most once, for
/// its journey graph and its country (the default phone region).
async fn organization_if(state: &AppState, scope: &OrgScope, needed: bool) -> Result<Option<Organization>, ApiError> {
    Ok(if needed { Some(state.repos.organizations.get(scope).await?) } else { None })
}

fn write_error(err: RepoError) -> ApiError {
    match err {
        RepoError::Conflict { constraint } if constraint == "uq_donors_org_external_id" => {
            ApiError::conflict("external_id_taken", "another donor of the organization already has this external_id")
        }
        err => err.into(),
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("no donor with this id")
}

/// A donor id from the path; a malformed one names no donor: 404.
fn donor_id(raw: &str) -> Result<DonorId, ApiError> {
    path_id(raw, not_found)
}

fn repo_not_found(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        err => write_error(err),
    }
}

// ---------------------------------------------------------------------------------------------
// Create

/// Blank text counts as absent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDonorRequest {
    /// `individual` (default) or `couple`.
    #[schema(example = "individual")]
    pub donor_type: Option<String>,
    #[schema(max_length = 200)]
    pub first_name: Option<String>,
    #[schema(max_length = 200)]
    pub last_name: Option<String>,
    #[schema(format = Email)]
    pub email: Option<String>,
    /// E.164, or a national number of `address_country`, else of the organization's `country`,
    /// else of the US.
    #[schema(example = "+14155550123")]
    pub phone: Option<String>,
    /// Only for a couple.
    #[schema(max_length = 200)]
    pub spouse_first_name: Option<String>,
    /// Only for a couple.
    #[schema(max_length = 200)]
    pub spouse_last_name: Option<String>,
    /// Only for a couple.
    #[schema(format = Email)]
    pub spouse_email: Option<String>,
    #[schema(max_length = 500)]
    pub address_street: Option<String>,
    #[schema(max_length = 200)]
    pub address_city: Option<String>,
    #[schema(max_length = 200)]
    pub address_state: Option<String>,
    #[schema(max_length = 20)]
    pub address_zip: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "US")]
    pub address_country: Option<String>,
    /// Your system's id for the donor; unique in the organization (409 `external_id_taken`).
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    /// A stage of the organization's journey graph, when it has one.
    #[schema(max_length = 200)]
    pub journey_stage: Option<String>,
    #[schema(max_length = 10_000)]
    pub notes: Option<String>,
    /// Each 1 to 100 characters; duplicates are dropped.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub tags: Vec<String>,
    /// Any JSON object, at most 64 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom_fields: serde_json::Value,
}

impl CreateDonorRequest {
    /// The domain command, or every invalid field.
    fn into_new_donor(
        self,
        graph: Option<&JourneyGraph>,
        organization_country: Option<CountryCode>,
    ) -> Result<NewDonor, ApiError> {
        let mut f = Faults::default();
        let donor_type = match self.donor_type.as_deref() {
            None => Some(DonorType::Individual),
            Some(raw) => f.take(parse_donor_type(raw)),
        };
        let first_name = f.take(optional_text("first_name", self.first_name.as_deref(), NAME_MAX));
        let last_name = f.take(optional_text("last_name", self.last_name.as_deref(), NAME_MAX));
        let email = f.take(parse_email("email", self.email.as_deref()));
        let country = f.take(parse_country(self.address_country.as_deref()));
        let phone = f.take(parse_phone(self.phone.as_deref(), country.flatten(), organization_country));
        let spouse = Spouse {
            first_name: f
                .take(optional_text("spouse_first_name", self.spouse_first_name.as_deref(), NAME_MAX))
                .flatten(),
            last_name: f.take(optional_text("spouse_last_name", self.spouse_last_name.as_deref(), NAME_MAX)).flatten(),
            email: f.take(parse_email("spouse_email", self.spouse_email.as_deref())).flatten(),
        };
        if donor_type == Some(DonorType::Individual) {
            for (field, set) in [
                ("spouse_first_name", blank_to_none(self.spouse_first_name.as_deref()).is_some()),
                ("spouse_last_name", blank_to_none(self.spouse_last_name.as_deref()).is_some()),
                ("spouse_email", blank_to_none(self.spouse_email.as_deref()).is_some()),
            ] {
                if set {
                    f.record(spouse_on_individual(field));
                }
            }
        }
        let address = Address {
            street: f.take(optional_text("address_street", self.address_street.as_deref(), 500)).flatten(),
            city: f.take(optional_text("address_city", self.address_city.as_deref(), NAME_MAX)).flatten(),
            state: f.take(optional_text("address_state", self.address_state.as_deref(), NAME_MAX)).flatten(),
            zip: f.take(optional_text("address_zip", self.address_zip.as_deref(), 20)).flatten(),
            country: country.flatten(),
        };
        let external_id = f.take(optional_text("external_id", self.external_id.as_deref(), NAME_MAX)).flatten();
        let journey_stage = f.take(optional_text("journey_stage", self.journey_stage.as_deref(), NAME_MAX)).flatten();
        if let Some(stage) = &journey_stage {
            f.take(check_known_stage(graph, stage));
        }
        let notes = f.take(optional_text("notes", self.notes.as_deref(), NOTES_MAX)).flatten();
        let tags = f.take(parse_tags(self.tags)).unwrap_or_default();
        let custom_fields = f.take(parse_custom_fields(self.custom_fields)).flatten();
        let household = match donor_type {
            Some(DonorType::Couple) => Household::Couple(spouse),
            _ => Household::Individual,
        };
        f.finish(NewDonor {
            external_id,
            household,
            first_name: first_name.flatten(),
            last_name: last_name.flatten(),
            email: email.flatten(),
            phone: phone.flatten(),
            address,
            journey_stage,
            notes,
            tags,
            custom_fields,
        })
    }
}

/// Creates a donor (`donors:write`).
#[utoipa::path(
    post,
    path = "/donors",
    operation_id = "createDonor",
    tag = "donors",
    request_body = CreateDonorRequest,
    responses(
        (status = 201, description = "The donor", body = DonorResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateDonorRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    // The organization gives the journey graph a stage is checked against, and the region of a
    // national phone number when the donor has no country.
    let needs_region = is_national(body.phone.as_deref()) && blank_to_none(body.address_country.as_deref()).is_none();
    let organization = organization_if(&state, scope, body.journey_stage.is_some() || needs_region).await?;
    let graph = match (&body.journey_stage, &organization) {
        (Some(_), Some(organization)) => organization.journey_graph()?,
        _ => None,
    };
    let country = organization.as_ref().and_then(|o| o.country);
    let new = body.into_inner().into_new_donor(graph.as_ref(), country)?;
    let donor = state.repos.donors.create(scope, new).await.map_err(write_error)?;
    tracing::info!(donor = %donor.id, "donor created");
    Ok(HttpResponse::Created().json(DonorResponse::from(donor)))
}

// ---------------------------------------------------------------------------------------------
// List

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDonorsQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub q: Option<String>,
    pub journey_stage: Option<String>,
    pub tag: Option<String>,
    pub donor_type: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub has_email: Option<String>,
    pub sort: Option<String>,
}

/// Which list a cursor was issued by: it is only accepted by the same list in the same order,
/// so that a cursor of the deleted list or of the other sort order cannot silently skip rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Newest,
    Oldest,
    Deleted,
}

impl ListKind {
    /// The tag of the list's cursors.
    fn tag(self) -> &'static str {
        match self {
            ListKind::Newest => "n",
            ListKind::Oldest => "o",
            ListKind::Deleted => "d",
        }
    }
}

impl ListDonorsQuery {
    fn parse(&self) -> Result<(DonorQuery, PageRequest, ListKind), ApiError> {
        let mut f = Faults::default();
        let mut query = DonorQuery::default();
        if let Some(sort) = &self.sort {
            match sort.trim().parse::<DonorSort>() {
                Ok(sort) => query.sort = sort,
                Err(_) => f.push("sort", format!("'{sort}' is not a sort order; expected 'newest' or 'oldest'")),
            }
        }
        let kind = match query.sort {
            DonorSort::Newest => ListKind::Newest,
            DonorSort::Oldest => ListKind::Oldest,
        };
        let page = page_request(&mut f, self.limit.as_deref(), self.cursor.as_deref(), kind.tag());
        if let Some(q) = &self.q {
            query.search = f.take(SearchPrefix::parse(q));
        }
        if let Some(stage) = &self.journey_stage {
            query.journey_stage = f.take(optional_text("journey_stage", Some(stage), NAME_MAX)).flatten();
        }
        if let Some(tag) = &self.tag {
            query.tag = f.take(optional_text("tag", Some(tag), 100)).flatten();
        }
        if let Some(t) = &self.donor_type {
            query.donor_type = f.take(parse_donor_type(t));
        }
        if let Some(t) = &self.created_from {
            query.created_from = f.take(parse_time("created_from", t));
        }
        if let Some(t) = &self.created_to {
            query.created_to = f.take(parse_time("created_to", t));
        }
        if let (Some(from), Some(to)) = (query.created_from, query.created_to)
            && from > to
        {
            f.push("created_to", "must not be before created_from");
        }
        query.has_email = flag(&mut f, "has_email", self.has_email.as_deref());
        f.finish((query, page, kind))
    }
}

/// The organization's donors that are not deleted, filtered and sorted (`donors:read`).
#[utoipa::path(
    get,
    path = "/donors",
    operation_id = "listDonors",
    tag = "donors",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list, in the same order"),
        ("q" = Option<String>, Query, min_length = 1, max_length = 100,
            description = "Case-insensitive prefix of the first name, last name or email"),
        ("journey_stage" = Option<String>, Query, max_length = 200),
        ("tag" = Option<String>, Query, max_length = 100, description = "Donors carrying this tag"),
        ("donor_type" = Option<String>, Query, description = "`individual` or `couple`"),
        ("created_from" = Option<String>, Query, format = DateTime, description = "RFC 3339; inclusive"),
        ("created_to" = Option<String>, Query, format = DateTime, description = "RFC 3339; not before `created_from`"),
        ("has_email" = Option<bool>, Query),
        ("sort" = Option<String>, Query, description = "`newest` (default) or `oldest` first, by creation"),
    ),
    responses(
        (status = 200, description = "One page of donors", body = Page<DonorResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_donors(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListDonorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    let (query, page, kind) = query.parse()?;
    let page = state.repos.donors.list(scope, &query, page).await?;
    Ok(HttpResponse::Ok().json(DonorList {
        data: page.items.into_iter().map(DonorResponse::from).collect(),
        next_cursor: tagged_cursor(kind.tag(), page.next_cursor),
    }))
}

/// The organization's soft-deleted donors, most recently deleted first (`donors:read`).
#[utoipa::path(
    get,
    path = "/donors/deleted",
    operation_id = "listDeletedDonors",
    tag = "donors",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list, in the same order"),
    ),
    responses(
        (status = 200, description = "One page of deleted donors", body = Page<DonorResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_deleted_donors(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    let page = query.page(ListKind::Deleted.tag())?;
    let page = state.repos.donors.list_deleted(scope, page).await?;
    Ok(HttpResponse::Ok().json(DonorList {
        data: page.items.into_iter().map(DonorResponse::from).collect(),
        next_cursor: tagged_cursor(ListKind::Deleted.tag(), page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One donor (`donors:read`), with `giving` per currency for callers holding `donations:read`.
#[utoipa::path(
    get,
    path = "/donors/{id}",
    operation_id = "getDonor",
    tag = "donors",
    params(("id" = String, Path, format = Uuid, description = "The donor's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The donor", body = DonorResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    let id = donor_id(&id)?;
    let donor = state.repos.donors.get(scope, id).await?.ok_or_else(not_found)?;
    let mut response = DonorResponse::from(donor);
    if scope.permissions().allows(DONATIONS_READ) {
        let giving = state.repos.donations.giving_summary(scope, id).await?;
        response.giving = Some(giving.into_iter().map(GivingResponse::from).collect());
    }
    Ok(HttpResponse::Ok().json(response))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` (or blank text) clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDonorRequest {
    /// `individual` or `couple`; cannot be null. Making a couple an individual needs its spouse fields cleared.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, example = "couple")]
    pub donor_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Option<String>>,
    /// E.164, or a national number of the donor's country (as patched), else of the
    /// organization's `country`, else of the US.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "+14155550123")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub spouse_first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub spouse_last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Email)]
    pub spouse_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address_street: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub address_city: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub address_state: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 20)]
    pub address_zip: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "US")]
    pub address_country: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub external_id: Option<Option<String>>,
    /// Moves follow the organization's journey graph (an admin may pass `?force=true`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub journey_stage: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10_000)]
    pub notes: Option<Option<String>>,
    /// Replaces the tags; null clears them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>, max_items = 100)]
    pub tags: Option<Option<Vec<String>>>,
    /// Any JSON object, at most 64 KiB; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Option<serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateDonorQuery {
    /// An admin (`staff:manage`) may move the journey stage outside the graph's transitions.
    #[serde(default)]
    pub force: bool,
}

/// A text field of a patch: checked, blank or null clears.
fn text_patch(
    f: &mut Faults,
    field: &'static str,
    value: Option<Option<String>>,
    max: usize,
) -> Option<Option<String>> {
    value.and_then(|v| f.take(optional_text(field, v.as_deref(), max)))
}

impl UpdateDonorRequest {
    /// The domain patch against `current`, or every invalid field.
    fn into_patch(self, current: &Donor, organization_country: Option<CountryCode>) -> Result<DonorPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = DonorPatch {
            external_id: text_patch(&mut f, "external_id", self.external_id, NAME_MAX),
            first_name: text_patch(&mut f, "first_name", self.first_name, NAME_MAX),
            last_name: text_patch(&mut f, "last_name", self.last_name, NAME_MAX),
            journey_stage: text_patch(&mut f, "journey_stage", self.journey_stage, NAME_MAX),
            notes: text_patch(&mut f, "notes", self.notes, NOTES_MAX),
            ..DonorPatch::default()
        };
        if let Some(email) = self.email {
            patch.email = f.take(parse_email("email", email.as_deref()));
        }

        // The address, merged over the stored one.
        let address_fields =
            [&self.address_street, &self.address_city, &self.address_state, &self.address_zip, &self.address_country];
        let mut country = current.address.country;
        if address_fields.iter().any(|v| v.is_some()) {
            let mut address = current.address.clone();
            if let Some(v) = text_patch(&mut f, "address_street", self.address_street, 500) {
                address.street = v;
            }
            if let Some(v) = text_patch(&mut f, "address_city", self.address_city, NAME_MAX) {
                address.city = v;
            }
            if let Some(v) = text_patch(&mut f, "address_state", self.address_state, NAME_MAX) {
                address.state = v;
            }
            if let Some(v) = text_patch(&mut f, "address_zip", self.address_zip, 20) {
                address.zip = v;
            }
            if let Some(v) = self.address_country
                && let Some(v) = f.take(parse_country(v.as_deref()))
            {
                address.country = v;
            }
            country = address.country;
            patch.address = Some(address);
        }
        if let Some(phone) = self.phone {
            patch.phone = f.take(parse_phone(phone.as_deref(), country, organization_country));
        }

        // The household, merged over the stored one.
        let donor_type = match self.donor_type {
            None => Some(current.household.donor_type()),
            Some(None) => {
                f.push("donor_type", "cannot be null; expected 'individual' or 'couple'");
                None
            }
            Some(Some(raw)) => f.take(parse_donor_type(&raw)),
        };
        let spouse_given =
            self.spouse_first_name.is_some() || self.spouse_last_name.is_some() || self.spouse_email.is_some();
        let type_changes = donor_type.is_some_and(|t| t != current.household.donor_type());
        if let Some(donor_type) = donor_type
            && (spouse_given || type_changes)
        {
            let mut spouse = current.household.spouse().cloned().unwrap_or_default();
            let given_first = self.spouse_first_name.as_ref().and_then(|v| blank_to_none(v.as_deref())).is_some();
            let given_last = self.spouse_last_name.as_ref().and_then(|v| blank_to_none(v.as_deref())).is_some();
            let given_email = self.spouse_email.as_ref().and_then(|v| blank_to_none(v.as_deref())).is_some();
            if let Some(v) = text_patch(&mut f, "spouse_first_name", self.spouse_first_name, NAME_MAX) {
                spouse.first_name = v;
            }
            if let Some(v) = text_patch(&mut f, "spouse_last_name", self.spouse_last_name, NAME_MAX) {
                spouse.last_name = v;
            }
            if let Some(v) = self.spouse_email
                && let Some(v) = f.take(parse_email("spouse_email", v.as_deref()))
            {
                spouse.email = v;
            }
            match donor_type {
                DonorType::Couple => patch.household = Some(Household::Couple(spouse)),
                DonorType::Individual if spouse == Spouse::default() => patch.household = Some(Household::Individual),
                DonorType::Individual => {
                    let mut named = false;
                    for (field, given) in [
                        ("spouse_first_name", given_first),
                        ("spouse_last_name", given_last),
                        ("spouse_email", given_email),
                    ] {
                        if given {
                            f.record(spouse_on_individual(field));
                            named = true;
                        }
                    }
                    if !named {
                        f.push(
                            "donor_type",
                            "the donor has spouse details: clear spouse_first_name, spouse_last_name and \
                             spouse_email (null) to make them an individual",
                        );
                    }
                }
            }
        }

        if let Some(tags) = self.tags {
            patch.tags = f.take(parse_tags(tags.unwrap_or_default()));
        }
        if let Some(fields) = self.custom_fields {
            patch.custom_fields = f.take(parse_custom_fields(fields.unwrap_or(serde_json::Value::Null)));
        }
        f.finish(patch)
    }
}

/// Checks a journey stage move against the organization's graph.
fn check_transition(
    graph: Option<&JourneyGraph>,
    from: Option<&str>,
    to: &str,
    forced: bool,
) -> Result<(), ValueError> {
    let Some(graph) = graph else { return Ok(()) };
    check_known_stage(Some(graph), to)?;
    match from {
        None => Ok(()),
        Some(from) if from == to || forced || graph.allows(from, to) => Ok(()),
        Some(from) => {
            let next: Vec<&str> =
                graph.stage(from).map(|s| s.transitions.iter().map(|t| t.to.as_str()).collect()).unwrap_or_default();
            let allowed = if next.is_empty() { "none".to_owned() } else { next.join(", ") };
            Err(ValueError::new(
                "journey_stage",
                format!(
                    "the journey graph allows no move from '{from}' to '{to}'; allowed next stages: {allowed} \
                     (an admin may pass ?force=true)"
                ),
            ))
        }
    }
}

/// Changes a donor (`donors:write`); fields left out are unchanged, `null` clears.
#[utoipa::path(
    patch,
    path = "/donors/{id}",
    operation_id = "updateDonor",
    tag = "donors",
    params(
        ("id" = String, Path, format = Uuid, description = "The donor's id (a UUID); a malformed or unknown one is a 404"),
        ("force" = Option<bool>, Query,
            description = "Move the journey stage outside the graph's transitions; needs `staff:manage` too"),
    ),
    request_body = UpdateDonorRequest,
    responses(
        (status = 200, description = "The donor as changed", body = DonorResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<UpdateDonorQuery>,
    body: web::Json<UpdateDonorRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    if query.force {
        tenant.require(STAFF_MANAGE)?;
    }
    let id = donor_id(&id)?;
    let current = state.repos.donors.get(scope, id).await?.ok_or_else(not_found)?;
    // One read of the organization, when the patch needs its graph or its country.
    let national_phone = body.phone.as_ref().is_some_and(|p| is_national(p.as_deref()));
    let donor_country = match &body.address_country {
        None => current.address.country.is_some(),
        Some(country) => blank_to_none(country.as_deref()).is_some(),
    };
    let stage_given = matches!(body.journey_stage, Some(Some(_)));
    let organization = organization_if(&state, scope, stage_given || (national_phone && !donor_country)).await?;
    let patch = body.into_inner().into_patch(&current, organization.as_ref().and_then(|o| o.country))?;
    if let Some(Some(to)) = &patch.journey_stage
        && current.journey_stage.as_deref() != Some(to.as_str())
    {
        let graph = match &organization {
            Some(organization) => organization.journey_graph()?,
            None => state.repos.organizations.get(scope).await?.journey_graph()?,
        };
        check_transition(graph.as_ref(), current.journey_stage.as_deref(), to, query.force)?;
        if query.force {
            tracing::info!(donor = %id, from = ?current.journey_stage, to = %to, "journey stage forced by an admin");
        }
    }
    let donor = state.repos.donors.update(scope, id, patch).await.map_err(repo_not_found)?;
    Ok(HttpResponse::Ok().json(DonorResponse::from(donor)))
}

// ---------------------------------------------------------------------------------------------
// Delete, restore, erase

/// Soft-deletes a donor (`donors:write`): hidden from lists and reads until restored.
#[utoipa::path(
    delete,
    path = "/donors/{id}",
    operation_id = "deleteDonor",
    tag = "donors",
    params(("id" = String, Path, format = Uuid, description = "The donor's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Soft-deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = donor_id(&id)?;
    state.repos.donors.soft_delete(scope, id).await.map_err(repo_not_found)?;
    tracing::info!(donor = %id, "donor soft-deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Restores a soft-deleted donor (`donors:write`).
#[utoipa::path(
    post,
    path = "/donors/{id}/restore",
    operation_id = "restoreDonor",
    tag = "donors",
    params(("id" = String, Path, format = Uuid, description = "The donor's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The restored donor", body = DonorResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn restore_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = donor_id(&id)?;
    let donor = state.repos.donors.restore(scope, id).await.map_err(repo_not_found)?;
    tracing::info!(donor = %id, "donor restored");
    Ok(HttpResponse::Ok().json(DonorResponse::from(donor)))
}

/// Erases a donor for good, deleted or not, with every row about them (`donors:write` and
/// `staff:manage`).
#[utoipa::path(
    delete,
    path = "/donors/{id}/erase",
    operation_id = "eraseDonor",
    tag = "donors",
    params(("id" = String, Path, format = Uuid, description = "The donor's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn erase_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    tenant.require(DONORS_WRITE)?;
    let scope = tenant.require(STAFF_MANAGE)?;
    let id = donor_id(&id)?;
    state.repos.donors.hard_delete(scope, id).await.map_err(repo_not_found)?;
    tracing::info!(donor = %id, "donor erased");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_donor,
        list_donors,
        list_deleted_donors,
        get_donor,
        update_donor,
        delete_donor,
        restore_donor,
        erase_donor
    ),
    components(schemas(DonorResponse, GivingResponse, YearTotalResponse, CreateDonorRequest, UpdateDonorRequest))
)]
pub struct Api;
