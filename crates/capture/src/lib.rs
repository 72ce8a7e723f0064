//! Capture for Paraakh Secure Exam: webcam, microphone and screen behind one
//! interface per kind, with replay sources (image directories, Y4M video,
//! WAV files, image sequences) that tests, demos and headless sessions use
//! in place of devices, and the encoders that turn captures into evidence
//! (JPEG, Ogg Opus).
//!
//! Nothing is captured without a [`Consent`] that covers the device. Every
//! source delivers through a bounded queue that drops the oldest item when
//! its reader is behind, and counts the drops: capture never grows memory
//! without bound. A device that disappears or is taken by another program
//! becomes an event and a clear error, never a hang.

#![forbid(unsafe_code)]

pub mod camera;
mod consent;
pub mod encode;
mod error;
pub mod frame;
pub mod microphone;
mod replay;
pub mod screen;

pub use consent::{Consent, ConsentScope};
pub use error::{CaptureError, Device};
pub use frame::VideoFrame;
