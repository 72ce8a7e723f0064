//! Integration tests of the evidence crate, in one test binary.

mod crash;
mod hpke_interop;
mod merkle_props;
mod recovery;
mod support;
mod tamper;
mod vectors_c2sp;
mod vectors_rfc6962;
mod vectors_rfc9180;
