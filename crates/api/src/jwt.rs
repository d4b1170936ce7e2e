//! Verifying JWTs from an external identity provider (Clerk-compatible): the signature against
//! configured keys (an HS256 secret, a JWKS file, or a JWKS URL fetched and cached), then `exp`,
//! `nbf`, and the issuer and audience when configured. `sub` names the user (users.clerk_id) and
//! `org_id` the organization (organizations.clerk_id).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, errors::ErrorKind};
use serde::Deserialize;
use tokio::sync::Mutex;

/// How long a fetched JWKS is used before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(600);
/// An unknown `kid` makes a fetch (the provider rotated its keys), but at most this often.
const JWKS_REFETCH_MIN: Duration = Duration::from_secs(30);
const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// The claims Givance reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// The user: `users.clerk_id`.
    pub sub: String,
    /// The organization: `organizations.clerk_id`.
    pub org_id: Option<String>,
    /// The user's email address; only read on an invited user's first sign-in.
    #[serde(default)]
    pub email: Option<String>,
    /// `false` when the provider says it has not verified `email` (then it binds nothing).
    #[serde(default)]
    pub email_verified: Option<bool>,
}

/// Why a JWT was refused; every variant is a 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("JWTs are not accepted: no JWT verification keys are configured")]
    NotConfigured,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    /// The keys could not be fetched (the JWKS URL did not answer).
    #[error("the token cannot be verified now: {0}")]
    KeysUnavailable(String),
}

/// Where verification keys come from.
enum KeySource {
    Hs256(DecodingKey),
    Jwks(JwkSet),
    JwksUrl(RemoteJwks),
}

struct RemoteJwks {
    url: String,
    client: reqwest::Client,
    cache: Mutex<Option<(Arc<JwkSet>, Instant)>>,
}

impl RemoteJwks {
    async fn keys(&self, kid: Option<&str>) -> Result<Arc<JwkSet>, JwtError> {
        let mut cache = self.cache.lock().await;
        if let Some((set, fetched)) = cache.as_ref() {
            let fresh = fetched.elapsed() < JWKS_TTL;
            let known = kid.is_none_or(|kid| set.find(kid).is_some());
            if fresh && (known || fetched.elapsed() < JWKS_REFETCH_MIN) {
                return Ok(set.clone());
            }
        }
        match self.fetch().await {
            Ok(set) => {
                let set = Arc::new(set);
                *cache = Some((set.clone(), Instant::now()));
                Ok(set)
            }
            // Keep using what we had if the provider is briefly down.
            Err(err) => match cache.as_ref() {
                Some((set, _)) => {
                    tracing::warn!(url = %self.url, error = %err, "refreshing the JWKS failed; using the cached keys");
                    Ok(set.clone())
                }
                None => Err(err),
            },
        }
    }

    async fn fetch(&self) -> Result<JwkSet, JwtError> {
        let unavailable = |e: reqwest::Error| JwtError::KeysUnavailable(format!("fetching the JWKS failed: {e}"));
        let response = self.client.get(&self.url).send().await.map_err(unavailable)?;
        let response = response.error_for_status().map_err(unavailable)?;
        response.json::<JwkSet>().await.map_err(unavailable)
    }
}

/// A JWT verification setting that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JwtConfigError(pub String);

