use std::borrow::Cow;

/// A value that failed validation: which field, and why, in words an API consumer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValueError {
    pub field: Cow<'static, str>,
    pub message: String,
}

impl ValueError {
    pub fn new(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// The same fault reported under another field name (a value object reused for `spouse_email`).
    pub fn for_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = field.into();
        self
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a repository can report. Adapters map their storage errors into these once, in one place.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The row does not exist in the caller's organization (another tenant's row looks the same).
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; `constraint` is its stable name.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// The operation is refused because other rows still depend on this one.
    #[error("still referenced: {0}")]
    InUse(String),
    /// The input was refused by a domain rule checked while writing (a patch applied to the
    /// stored row, for instance).
    #[error("invalid input: {0}")]
    Invalid(#[source] ValueError),
    /// A stored row could not be turned back into a valid domain value.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The store could not be reached or failed unexpectedly.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] BoxError),
}

/// Reading: a stored value that no longer parses is corrupt data, not bad input. Input
/// validation maps explicitly with `RepoError::Invalid`.
impl From<ValueError> for RepoError {
    fn from(err: ValueError) -> Self {
        RepoError::Corrupt(err.to_string())
    }
}
