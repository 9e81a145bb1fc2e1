//! Helpers shared by the integration tests. Each test binary uses a different subset.
#![allow(dead_code)]

pub mod emulator;
pub mod vectors;
