//! Givance domain: entities, value objects, typed ids, ports (repository and service traits)
//! and use-cases. No I/O lives here: adapters in `givance-infra` implement the ports.
//!
//! One module per aggregate; each holds its entity, commands (`NewX`, `XPatch`), value
//! enums and its repository trait.

pub mod shared;

pub mod donation;
pub mod donor;
pub mod organization;
pub mod project;
pub mod staff;
pub mod user;

#[cfg(feature = "test-util")]
pub mod testing;

pub use shared::*;
