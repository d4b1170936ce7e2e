//! The row mappings between the domain's entities and their SeaORM rows, one per entity, shared
//! by the repositories, the CSV import and export and the demo generator, and the small
//! conversions they are built from.

use std::str::FromStr;

use givance_domain::donation::{Donation, PaymentMethod, Recurrence, RecurringFrequency};
use givance_domain::donor::{Address, Donor, DonorType, Household, Spouse};
use givance_domain::{
    Currency, DonationId, DonorId, EmailAddress, Money, PhoneNumber, ProjectId, RepoError, Timestamp, ValueError,
};
use sea_orm::ActiveValue::Set;
use sea_orm::prelude::Json;
use uuid::Uuid;

use crate::entities::{donation, donor};
use crate::money::stored_amount;

/// A timestamp the application always writes; a NULL means the row was written by hand.
pub(crate) fn required_timestamp(column: &str, value: Option<Timestamp>) -> Result<Timestamp, RepoError> {
    value.ok_or_else(|| RepoError::Corrupt(format!("{column} is NULL")))
}

/// Parses an optional stored text into a value object.
pub(crate) fn parse_optional<T>(value: Option<String>) -> Result<Option<T>, RepoError>
where
    T: FromStr<Err = ValueError>,
{
    value.map(|text| text.parse::<T>()).transpose().map_err(RepoError::from)
}

/// An email address this system stored (validated on the way in; see
/// [`EmailAddress::from_normalised`]).
pub(crate) fn stored_email(value: Option<String>) -> Result<Option<EmailAddress>, RepoError> {
    Ok(value.map(EmailAddress::from_normalised).transpose()?)
}

/// A JSON array of strings (the schema's TEXT[] columns); NULL reads as empty.
pub(crate) fn string_list(column: &str, value: Option<Json>) -> Result<Vec<String>, RepoError> {
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(json) => serde_json::from_value(json).map_err(|e| RepoError::Corrupt(format!("{column}: {e}"))),
    }
}

pub(crate) fn string_list_json(values: &[String]) -> Json {
    Json::from(values.to_vec())
}

/// The one mapping of a stored donor row to the entity.
pub(crate) fn donor_to_domain(m: donor::Model) -> Result<Donor, RepoError> {
    let donor_type = parse_optional::<DonorType>(m.donor_type)?.unwrap_or(DonorType::Individual);
    let spouse =
        Spouse { first_name: m.spouse_first_name, last_name: m.spouse_last_name, email: stored_email(m.spouse_email)? };
    Ok(Donor {
        id: DonorId::from_uuid(m.id),
        external_id: m.external_id,
        household: Household::from_parts(donor_type, spouse)?,
        first_name: m.first_name,
        last_name: m.last_name,
        email: stored_email(m.email)?,
        phone: m.phone.map(PhoneNumber::from_e164).transpose()?,
        address: Address {
            street: m.address_street,
            city: m.address_city,
            state: m.address_state,
            zip: m.address_zip,
            country: parse_optional(m.address_country)?,
        },
        journey_stage: m.journey_stage,
        ai_classification: m.ai_classification,
        last_contact_date: m.last_contact_date,
        notes: m.notes,
        tags: string_list("tags", m.tags)?,
        custom_fields: m.custom_fields,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
        deleted_at: m.deleted_at,
    })
}

/// Every column of a new row: the keys and created_at, the organization's id from `org`.
pub(crate) fn donor_new_row(org: Uuid, d: &Donor) -> donor::ActiveModel {
    donor::ActiveModel {
        id: Set(d.id.into_uuid()),
        organization_id: Set(org),
        created_at: Set(Some(d.created_at)),
        ..donor_changes(d)
    }
}

