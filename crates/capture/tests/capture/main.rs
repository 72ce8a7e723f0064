//! Capture through the replay sources, end to end: the same streams,
//! recorders and encoders that real devices feed.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

// The real devices: only with the `native` feature.
#[cfg(all(feature = "native", target_os = "linux"))]
mod desktop;
mod encoders;
mod microphone;
mod streams;
#[cfg(all(feature = "native", target_os = "linux"))]
mod wlr;
mod y4m_props;

use paraakh_capture::{Consent, ConsentScope};
use paraakh_evidence::clock::{Clock, SystemClock};

pub(crate) fn consent_all() -> Consent {
    Consent::given(ConsentScope::ALL, SystemClock.now())
}

pub(crate) fn consent_none() -> Consent {
    Consent::given(ConsentScope::default(), SystemClock.now())
}

/// Writes `n` solid-colour PNGs of `w`×`h` into `dir` (colour from the index).
pub(crate) fn write_images(dir: &std::path::Path, n: u8, w: u32, h: u32) {
    for i in 0..n {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([i.wrapping_mul(40), 100, 200]));
        img.save(dir.join(format!("frame-{i:03}.png"))).unwrap();
    }
}
