//! What the candidate sees of their own devices during the system check:
//! the camera picture with the faces the detector finds, and the
//! microphone's level. Nothing here is recorded: running the check is the
//! candidate's consent to these short captures, which are dropped at once.

use std::time::Duration;

use paraakh_capture::camera::CameraSource;
use paraakh_capture::encode::jpeg;
use paraakh_capture::{Consent, ConsentScope};
use paraakh_detect::{FaceDetector, QualityTracker, RgbImage, Visibility};
use paraakh_evidence::clock::{Clock, SystemClock};
use serde::Serialize;
use std::sync::Arc;

use crate::EngineError;
use crate::sources::{self, CameraSpec, MicrophoneSpec, OpenMicrophone};

/// One face in a preview picture, in its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PreviewFace {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
    /// Detector confidence, 0 to 1.
    pub score: f32,
}

/// One preview picture and what it shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewFrame {
    /// The picture as JPEG.
    #[serde(skip)]
    pub jpeg: Vec<u8>,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// Faces found (empty without face detection).
    pub faces: Vec<PreviewFace>,
    /// `ok`, `covered`, `too_dark` or `frozen`.
    pub quality: Visibility,
    /// What to tell the candidate, in plain words.
    pub message: String,
}

/// The camera during the system check.
pub struct CameraPreview {
    source: Box<dyn CameraSource>,
    faces: Option<FaceDetector>,
    quality: QualityTracker,
}

impl std::fmt::Debug for CameraPreview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraPreview")
            .field("detection", &self.faces.is_some())
            .finish_non_exhaustive()
    }
}

/// Preview pictures are made no wider than this (the check shows them small).
const PREVIEW_MAX_WIDTH: u32 = 640;

impl CameraPreview {
    /// Opens the camera; `faces` draws the detector's boxes when given.
    pub fn open(spec: &CameraSpec, faces: Option<FaceDetector>) -> Result<Self, EngineError> {
        Ok(Self {
            source: sources::open_camera(spec)?,
            faces,
            quality: QualityTracker::new(),
        })
    }

    /// Takes one picture, finds the faces in it and says what it shows.
    pub fn grab(&mut self) -> Result<PreviewFrame, EngineError> {
        let (width, height, rgb) = self.source.grab()?;
        let img = RgbImage::new(width, height, rgb)?;
        let q = self.quality.measure(&img);
        let mut faces = Vec::new();
        if let (Visibility::Ok, Some(detector)) = (q.visibility, self.faces.as_mut()) {
            faces = detector
                .detect_near(&img)?
                .iter()
                .map(|f| PreviewFace {
                    x: f.x,
                    y: f.y,
                    width: f.w,
                    height: f.h,
                    score: f.score,
                })
                .collect();
        }
        let message = describe(q.visibility, self.faces.is_some().then_some(faces.len()));
        let (w, h, pixels) = shrink(&img, PREVIEW_MAX_WIDTH);
        let scale = w as f32 / width as f32;
        for f in &mut faces {
            f.x *= scale;
            f.y *= scale;
            f.width *= scale;
            f.height *= scale;
        }
        Ok(PreviewFrame {
            jpeg: jpeg::encode_rgb(&pixels, w, h, 75)?,
            width: w,
            height: h,
            faces,
            quality: q.visibility,
            message,
        })
    }
}

/// The candidate's view of one picture.
pub fn describe(quality: Visibility, faces: Option<usize>) -> String {
    match (quality, faces) {
        (Visibility::Covered, _) => {
            "The camera picture is black — please uncover the camera or check it is switched on."
        }
        (Visibility::TooDark, _) => {
            "The picture is too dark — please turn on a light in front of you."
        }
        (Visibility::Frozen, _) => {
            "The picture is not changing — please check no other program is using the camera."
        }
        (_, None) => "The camera works.",
        (_, Some(0)) => {
            "We can't see your face yet — please sit in front of the camera, with your face in the light."
        }
        (_, Some(1)) => "We can see your face clearly.",
        (_, Some(_)) => {
            "We can see more than one person — please make sure you are alone during the exam."
        }
    }
    .to_owned()
}