/// Every column but the keys (id, organization_id) and created_at, which never change.
pub(crate) fn donor_changes(d: &Donor) -> donor::ActiveModel {
    let spouse = d.household.spouse();
    donor::ActiveModel {
        external_id: Set(d.external_id.clone()),
        donor_type: Set(Some(d.household.donor_type().as_str().to_owned())),
        first_name: Set(d.first_name.clone()),
        last_name: Set(d.last_name.clone()),
        email: Set(d.email.as_ref().map(|e| e.as_str().to_owned())),
        phone: Set(d.phone.as_ref().map(|p| p.as_str().to_owned())),
        spouse_first_name: Set(spouse.and_then(|s| s.first_name.clone())),
        spouse_last_name: Set(spouse.and_then(|s| s.last_name.clone())),
        spouse_email: Set(spouse.and_then(|s| s.email.as_ref().map(|e| e.as_str().to_owned()))),
        address_street: Set(d.address.street.clone()),
        address_city: Set(d.address.city.clone()),
        address_state: Set(d.address.state.clone()),
        address_zip: Set(d.address.zip.clone()),
        address_country: Set(d.address.country.map(|c| c.as_str().to_owned())),
        journey_stage: Set(d.journey_stage.clone()),
        ai_classification: Set(d.ai_classification.clone()),
        last_contact_date: Set(d.last_contact_date),
        notes: Set(d.notes.clone()),
        tags: Set(Some(string_list_json(&d.tags))),
        custom_fields: Set(d.custom_fields.clone()),
        updated_at: Set(Some(d.updated_at)),
        deleted_at: Set(d.deleted_at),
        ..Default::default()
    }
}

/// The one mapping of a stored donation row to the entity.
pub(crate) fn donation_to_domain(m: donation::Model) -> Result<Donation, RepoError> {
    let currency = parse_optional::<Currency>(m.currency)?.unwrap_or_default();
    let frequency = parse_optional::<RecurringFrequency>(m.recurring_frequency)?;
    Ok(Donation {
        id: DonationId::from_uuid(m.id),
        donor_id: DonorId::from_uuid(m.donor_id),
        project_id: m.project_id.map(ProjectId::from_uuid),
        amount: Money::new(stored_amount(m.amount), currency)?,
        date: m.date,
        payment_method: parse_optional::<PaymentMethod>(m.payment_method)?,
        reference_number: m.reference_number,
        notes: m.notes,
        recurrence: Recurrence::from_parts(m.is_recurring.unwrap_or(false), frequency)?,
        tax_deductible: m.tax_deductible.unwrap_or(true),
        receipt_sent: m.receipt_sent.unwrap_or(false) || m.receipt_sent_date.is_some(),
        receipt_sent_date: m.receipt_sent_date,
        created_at: required_timestamp("created_at", m.created_at)?,
        updated_at: required_timestamp("updated_at", m.updated_at)?,
    })
}

/// Every column of a new row: the keys and created_at, the organization's id from `org`.
pub(crate) fn donation_new_row(org: Uuid, d: &Donation) -> donation::ActiveModel {
    donation::ActiveModel {
        id: Set(d.id.into_uuid()),
        organization_id: Set(org),
        created_at: Set(Some(d.created_at)),
        ..donation_changes(d)
    }
}

/// Every column but the keys (id, organization_id) and created_at, which never change.
pub(crate) fn donation_changes(d: &Donation) -> donation::ActiveModel {
    donation::ActiveModel {
        donor_id: Set(d.donor_id.into_uuid()),
        project_id: Set(d.project_id.map(ProjectId::into_uuid)),
        amount: Set(d.amount.amount()),
        currency: Set(Some(d.amount.currency().code().to_owned())),
        date: Set(d.date),
        payment_method: Set(d.payment_method.map(|m| m.as_str().to_owned())),
        reference_number: Set(d.reference_number.clone()),
        notes: Set(d.notes.clone()),
        is_recurring: Set(Some(d.recurrence.is_recurring())),
        recurring_frequency: Set(d.recurrence.frequency().map(|f| f.as_str().to_owned())),
        tax_deductible: Set(Some(d.tax_deductible)),
        receipt_sent: Set(Some(d.receipt_sent)),
        receipt_sent_date: Set(d.receipt_sent_date),
        updated_at: Set(Some(d.updated_at)),
        ..Default::default()
    }
}
