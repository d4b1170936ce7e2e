//! API key material: tokens made from the operating system's CSPRNG, stored as SHA-256 hashes,
//! compared in constant time. The token format is the domain's (`givance_domain::api_key`):
//! `gv_<prefix>_<secret>`, a 12-hex-digit prefix (48 random bits, how the key is found) and a
//! 64-hex-digit secret (256 random bits, only its hash is stored).

use givance_domain::api_key::{ApiKey, ApiKeyRepository, ApiKeyRequest, NewApiKey, PREFIX_LEN, TOKEN_PREFIX};
use givance_domain::{OrgScope, RepoError, Secret};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A freshly made token, with what is stored of it.
pub struct KeyMaterial {
    /// The whole token: shown once, never stored.
    pub token: Secret,
    pub prefix: String,
    pub secret_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

fn random_hex(bytes: usize) -> Result<String, IssueError> {
    let mut buf = vec![0u8; bytes];
    OsRng.try_fill_bytes(&mut buf).map_err(|e| IssueError::Random(e.to_string()))?;
    Ok(hex::encode(buf))
}

/// Makes a new token: 6 random bytes of prefix, 32 of secret.
pub fn generate() -> Result<KeyMaterial, IssueError> {
    let prefix = random_hex(PREFIX_LEN / 2)?;
    let secret = random_hex(32)?;
    Ok(KeyMaterial {
        token: Secret::new(format!("{TOKEN_PREFIX}{prefix}_{secret}")),
        secret_hash: hash_secret(&secret),
        prefix,
    })
}

/// Lower-case hex SHA-256 of a token's secret part.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `stored_hash`, compared in constant time.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// Creates a key for `request` and returns it with its token (to show once). A prefix that is
/// already taken (a one-in-2^48 event per existing key) is retried with new material.
pub async fn issue_api_key(
    keys: &dyn ApiKeyRepository,
    scope: &OrgScope,
    request: ApiKeyRequest,
) -> Result<(ApiKey, Secret), IssueError> {
    let mut attempts = 0;
    loop {
        let material = generate()?;
        let new = NewApiKey {
            staff_id: request.staff_id,
            name: request.name.clone(),
            prefix: material.prefix,
            secret_hash: material.secret_hash,
            permissions: request.permissions.clone(),
            expires_at: request.expires_at,
        };
        match keys.create(scope, new).await {
            Ok(key) => return Ok((key, material.token)),
            Err(RepoError::Conflict { constraint }) if constraint == "uq_api_keys_prefix" && attempts < 3 => {
                attempts += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use givance_domain::api_key::TokenParts;

    use super::*;

    #[test]
    fn tokens_have_the_documented_shape_and_verify_against_their_hash() {
        let material = generate().unwrap();
        let parts = TokenParts::parse(material.token.expose()).unwrap();
        assert_eq!(parts.prefix, material.prefix);
        assert_eq!(material.secret_hash.len(), 64);
        assert!(!material.secret_hash.contains(parts.secret), "the hash is not the secret");
        assert!(verify_secret(parts.secret, &material.secret_hash));
        assert!(!verify_secret(&parts.secret.replace('a', "b").replace('0', "1"), &material.secret_hash));
        assert!(!verify_secret(parts.secret, ""));
        assert_ne!(generate().unwrap().token.expose(), material.token.expose());
    }

    #[test]
    fn the_hash_is_sha256_hex() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