/// Nearest-neighbour downscale to at most `max_width` (a preview, not evidence).
fn shrink(img: &RgbImage, max_width: u32) -> (u32, u32, Vec<u8>) {
    let (w, h) = (img.width(), img.height());
    if w <= max_width {
        return (w, h, img.data().to_vec());
    }
    let nw = max_width;
    let nh = (u64::from(h) * u64::from(nw) / u64::from(w)).max(1) as u32;
    let src = img.data();
    let mut out = Vec::with_capacity((nw * nh * 3) as usize);
    for y in 0..nh {
        let sy = (u64::from(y) * u64::from(h) / u64::from(nh)) as usize;
        for x in 0..nw {
            let sx = (u64::from(x) * u64::from(w) / u64::from(nw)) as usize;
            let p = (sy * w as usize + sx) * 3;
            out.extend_from_slice(&src[p..p + 3]);
        }
    }
    (nw, nh, out)
}

/// The microphone's level during the system check.
#[derive(Debug)]
pub struct MicrophoneMeter {
    mic: OpenMicrophone,
}

/// The level right now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeterLevel {
    /// RMS over the last ~100 ms, dBFS (−120 for silence).
    pub rms_dbfs: f32,
    /// Peak over the last ~100 ms, dBFS.
    pub peak_dbfs: f32,
}

impl MicrophoneMeter {
    /// Opens the microphone for the meter.
    pub fn open(spec: &MicrophoneSpec) -> Result<Self, EngineError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let consent = Consent::given(ConsentScope::ALL, clock.now());
        Ok(Self {
            mic: sources::open_microphone(spec, 0.0, &consent, clock)?,
        })
    }

    /// The level now; the sound itself is dropped.
    pub fn level(&self) -> MeterLevel {
        while self.mic.audio.next_chunk(Duration::ZERO).is_some() {}
        let l = self.mic.audio.level();
        MeterLevel {
            rms_dbfs: l.rms_dbfs,
            peak_dbfs: l.peak_dbfs,
        }
    }

    /// What it is.
    pub fn name(&self) -> &str {
        &self.mic.name
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_words_never_accuse() {
        for q in [
            Visibility::Ok,
            Visibility::Covered,
            Visibility::TooDark,
            Visibility::Frozen,
        ] {
            for faces in [None, Some(0), Some(1), Some(3)] {
                let m = describe(q, faces);
                assert!(m.ends_with('.'), "{m}");
                for word in ["cheat", "violation", "suspicious", "fail"] {
                    assert!(!m.to_lowercase().contains(word), "{m}");
                }
            }
        }
        assert_eq!(
            describe(Visibility::Ok, Some(1)),
            "We can see your face clearly."
        );
    }

    #[test]
    fn a_big_picture_is_shrunk_keeping_its_shape() {
        let img = RgbImage::new(1280, 720, vec![7; 1280 * 720 * 3]).unwrap();
        let (w, h, px) = shrink(&img, 640);
        assert_eq!((w, h), (640, 360));
        assert_eq!(px.len(), 640 * 360 * 3);
        let small = RgbImage::new(320, 240, vec![1; 320 * 240 * 3]).unwrap();
        assert_eq!(shrink(&small, 640).0, 320);
    }

    #[test]
    fn a_replayed_camera_previews_with_its_message() {
        let dir = tempfile::tempdir().unwrap();
        let mut rgb = Vec::new();
        for i in 0..(64 * 48) {
            rgb.extend_from_slice(&[(i % 200) as u8 + 30, 90, 140]);
        }
        let img = image::RgbImage::from_raw(64, 48, rgb).unwrap();
        img.save(dir.path().join("0001.png")).unwrap();
        let mut preview =
            CameraPreview::open(&CameraSpec::Replay(dir.path().to_owned()), None).unwrap();
        let frame = preview.grab().unwrap();
        assert_eq!((frame.width, frame.height), (64, 48));
        assert_eq!(&frame.jpeg[..2], &[0xFF, 0xD8]);
        assert_eq!(frame.message, "The camera works.");
        assert!(frame.faces.is_empty());
    }
}
