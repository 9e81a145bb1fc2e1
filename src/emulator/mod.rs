//! The embedded Amazon Pay sandbox emulator.
//!
//! Four hops from a request to a transition: [`server`] (routes, authentication, headers) →
//! [`tenant`] (one merchant's objects; orchestrates the machines, idempotency, traffic log) →
//! the pure state machines [`checkout_session`], [`charge_permission`], [`charge`], [`refund`]
//! (each `fn(&record, input, now) -> Result<record, ErrorResponse>`, unit-tested without HTTP) →
//! the rules they share: [`limits`], [`simulation`], [`clock`], [`error`]. [`listen`] starts it
//! in-process or as `serve`.

pub mod charge;
pub mod charge_permission;
pub mod checkout_session;
pub mod clock;
pub mod error;
pub mod hosted;
pub mod limits;
pub mod listen;
pub mod refund;
pub mod server;
pub mod simulation;
pub mod tenant;
