//! One id per request: taken from a sane incoming `x-request-id` (a proxy's) or made here
//! (UUID v7), returned in the `x-request-id` response header, carried by the `request` span
//! so that every log line of the request shows it, and put in every problem body.

use std::fmt;
use std::future::{Ready, ready};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::Serialize;
use tracing::Instrument;

/// The request id header, read and written.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

const MAX_LEN: usize = 128;

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of one request. Also an extractor, for handlers that want it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RequestId(String);

impl RequestId {
    fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// An incoming id is kept only if it is short and made of `[A-Za-z0-9._:-]`, so that
    /// nothing a client sends can forge log lines.
    fn from_header(value: &HeaderValue) -> Option<Self> {
        let value = value.to_str().ok()?;
        let sane = !value.is_empty()
            && value.len() <= MAX_LEN
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        sane.then(|| Self(value.to_owned()))
    }

    /// The id of the request being handled on this task, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().cloned().unwrap_or_else(RequestId::generate);
        ready(Ok(id))
    }
}

/// Health probes hit every few seconds; their completion is logged at debug only.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// Middleware: assigns the id, runs the request inside a `request` span carrying it, logs one
/// line when the response is ready and sets the response header.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.headers().get(&REQUEST_ID_HEADER).and_then(RequestId::from_header).unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let probe = is_probe(req.path());
    let started = Instant::now();

    let mut response = CURRENT.scope(id.clone(), next.call(req)).instrument(span.clone()).await?;

    let status = response.status().as_u16();
    let elapsed_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    span.in_scope(|| {
        if probe {
            tracing::debug!(status, elapsed_ms, "request finished");
        } else {
            tracing::info!(status, elapsed_ms, "request finished");
        }
    });
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn keeps_sane_incoming_ids_and_refuses_the_rest() {
        let keep = |s: &str| RequestId::from_header(&HeaderValue::from_str(s).unwrap()).map(|id| id.0);
        assert_eq!(keep("abc-123_x.y:z").as_deref(), Some("abc-123_x.y:z"));
        assert_eq!(
            keep("0190b1a4-7c1e-7000-8000-000000000000").as_deref(),
            Some("0190b1a4-7c1e-7000-8000-000000000000")
        );
        assert_eq!(keep(""), None);
        assert_eq!(keep("has space"), None);
        assert_eq!(keep("line\tbreak"), None);
        assert_eq!(keep(&"x".repeat(MAX_LEN + 1)), None);
    }

    #[test]
    fn generated_ids_are_uuids() {
        let id = RequestId::generate();
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
    }
}
