//! The embedded Amazon Pay sandbox emulator (issue 4), built bottom-up.
//!
//! What is here so far are the pure parts, each testable without HTTP (the moto / LocalStack
//! split): one state machine per object ([`charge`], [`charge_permission`], [`refund`]), the amount
//! rules ([`limits`]), the sandbox test data and simulations ([`simulation`]), the virtual
//! [`clock`] and the error responses ([`error`]). The HTTP server, authentication, tenants,
//! idempotency store, checkout-session machine, hosted pages and control API build on them.

pub mod charge;
pub mod charge_permission;
pub mod checkout_session;
pub mod clock;
pub mod error;
pub mod limits;
pub mod listen;
pub mod refund;
pub mod server;
pub mod simulation;
pub mod tenant;
