//! apay-conformance: a protocol-conformance harness for Amazon Pay Checkout v2 (Japan first).
//!
//! The crate is organised by role (see `design.md`): [`signing`] and [`model`] are the wire
//! format shared by every side, [`client`] is the merchant's signed API client, and [`config`]
//! turns environment, file and flags into credentials without ever printing a secret.

pub mod client;
pub mod config;
pub mod emulator;
pub mod model;
pub mod operation;
pub mod signing;
