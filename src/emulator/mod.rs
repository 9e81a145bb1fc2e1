//! The embedded Amazon Pay sandbox emulator.
//!
//! Five hops from a request to a transition: [`server`] (routes, authentication, headers, the
//! traffic record) → [`tenant`] (one merchant: idempotency, clock, traffic and event records) →
//! [`operations`] (each API operation on a [`store::Tx`]; the ones that touch several objects,
//! and the settling of time, in one place) → the pure state machines [`checkout_session`],
//! [`charge_permission`], [`charge`], [`refund`] (each transition
//! `fn(&record, input, now) -> Result<Moved<record>, ErrorResponse>`: the next record and the
//! [`crate::evidence::Event`]s it caused, unit-tested without HTTP) → the rules they share:
//! [`limits`], [`simulation`], [`clock`], [`error`]. [`listen`] starts it in-process or as `serve`.

pub mod bounded;
pub mod charge;
pub mod charge_permission;
pub mod checkout_session;
pub mod clock;
pub mod error;
pub mod hosted;
pub mod limits;
pub mod listen;
pub mod moved;
pub mod operations;
pub mod refund;
pub mod server;
pub mod simulation;
pub mod store;
pub mod tenant;
