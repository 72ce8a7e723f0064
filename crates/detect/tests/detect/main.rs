//! Integration tests of the detectors, in one test binary: model and runtime
//! checks, and the accuracy harness for faces and voice.

// Test code: a panic is the failure report, and the reports are printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod faces;
mod models;
mod support;
mod voice;
