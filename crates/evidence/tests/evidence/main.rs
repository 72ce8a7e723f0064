//! Integration tests of the evidence crate, in one test binary.

// Test and benchmark code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod crash;
mod hpke_interop;
mod merkle_props;
mod recovery;
mod review;
mod support;
mod tamper;
mod trust;
mod vectors_c2sp;
mod vectors_rfc6962;
mod vectors_rfc9180;
