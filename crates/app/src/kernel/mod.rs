//! The record kernel: the few places where a change meets its audit entry, a read meets its
//! durable entry, and ciphertext meets its key. Rooms (patients, and later clinical,
//! scheduling, portal, imaging) are built from these pieces and cannot go around them:
//!
//! - [`WriteTx`]: the only transaction whose commit is allowed outside this module, and its
//!   only `commit` takes the change's audit entries (at least one, by type). The raw
//!   `enamel_store::Tx::commit` is a disallowed method everywhere else in the crate
//!   (`crates/app/clippy.toml`).
//! - [`App::read_audited`]: fetch with the practice filter, append the entry (`failed` on a
//!   miss) and wait until it is durable, then open the sealed values, reloading the practice's
//!   keys once if another server rotated.
//! - The record declarations live in `enamel_store::specs`: sealing's associated data and key
//!   rotation come from them, and schema tests keep them true.

mod handles;
mod read;
pub(crate) mod seal;
mod tx;

pub(crate) use handles::Caller;
pub use handles::System;

pub(crate) use tx::{Entries, Unaudited, WriteTx, no_entries};
