//! Errors of the detectors, in words the system check can show as they are
//! ("face detection unavailable: ...").

use std::path::PathBuf;

/// Why detection cannot run or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// ONNX Runtime would start with its telemetry on (a program must set
    /// `ORT_DISABLE_TELEMETRY=1` before anything else).
    #[error(
        "ONNX Runtime was not started: its telemetry to Microsoft is not switched off (ORT_DISABLE_TELEMETRY=1 must be set when the program starts); this is a defect of the program, please report it"
    )]
    TelemetryOn,
    /// The ONNX Runtime library is not where it was looked for.
    #[error("ONNX Runtime {ver} was not found (looked at: {looked}); run scripts/fetch-onnxruntime, or set PARAAKH_ONNXRUNTIME to its libonnxruntime.so", ver = crate::runtime::ORT_VERSION)]
    RuntimeMissing {
        /// Where it was looked for.
        looked: String,
    },
    /// The library is not a pinned build.
    #[error(
        "{path} is not a known ONNX Runtime build (SHA-256 {sha256}); this client accepts only: {expected}"
    )]
    RuntimeNotPinned {
        /// The file.
        path: PathBuf,
        /// Its hash.
        sha256: String,
        /// What is accepted.
        expected: String,
    },
    /// The library could not be read or loaded.
    #[error("ONNX Runtime at {path} could not be loaded: {reason}")]
    RuntimeUnreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// A model file is missing.
    #[error(
        "the model {path} is missing; reinstall Paraakh, or set PARAAKH_MODELS to the models directory"
    )]
    ModelMissing {
        /// The file.
        path: PathBuf,
    },
    /// A model file is not the pinned one.
    #[error(
        "the model {path} is not the expected file (SHA-256 {sha256}, expected {expected}); reinstall Paraakh"
    )]
    ModelNotPinned {
        /// The file.
        path: PathBuf,
        /// Its hash.
        sha256: String,
        /// The pinned hash.
        expected: &'static str,
    },
    /// A model could not be read or opened.
    #[error("the model {path} could not be loaded: {reason}")]
    ModelUnreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// Inference failed.
    #[error("the detector failed: {0}")]
    Inference(String),
    /// The input image or audio is not usable.
    #[error("{0}")]
    Input(String),
}

impl DetectError {
    pub(crate) fn inference(e: impl std::fmt::Display) -> Self {
        DetectError::Inference(e.to_string())
    }
}
