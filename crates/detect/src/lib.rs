//! On-device detection for Paraakh Secure Exam: faces (MediaPipe BlazeFace),
//! frame quality (covered, too dark, frozen), head pose, and voice (Silero
//! VAD), over ONNX Runtime loaded at run time. Nothing leaves the machine.
//!
//! The detectors only classify; the policy decides what a signal means, and
//! a person decides what happened. Each detector runs single-threaded, on a
//! [`worker::Worker`] off the capture path, with bounded queues.

#![forbid(unsafe_code)]

pub mod audio;
mod error;
pub mod face;
pub mod frame;
pub mod pose;
pub mod quality;
pub mod runtime;
pub mod vad;

pub use error::DetectError;
pub use face::{Face, FaceConfig, FaceDetector};
pub use frame::RgbImage;
pub use pose::{Gaze, HeadPose, head_pose};
pub use quality::{FrameQuality, QualityTracker, Visibility};
pub use runtime::{Model, Runtime, RuntimeConfig};
pub use vad::{SpeechSegment, VadConfig, VoiceDetector, VoiceReport, detect_voice};

/// Detection off the capture path (see [`paraakh_signal::worker`]).
pub mod worker {
    pub use paraakh_signal::{DropOldestQueue, Worker};
}
