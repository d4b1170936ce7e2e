//! The definition of a dynamic donor list: which of the organization's active donors belong to
//! it. Clients send it as a JSON object; [`DonorFilter::parse`] reads it into typed criteria,
//! refusing unknown fields and bad values with the JSON path of each
//! (`filters.lifetime_giving.min`), and [`DonorFilter::to_json`] writes the normalised form that
//! is stored and returned. Every criterion present must hold (AND); values inside one criterion
//! are alternatives (OR), except `tags.all`. See docs/decisions/0028-donor-lists.md.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::donor::{DonorType, NAME_MAX, TAG_MAX};
use crate::research::GivingCapacity;
use crate::shared::{CountryCode, Currency, Money, Timestamp, ValueError};

/// The most values one criterion may list (stages, tags, cities, ...).
pub const VALUES_MAX: usize = 100;

/// The criteria of a dynamic list. An empty filter matches every active donor.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DonorFilter {
    /// The donor's journey stage is one of these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub journey_stages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagFilter>,
    /// A donor without a type is an individual (the schema's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub donor_type: Option<DonorType>,
    /// The address city is one of these, ignoring case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cities: Vec<String>,
    /// The address state is one of these, ignoring case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<CountryCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_giving: Option<GivingRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gift_count: Option<CountRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_gift: Option<DateWindow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_email: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<TimeWindow>,
    /// The giving capacity of the donor's latest completed research is one of these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub giving_capacity: Vec<GivingCapacity>,
}

/// Tags: at least one of `any` (when given) and every one of `all` (when given).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TagFilter {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<String>,
}

/// The sum of a donor's counted gifts in one currency, `min <= sum <= max`. Sums never mix
/// currencies, so the currency is required.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GivingRange {
    pub currency: Currency,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Decimal>,
}

/// The number of a donor's counted gifts, in any currency, `min <= count <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

/// The date of a donor's latest counted gift: strictly after `after`, strictly before `before`.
/// A donor who never gave has no latest gift and never matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateWindow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<NaiveDate>,
}

/// When the donor was created: at or after `from`, strictly before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeWindow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
}

impl DonorFilter {
    /// The filter that `value` (found at `path` of the request, e.g. `filters`) describes, or
    /// every fault in it, each named by its JSON path.
    pub fn parse(path: &str, value: &Value) -> Result<Self, Vec<ValueError>> {
        let mut reader = Reader::default();
        let filter = reader.filter(path, value);
        match (filter, reader.faults.is_empty()) {
            (Some(filter), true) => Ok(filter),
            _ => Err(reader.faults),
        }
    }

    /// The normalised JSON form: what is stored, returned, and parses back to the same filter.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// Whether the filter reads donations (giving amounts, counts or dates), which callers may
    /// only use when they can read donations themselves.
    pub fn reads_donations(&self) -> bool {
        self.lifetime_giving.is_some() || self.gift_count.is_some() || self.last_gift.is_some()
    }
}

const FIELDS: &[&str] = &[
    "journey_stages",
    "tags",
    "donor_type",
    "cities",
    "states",
    "countries",
    "lifetime_giving",
    "gift_count",
    "last_gift",
    "has_email",
    "created",
    "giving_capacity",
];

/// Reads a JSON value criterion by criterion, recording each fault under its path.
#[derive(Default)]
struct Reader {
    faults: Vec<ValueError>,
}

fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

impl Reader {
    fn fault(&mut self, path: String, message: impl Into<String>) {
        self.faults.push(ValueError::new(path, message));
    }

