//! Exam policies for Paraakh Secure Exam: what each integrity layer checks,
//! its thresholds, and the severity and action of every violation.
//!
//! A policy is a TOML file. It is either complete (like the preset files in
//! `policies/presets/`) or names a preset and overrides only what it changes.
//! [`parse`] validates it completely before any use and reports every problem
//! at once; unknown settings are errors.
//!
//! The trust side lives here too: signed tenant artefacts ([`envelope`]),
//! exam packages ([`exam`]), tokens ([`jwt`]), join links ([`links`]), the
//! installation's configuration ([`config`]) and tenant data ([`tenants`]).

#![forbid(unsafe_code)]

pub mod config;
mod describe;
pub mod envelope;
pub mod exam;
mod fields;
pub mod jwt;
pub mod links;
pub mod model;
pub mod net;
mod parse;
pub mod presets;
pub mod proctor;
pub mod tenants;
pub mod version;

pub use describe::describe;
pub use envelope::{Envelope, EnvelopeError};
pub use fields::Problem;
pub use model::{Action, Confidence, Policy, Rule, Severity, WaylandMode};
pub use parse::{FORMAT_V1, Loaded, MAX_POLICY_BYTES, PolicyError, load, parse};
