//! apay-conformance: a protocol-conformance harness for Amazon Pay Checkout v2 (Japan first).
//!
//! The crate is organised by role (see `design.md`): [`signing`] and [`model`] are the wire
//! format shared by every side, [`client`] is the merchant's signed API client, and [`config`]
//! turns environment, file and flags into credentials without ever printing a secret.
//! [`merchant`] is the merchant's role (our client its first player), [`emulator`] plays Amazon
//! Pay, [`buyer`] the buyer, [`steps`] the scenarios' vocabulary,
//! [`runner`] runs the features and [`report`] writes the self-check sheet.

pub mod buyer;
pub mod client;
pub mod config;
pub mod doctor;
pub mod emulator;
pub mod evidence;
pub mod merchant;
pub mod model;
pub mod operation;
pub mod pacing;
pub mod report;
pub mod runner;
pub mod signing;
pub mod steps;
