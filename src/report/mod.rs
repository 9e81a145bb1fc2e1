//! The self-check report: what a run proved, with evidence, in the shape of Amazon Pay's go-live
//! self-check sheet. [`model`] is the data every writer renders; [`checklist`] is the sheet's
//! items; [`mask`] keeps buyer data and secrets out; the writers turn one [`RunReport`] into
//! `selfcheck.html`, `selfcheck.json`, `selfcheck.md` and `junit.xml`.

pub mod checklist;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod mask;
pub mod model;
pub mod words;
pub mod write;

pub use model::*;
pub use write::write_all;