    /// `value` as an object whose keys are all `allowed`.
    fn object<'v>(&mut self, path: &str, value: &'v Value, allowed: &[&str]) -> Option<&'v Map<String, Value>> {
        let Some(object) = value.as_object() else {
            self.fault(path.to_owned(), "must be a JSON object");
            return None;
        };
        for key in object.keys().filter(|key| !allowed.contains(&key.as_str())) {
            self.fault(child(path, key), format!("is not a known field; expected one of {}", allowed.join(", ")));
        }
        Some(object)
    }

    fn filter(&mut self, path: &str, value: &Value) -> Option<DonorFilter> {
        let object = self.object(path, value, FIELDS)?;
        let mut filter = DonorFilter::default();
        for (key, value) in object {
            let at = child(path, key);
            match key.as_str() {
                "journey_stages" => filter.journey_stages = self.texts(&at, value, NAME_MAX).unwrap_or_default(),
                "tags" => filter.tags = self.tags(&at, value),
                "donor_type" => filter.donor_type = self.parsed(&at, value),
                "cities" => filter.cities = self.texts(&at, value, NAME_MAX).unwrap_or_default(),
                "states" => filter.states = self.texts(&at, value, NAME_MAX).unwrap_or_default(),
                "countries" => filter.countries = self.parsed_list(&at, value).unwrap_or_default(),
                "lifetime_giving" => filter.lifetime_giving = self.giving(&at, value),
                "gift_count" => filter.gift_count = self.count_range(&at, value),
                "last_gift" => filter.last_gift = self.date_window(&at, value),
                "has_email" => filter.has_email = self.boolean(&at, value),
                "created" => filter.created = self.time_window(&at, value),
                "giving_capacity" => filter.giving_capacity = self.parsed_list(&at, value).unwrap_or_default(),
                _ => {} // refused by `object`
            }
        }
        Some(filter)
    }

    /// A non-empty array of at most [`VALUES_MAX`] items.
    fn array<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v [Value]> {
        match value.as_array() {
            None => self.fault(path.to_owned(), "must be an array"),
            Some(items) if items.is_empty() => self.fault(path.to_owned(), "must list at least one value"),
            Some(items) if items.len() > VALUES_MAX => {
                self.fault(path.to_owned(), format!("may list at most {VALUES_MAX} values"))
            }
            Some(items) => return Some(items),
        }
        None
    }

    /// An array of non-blank strings of at most `max` characters, trimmed, without duplicates.
    fn texts(&mut self, path: &str, value: &Value, max: usize) -> Option<Vec<String>> {
        let items = self.array(path, value)?;
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(str::trim) {
                Some(text) if !text.is_empty() && text.chars().count() <= max => {
                    if !out.iter().any(|seen| seen == text) {
                        out.push(text.to_owned());
                    }
                }
                _ => self.fault(format!("{path}[{i}]"), format!("must be a string of 1-{max} characters")),
            }
        }
        Some(out)
    }

    /// A string read with `T`'s `FromStr` (a value of a string enum, a country code).
    fn parsed<T: FromStr<Err = ValueError>>(&mut self, path: &str, value: &Value) -> Option<T> {
        let Some(text) = value.as_str() else {
            self.fault(path.to_owned(), "must be a string");
            return None;
        };
        text.trim().parse().map_err(|e: ValueError| self.fault(path.to_owned(), e.message)).ok()
    }

    fn parsed_list<T: FromStr<Err = ValueError> + PartialEq>(&mut self, path: &str, value: &Value) -> Option<Vec<T>> {
        let items = self.array(path, value)?;
        let mut out: Vec<T> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(parsed) = self.parsed::<T>(&format!("{path}[{i}]"), item)
                && !out.contains(&parsed)
            {
                out.push(parsed);
            }
        }
        Some(out)
    }

    fn boolean(&mut self, path: &str, value: &Value) -> Option<bool> {
        let flag = value.as_bool();
        if flag.is_none() {
            self.fault(path.to_owned(), "must be true or false");
        }
        flag
    }

    fn tags(&mut self, path: &str, value: &Value) -> Option<TagFilter> {
        let object = self.object(path, value, &["any", "all"])?;
        if object.is_empty() {
            self.fault(path.to_owned(), "must set any, all or both");
        }
        let mut tags = TagFilter::default();
        if let Some(any) = object.get("any") {
            tags.any = self.texts(&child(path, "any"), any, TAG_MAX).unwrap_or_default();
        }
        if let Some(all) = object.get("all") {
            tags.all = self.texts(&child(path, "all"), all, TAG_MAX).unwrap_or_default();
        }
        Some(tags)
    }

    /// An object with `allowed` keys of which at least one bound (`bounds`) is set.
    fn bounds<'v>(&mut self, path: &str, value: &'v Value, allowed: &[&str]) -> Option<&'v Map<String, Value>> {
        let object = self.object(path, value, allowed)?;
        let (low, high) = (allowed[0], allowed[1]);
        if !object.contains_key(low) && !object.contains_key(high) {
            self.fault(path.to_owned(), format!("must set {low}, {high} or both"));
        }
        Some(object)
    }

    /// `high` is not below `low`; the fault is the upper bound's.
    fn ordered<T: PartialOrd>(&mut self, path: &str, names: (&str, &str), bounds: (Option<T>, Option<T>)) {
        if let (Some(low), Some(high)) = bounds
            && high < low
        {
            self.fault(child(path, names.1), format!("must not be less than {}", names.0));
        }
    }

    fn giving(&mut self, path: &str, value: &Value) -> Option<GivingRange> {
        let object = self.bounds(path, value, &["min", "max", "currency"])?;
        let currency = match object.get("currency") {
            None => {
                self.fault(child(path, "currency"), "is required: sums never mix currencies");
                None
            }
            Some(code) => self.parsed::<Currency>(&child(path, "currency"), code),
        };
        let min = object.get("min").and_then(|v| self.amount(&child(path, "min"), v));
        let max = object.get("max").and_then(|v| self.amount(&child(path, "max"), v));
        self.ordered(path, ("min", "max"), (min, max));
        Some(GivingRange { currency: currency?, min, max })
    }

    /// A decimal string, zero or more, at most two places.
    fn amount(&mut self, path: &str, value: &Value) -> Option<Decimal> {
        let Some(text) = value.as_str().map(str::trim) else {
            self.fault(path.to_owned(), "must be a decimal string such as \"100.00\"");
            return None;
        };
        let amount = Decimal::from_str_exact(text)
            .map_err(|_| ValueError::new("amount", format!("'{text}' is not a decimal amount")))
            .and_then(Money::check_amount);
        match amount {
            Ok(amount) if amount >= Decimal::ZERO => Some(amount),
            Ok(_) => {
                self.fault(path.to_owned(), "must not be negative");
                None
            }
            Err(e) => {
                self.fault(path.to_owned(), e.message);
                None
            }
        }
    }

    fn count_range(&mut self, path: &str, value: &Value) -> Option<CountRange> {
        let object = self.bounds(path, value, &["min", "max"])?;
        let mut count = |key: &str| {
            let value = object.get(key)?;
            let n = value.as_u64().and_then(|n| u32::try_from(n).ok());
            if n.is_none() {
                self.fault(child(path, key), "must be a whole number, zero or more");
            }
            n
        };
        let range = CountRange { min: count("min"), max: count("max") };
        self.ordered(path, ("min", "max"), (range.min, range.max));
        Some(range)
    }

    fn date_window(&mut self, path: &str, value: &Value) -> Option<DateWindow> {
        let object = self.bounds(path, value, &["after", "before"])?;
        let mut date = |key: &str| {
            let raw = object.get(key)?;
            let date = raw.as_str().and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok());
            if date.is_none() {
                self.fault(child(path, key), "must be a date (YYYY-MM-DD)");
            }
            date
        };
        let window = DateWindow { after: date("after"), before: date("before") };
        self.ordered(path, ("after", "before"), (window.after, window.before));
        Some(window)
    }

    fn time_window(&mut self, path: &str, value: &Value) -> Option<TimeWindow> {
        let object = self.bounds(path, value, &["from", "to"])?;
        let mut time = |key: &str| {
            let raw = object.get(key)?;
            let time = raw.as_str().and_then(|s| parse_instant(s.trim()));
            if time.is_none() {
                self.fault(child(path, key), "must be an RFC 3339 timestamp or a date (YYYY-MM-DD, midnight UTC)");
            }
            time
        };
        let window = TimeWindow { from: time("from"), to: time("to") };
        self.ordered(path, ("from", "to"), (window.from, window.to));
        Some(window)
    }
}

