//! Where the webcam picture, the sound and the screens come from: real
//! devices, or replay sources (recorded files played in real time, for
//! demos, tests and machines without a camera). The session, the system
//! check and the app's previews all open their sources here.

use std::path::PathBuf;
use std::sync::Arc;

use paraakh_capture::camera::{
    CameraRequest, CameraSource, native::NativeCamera, replay::ImageDirCamera, replay::Y4mCamera,
};
use paraakh_capture::microphone::{AudioShared, native::Microphone, replay::WavReplay};
use paraakh_capture::screen::{ScreenSource, native::open_desktop, replay::ImageSequenceScreen};
use paraakh_capture::{CaptureError, Consent};
use paraakh_evidence::Clock;

/// Where the webcam picture comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSpec {
    /// A camera by index.
    Device(u32),
    /// A directory of images or a `.y4m` video, replayed.
    Replay(PathBuf),
}

/// Where the sound comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicrophoneSpec {
    /// The default input, or one whose name contains this.
    Device(Option<String>),
    /// A WAV file played in real time.
    Replay(PathBuf),
}

/// Where the screens come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenSpec {
    /// This desktop.
    Desktop,
    /// A directory of images, replayed as one monitor.
    Replay(PathBuf),
}

/// The capture sources; `None` leaves a device alone.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Webcam.
    pub camera: Option<CameraSpec>,
    /// Microphone.
    pub microphone: Option<MicrophoneSpec>,
    /// Screens.
    pub screen: Option<ScreenSpec>,
}

impl Sources {
    /// The real devices of this machine (default camera, microphone and desktop).
    pub fn devices() -> Self {
        Self {
            camera: Some(CameraSpec::Device(0)),
            microphone: Some(MicrophoneSpec::Device(None)),
            screen: Some(ScreenSpec::Desktop),
        }
    }

    /// Parses the source arguments shared by `paraakh session run` and the
    /// app: a camera index or a replay path; `default`, `device:NAME` or a
    /// WAV file; `desktop` or a directory of images.
    pub fn parse(camera: Option<&str>, microphone: Option<&str>, screen: Option<&str>) -> Self {
        Self {
            camera: camera.map(|s| match s.parse::<u32>() {
                Ok(i) => CameraSpec::Device(i),
                Err(_) => CameraSpec::Replay(s.into()),
            }),
            microphone: microphone.map(|s| match s {
                "default" => MicrophoneSpec::Device(None),
                s if s.starts_with("device:") => MicrophoneSpec::Device(Some(s[7..].to_owned())),
                path => MicrophoneSpec::Replay(path.into()),
            }),
            screen: screen.map(|s| match s {
                "desktop" => ScreenSpec::Desktop,
                path => ScreenSpec::Replay(path.into()),
            }),
        }
    }
}

impl CameraSpec {
    /// A replay source, said for the candidate and the reviewer.
    pub fn replay_note(&self) -> Option<String> {
        match self {
            Self::Replay(p) => Some(format!("a recorded camera ({})", p.display())),
            Self::Device(_) => None,
        }
    }
}

/// Opens a camera source.
pub fn open_camera(spec: &CameraSpec) -> Result<Box<dyn CameraSource>, CaptureError> {
    Ok(match spec {
        CameraSpec::Device(i) => Box::new(NativeCamera::open(*i, CameraRequest::default())?),
        CameraSpec::Replay(p) if p.extension().is_some_and(|e| e == "y4m") => {
            Box::new(Y4mCamera::open(p)?)
        }
        CameraSpec::Replay(p) => Box::new(ImageDirCamera::open(p)?),
    })
}

/// Opens a screen source.
pub fn open_screen(spec: &ScreenSpec) -> Result<Box<dyn ScreenSource>, CaptureError> {
    Ok(match spec {
        ScreenSpec::Desktop => open_desktop()?,
        ScreenSpec::Replay(p) => Box::new(ImageSequenceScreen::open(p)?),
    })
}

/// An open microphone: its shared audio, the device kept alive with it, and its name.
pub struct OpenMicrophone {
    /// The 16 kHz chunks, the ring and the level.
    pub audio: Arc<AudioShared>,
    /// The device or replay thread (capture stops when this is dropped).
    pub device: Box<dyn Send>,
    /// What it is, for messages.
    pub name: String,
}

impl std::fmt::Debug for OpenMicrophone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMicrophone")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Opens a microphone source with a ring of `ring_seconds` for clips.
pub fn open_microphone(
    spec: &MicrophoneSpec,
    ring_seconds: f64,
    consent: &Consent,
    clock: Arc<dyn Clock>,
) -> Result<OpenMicrophone, CaptureError> {
    match spec {
        MicrophoneSpec::Device(name) => {
            Microphone::open(name.as_deref(), ring_seconds, 256, consent, clock).map(|m| {
                OpenMicrophone {
                    audio: Arc::clone(m.audio()),
                    name: m.info().name.clone(),
                    device: Box::new(m),
                }
            })
        }
        MicrophoneSpec::Replay(path) => {
            WavReplay::start(path, true, ring_seconds, 256, consent, clock).map(|r| {
                OpenMicrophone {
                    audio: Arc::clone(r.audio()),
                    device: Box::new(r),
                    name: format!("a recorded microphone ({})", path.display()),
                }
            })
        }
    }
}