/// The configured JWT verifier. Cheap to share (`Arc` it).
pub struct JwtVerifier {
    keys: KeySource,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = match &self.keys {
            KeySource::Hs256(_) => "hs256".to_owned(),
            KeySource::Jwks(set) => format!("jwks file ({} keys)", set.keys.len()),
            KeySource::JwksUrl(remote) => format!("jwks url {}", remote.url),
        };
        f.debug_struct("JwtVerifier")
            .field("keys", &keys)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl JwtVerifier {
    /// HS256 with a shared secret (at least 32 bytes).
    pub fn hs256(secret: &str) -> Result<Self, JwtConfigError> {
        if secret.len() < 32 {
            return Err(JwtConfigError("the HS256 secret must be at least 32 bytes long".into()));
        }
        Ok(Self { keys: KeySource::Hs256(DecodingKey::from_secret(secret.as_bytes())), issuer: None, audience: None })
    }

    /// The public keys of a JWKS document (RS*, PS*, ES*, EdDSA keys; symmetric keys are refused).
    pub fn jwks_json(json: &str) -> Result<Self, JwtConfigError> {
        let set: JwkSet =
            serde_json::from_str(json).map_err(|e| JwtConfigError(format!("not a JWKS document: {e}")))?;
        if set.keys.is_empty() {
            return Err(JwtConfigError("the JWKS has no keys".into()));
        }
        if set.keys.iter().any(|k| matches!(k.algorithm, AlgorithmParameters::OctetKey(_))) {
            return Err(JwtConfigError("the JWKS holds a symmetric key; use an HS256 secret instead".into()));
        }
        Ok(Self { keys: KeySource::Jwks(set), issuer: None, audience: None })
    }

    /// A JWKS file, read now.
    pub fn jwks_file(path: &Path) -> Result<Self, JwtConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| JwtConfigError(format!("cannot read the JWKS file {}: {e}", path.display())))?;
        Self::jwks_json(&text).map_err(|e| JwtConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// A JWKS URL (https, or http for a local provider), fetched on first use and cached for
    /// 10 minutes; an unknown key id makes it fetch again (at most every 30 s).
    pub fn jwks_url(url: &str) -> Result<Self, JwtConfigError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| JwtConfigError(format!("invalid JWKS URL '{url}': {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(JwtConfigError(format!(
                "the JWKS URL '{url}' must be https:// (or http:// on a trusted network)"
            )));
        }
        install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(JWKS_FETCH_TIMEOUT)
            .build()
            .map_err(|e| JwtConfigError(format!("cannot build the HTTP client for the JWKS URL: {e}")))?;
        Ok(Self {
            keys: KeySource::JwksUrl(RemoteJwks { url: url.to_owned(), client, cache: Mutex::new(None) }),
            issuer: None,
            audience: None,
        })
    }

    /// Requires `iss` to equal `issuer`.
    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer.filter(|i| !i.is_empty());
        self
    }

    /// Requires `aud` to contain `audience`.
    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience.filter(|a| !a.is_empty());
        self
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// Verifies `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        let header = decode_header(token).map_err(|e| JwtError::Invalid(describe(e.kind())))?;
        let remote;
        let (key, algorithm) = match &self.keys {
            KeySource::Hs256(key) => {
                if header.alg != Algorithm::HS256 {
                    return Err(JwtError::Invalid(format!(
                        "algorithm {:?} is not accepted; expected HS256",
                        header.alg
                    )));
                }
                (key.clone(), Algorithm::HS256)
            }
            KeySource::Jwks(set) => asymmetric_key(set, &header)?,
            KeySource::JwksUrl(jwks) => {
                remote = jwks.keys(header.kid.as_deref()).await?;
                asymmetric_key(&remote, &header)?
            }
        };
        let data = decode::<Claims>(token, &key, &self.validation(algorithm)).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => JwtError::Expired,
            kind => JwtError::Invalid(describe(kind)),
        })?;
        if data.claims.sub.trim().is_empty() {
            return Err(JwtError::Invalid("the token has an empty 'sub'".into()));
        }
        Ok(data.claims)
    }
}

/// The key of `set` that `header` names (by `kid`; a single key needs none), for an asymmetric
/// algorithm only: a JWKS never verifies an HMAC token (no algorithm confusion).
fn asymmetric_key(set: &JwkSet, header: &jsonwebtoken::Header) -> Result<(DecodingKey, Algorithm), JwtError> {
    if matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        return Err(JwtError::Invalid(format!("algorithm {:?} is not accepted with a JWKS", header.alg)));
    }
    let jwk = match header.kid.as_deref() {
        Some(kid) => set.find(kid).ok_or_else(|| JwtError::Invalid(format!("no key with id '{kid}'")))?,
        None if set.keys.len() == 1 => &set.keys[0],
        None => return Err(JwtError::Invalid("the token names no key id ('kid')".into())),
    };
    if let Some(key_alg) = jwk.common.key_algorithm
        && format!("{key_alg:?}") != format!("{:?}", header.alg)
    {
        return Err(JwtError::Invalid(format!("the key is for {key_alg:?}, the token uses {:?}", header.alg)));
    }
    let key =
        DecodingKey::from_jwk(jwk).map_err(|e| JwtError::Invalid(format!("unusable key: {}", describe(e.kind()))))?;
    Ok((key, header.alg))
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidToken => "malformed token".into(),
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidIssuer => "wrong issuer".into(),
        ErrorKind::InvalidAudience => "wrong audience".into(),
        ErrorKind::ImmatureSignature => "not valid yet (nbf)".into(),
        ErrorKind::InvalidAlgorithm => "algorithm does not match the key".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("missing claim '{claim}'"),
        ErrorKind::InvalidClaimFormat(claim) => format!("malformed claim '{claim}'"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// rustls needs a process-wide crypto provider; ring is the one built in (no C toolchain beyond
/// the C compiler). Installing twice is harmless.
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
