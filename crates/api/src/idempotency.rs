//! `Idempotency-Key` for POSTs that create money or send mail: the same key with the same
//! request returns the first response (with `Idempotent-Replayed: true`) instead of acting
//! twice; the same key with another request is a 422 `idempotency_key_reused`; a repeat while
//! the first is still running is a 409 `idempotency_in_progress`. Keys are per organization.
//!
//! Only a successful (2xx) response is stored. A request that fails frees its key, so a retry
//! runs again: our failures have no side effect to protect (a create is one INSERT that either
//! committed or did not). A request refused before it reached the store (a 422 on its body)
//! never reserves the key at all. Keys are kept at least 24 hours: each process deletes keys
//! older than [`RETENTION`] at most once per [`PRUNE_EVERY`], in the background of a request
//! that carries a key. See docs/decisions/0017-idempotency-keys.md.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use givance_domain::idempotency::{IDEMPOTENCY_KEY_HEADER, IdempotencyKey, Reservation, StoredResponse};
use givance_domain::shared::time::now;
use givance_domain::{OrgScope, ValueError};
use givance_infra::repositories::request_fingerprint;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// The header on a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// The problem code of a key reused with another request.
pub const KEY_REUSED: &str = "idempotency_key_reused";
/// The problem code of a repeat while the first request runs.
pub const IN_PROGRESS: &str = "idempotency_in_progress";
/// Rows older than this are pruned; the promise to clients is at least 24 hours.
pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(48);
/// How often one process prunes, at most.
pub const PRUNE_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// When this process last pruned, in Unix seconds (0: never).
static LAST_PRUNE: AtomicI64 = AtomicI64::new(0);

/// Runs `work` under the request's `Idempotency-Key`, if it has one; `body` is the parsed
/// request, whose canonical JSON (with the method and path) is the request's fingerprint, so
/// whitespace and key order do not make two requests different. Without the header this adds
/// nothing, not even a query.
pub(crate) async fn idempotent<B, T, F, Fut>(
    state: &AppState,
    scope: &OrgScope,
    req: &HttpRequest,
    body: &B,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    B: Serialize,
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let Some(key) = key_of(req)? else {
        let (status, value) = work().await?;
        return Ok(HttpResponse::build(status).json(value));
    };
    let canonical = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let fingerprint = request_fingerprint(req.method().as_str(), req.path(), &canonical);
    prune_now_and_then(state);

    let store = &state.repos.idempotency;
    match store.reserve(scope, &key, &fingerprint).await? {
        // While the first request runs nothing is known of its outcome: any repeat waits.
        Reservation::Existing(record) if record.response.is_none() => Err(ApiError::conflict(
            IN_PROGRESS,
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )),
        Reservation::Existing(record) if record.fingerprint != fingerprint => Ok(key_reused()),
        Reservation::Existing(record) => Ok(record.response.map_or_else(key_reused, replay)),
        Reservation::Reserved => match work().await {
            Ok((status, value)) => {
                let body = serde_json::to_string(&value).map_err(ApiError::internal)?;
                let stored = StoredResponse { status: status.as_u16(), body: body.clone() };
                // The work is done: answer it even if it cannot be recorded. The key then stays
                // reserved (repeats get a 409 until it is pruned) rather than freed, which could
                // let a retry act twice.
                if let Err(err) = store.complete(scope, &key, stored).await {
                    tracing::error!(error = %err, "an idempotent response could not be stored");
                }
                Ok(HttpResponse::build(status).content_type("application/json").body(body))
            }
            Err(err) => {
                if let Err(release) = store.release(scope, &key).await {
                    tracing::warn!(error = %release, "an idempotency key could not be released");
                }
                Err(err)
            }
        },
    }
}

/// The request's key: `None` without the header, a 422 naming it when it is malformed.
fn key_of(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let raw = raw
        .to_str()
        .map_err(|_| ValueError::new(IDEMPOTENCY_KEY_HEADER, "only printable ASCII characters are allowed"))?;
    Ok(Some(IdempotencyKey::parse(raw)?))
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((REPLAYED_HEADER, "true"))
        .body(stored.body)
}

/// A 422 naming the header, under its own stable code rather than `validation_failed`.
fn key_reused() -> HttpResponse {
    ApiError::unprocessable(
        KEY_REUSED,
        [ValueError::new(
            IDEMPOTENCY_KEY_HEADER,
            "was already used with a different request; send a new key for a new request",
        )],
    )
    .error_response()
}

/// Deletes expired keys at most once per [`PRUNE_EVERY`] per process, off the request's path.
fn prune_now_and_then(state: &AppState) {
    let at = now();
    let last = LAST_PRUNE.load(Ordering::Relaxed);
    if at.timestamp() - last < PRUNE_EVERY.num_seconds() {
        return;
    }
    // Of concurrent requests, the one that moves the clock prunes.
    if LAST_PRUNE.compare_exchange(last, at.timestamp(), Ordering::Relaxed, Ordering::Relaxed).is_err() {
        return;
    }
    let store = state.repos.idempotency.clone();
    tokio::spawn(async move {
        match store.prune(at - RETENTION).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "expired idempotency keys deleted"),
            Err(err) => tracing::warn!(error = %err, "expired idempotency keys could not be deleted"),
        }
    });
}