/// An RFC 3339 timestamp, or a date meaning its midnight UTC; truncated to microseconds.
fn parse_instant(raw: &str) -> Option<Timestamp> {
    use chrono::SubsecRound;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN).and_utc()))
        .map(|t| t.trunc_subsecs(6))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn faults(value: Value) -> Vec<(String, String)> {
        DonorFilter::parse("filters", &value)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field.into_owned(), e.message))
            .collect()
    }

    fn paths(value: Value) -> Vec<String> {
        faults(value).into_iter().map(|(path, _)| path).collect()
    }

    #[test]
    fn reads_every_criterion_and_writes_it_back_normalised() {
        let input = json!({
            "journey_stages": [" prospect ", "donor", "prospect"],
            "tags": { "any": ["gala", "board"], "all": ["vip"] },
            "donor_type": "couple",
            "cities": ["Boston"],
            "states": ["MA"],
            "countries": ["us", "CA"],
            "lifetime_giving": { "currency": "usd", "min": "100", "max": "5000.5" },
            "gift_count": { "min": 2 },
            "last_gift": { "after": "2025-01-01", "before": "2026-01-01" },
            "has_email": true,
            "created": { "from": "2024-01-01", "to": "2025-06-30T12:00:00+02:00" },
            "giving_capacity": ["high", "major"]
        });
        let filter = DonorFilter::parse("filters", &input).unwrap();
        assert_eq!(filter.journey_stages, ["prospect", "donor"]);
        assert_eq!(filter.countries, [CountryCode::US, CountryCode::parse("CA").unwrap()]);
        assert_eq!(filter.donor_type, Some(DonorType::Couple));
        assert_eq!(filter.lifetime_giving.as_ref().unwrap().min.unwrap().to_string(), "100.00");
        assert!(filter.reads_donations());
        let stored = filter.to_json();
        assert_eq!(stored["lifetime_giving"], json!({ "currency": "USD", "min": "100.00", "max": "5000.50" }));
        assert_eq!(stored["created"]["from"], json!("2024-01-01T00:00:00Z"));
        assert_eq!(stored["created"]["to"], json!("2025-06-30T10:00:00Z"));
        assert_eq!(stored["countries"], json!(["US", "CA"]));
        assert_eq!(DonorFilter::parse("filters", &stored).unwrap(), filter, "the stored form reads back");
    }

    #[test]
    fn an_empty_filter_matches_everyone() {
        let filter = DonorFilter::parse("filters", &json!({})).unwrap();
        assert_eq!(filter, DonorFilter::default());
        assert!(!filter.reads_donations());
        assert_eq!(filter.to_json(), json!({}));
    }

    #[test]
    fn faults_are_named_by_their_json_path() {
        assert_eq!(paths(json!([])), ["filters"]);
        assert_eq!(paths(json!({ "stage": ["x"] })), ["filters.stage"]);
        assert_eq!(
            paths(json!({ "lifetime_giving": { "currency": "USD", "min": "abc" } })),
            ["filters.lifetime_giving.min"]
        );
        assert_eq!(
            paths(json!({ "lifetime_giving": { "currency": "USD", "min": 10 } })),
            ["filters.lifetime_giving.min"]
        );
        assert_eq!(
            paths(json!({ "lifetime_giving": { "currency": "USD", "min": "-1" } })),
            ["filters.lifetime_giving.min"]
        );
        assert_eq!(paths(json!({ "lifetime_giving": { "min": "1" } })), ["filters.lifetime_giving.currency"]);
        assert_eq!(
            paths(json!({ "lifetime_giving": { "currency": "USD", "min": "9", "max": "1" } })),
            ["filters.lifetime_giving.max"]
        );
        assert_eq!(
            paths(json!({ "lifetime_giving": { "currency": "USD", "min": "1", "least": "1" } })),
            ["filters.lifetime_giving.least"]
        );
        assert_eq!(paths(json!({ "lifetime_giving": { "currency": "USD" } })), ["filters.lifetime_giving"]);
        assert_eq!(paths(json!({ "gift_count": { "min": -1 } })), ["filters.gift_count.min"]);
        assert_eq!(paths(json!({ "gift_count": { "min": 1.5 } })), ["filters.gift_count.min"]);
        assert_eq!(paths(json!({ "gift_count": {} })), ["filters.gift_count"]);
        assert_eq!(paths(json!({ "last_gift": { "after": "2025-13-01" } })), ["filters.last_gift.after"]);
        assert_eq!(
            paths(json!({ "last_gift": { "after": "2026-01-01", "before": "2025-01-01" } })),
            ["filters.last_gift.before"]
        );
        assert_eq!(paths(json!({ "created": { "from": "yesterday" } })), ["filters.created.from"]);
        assert_eq!(paths(json!({ "journey_stages": [] })), ["filters.journey_stages"]);
        assert_eq!(
            paths(json!({ "journey_stages": ["ok", " ", 3] })),
            ["filters.journey_stages[1]", "filters.journey_stages[2]"]
        );
        assert_eq!(paths(json!({ "tags": { "any": "vip" } })), ["filters.tags.any"]);
        assert_eq!(paths(json!({ "tags": {} })), ["filters.tags"]);
        assert_eq!(paths(json!({ "donor_type": "company" })), ["filters.donor_type"]);
        assert_eq!(paths(json!({ "countries": ["US", "XX"] })), ["filters.countries[1]"]);
        assert_eq!(paths(json!({ "giving_capacity": ["huge"] })), ["filters.giving_capacity[0]"]);
        assert_eq!(paths(json!({ "has_email": "yes" })), ["filters.has_email"]);
        let many: Vec<String> = (0..=VALUES_MAX).map(|i| format!("c{i}")).collect();
        assert_eq!(paths(json!({ "cities": many })), ["filters.cities"]);
    }

    #[test]
    fn every_fault_is_reported_at_once() {
        let all = faults(json!({ "donor_type": 1, "gift_count": { "max": "3" }, "colour": "red" }));
        let mut paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["filters.colour", "filters.donor_type", "filters.gift_count.max"]);
        let unknown = all.iter().find(|(p, _)| p == "filters.colour").unwrap();
        assert!(unknown.1.contains("journey_stages"), "{}", unknown.1);
    }
}
