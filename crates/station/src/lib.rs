//! Proctoring-centre exam stations: one file, `/etc/paraakh/centre.toml`,
//! and `paraakh centre setup` make a computer an exam station; `paraakh
//! centre undo` makes it an ordinary computer again.
//!
//! - [`centre`]: the centre file, read and checked before anything changes;
//! - [`setup`]: what a station is — a dedicated unprivileged user that the
//!   login manager (greetd) logs straight into the exam session, the
//!   tenants' trust as the locked managed configuration, the centre's
//!   launch file, evidence outside the user's home — applied, recorded,
//!   and undone from the record;
//! - [`home`]: the station user's home emptied before every candidate;
//!   evidence is never there, so nothing unsent can be lost with it.
//!
//! Every path is taken under a root directory (`/` on a station, a
//! temporary directory in tests), and every system command goes through
//! [`setup::Run`], so the plan is tested without touching the machine;
//! `installer/test-install` runs it for real in a fresh Debian root.

#![forbid(unsafe_code)]

pub mod centre;
mod error;
pub mod home;
pub mod setup;

pub use error::StationError;
