//! Capture errors: each names the device and says what to do.

use std::path::PathBuf;

/// Which kind of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// A webcam.
    Camera,
    /// A microphone.
    Microphone,
    /// The screen (every monitor).
    Screen,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Camera => "camera",
            Device::Microphone => "microphone",
            Device::Screen => "screen",
        })
    }
}

/// Why capture failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Capture was asked for before the candidate consented to it.
    #[error(
        "{device} capture needs the candidate's consent first: nothing is captured before the consent screen is accepted"
    )]
    NotConsented {
        /// The device.
        device: Device,
    },
    /// No such device.
    #[error("no {device} was found{}: {hint}", if name.is_empty() { String::new() } else { format!(" named \"{name}\"") })]
    NotFound {
        /// The device kind.
        device: Device,
        /// The name asked for (empty: the default device).
        name: String,
        /// What to do.
        hint: String,
    },
    /// Another program holds the device.
    #[error(
        "the {device} \"{name}\" is in use by another program: close video-call, recording or camera apps and try again"
    )]
    Busy {
        /// The device kind.
        device: Device,
        /// The device.
        name: String,
    },
    /// The device exists but could not be opened.
    #[error("cannot open the {device} \"{name}\": {reason}")]
    Open {
        /// The device kind.
        device: Device,
        /// The device.
        name: String,
        /// What the system said.
        reason: String,
    },
    /// A device stopped delivering while in use (unplugged, taken over).
    #[error("the {device} \"{name}\" stopped delivering: {reason}")]
    Lost {
        /// The device kind.
        device: Device,
        /// The device.
        name: String,
        /// What the system said.
        reason: String,
    },
    /// Nothing arrived in time.
    #[error(
        "the {device} delivered nothing for {seconds:.1} s: check that it is connected and not used by another program"
    )]
    Timeout {
        /// The device kind.
        device: Device,
        /// How long we waited.
        seconds: f64,
    },
    /// A replay source (image directory, video or WAV file) is unusable.
    #[error("{}: {reason}", path.display())]
    Replay {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Encoding evidence failed.
    #[error("cannot encode the {what}: {reason}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl CaptureError {
    pub(crate) fn replay(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        CaptureError::Replay {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn encode(what: &'static str, reason: impl std::fmt::Display) -> Self {
        CaptureError::Encode {
            what,
            reason: reason.to_string(),
        }
    }
}
