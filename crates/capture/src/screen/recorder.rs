//! The screen recorder: decides when a capture is stored, and encodes it.

use std::collections::HashMap;
use std::sync::Arc;

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_policy::model::ScreenLayer;

use super::change::Thumbnail;
use super::{MonitorInfo, RawScreen, ScreenSource};
use crate::consent::Consent;
use crate::encode::{jpeg, scale};
use crate::error::{CaptureError, Device};

/// How the recorder works (from the policy's screen layer).
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenSettings {
    /// Periodic capture interval, seconds.
    pub interval_seconds: f64,
    /// An unchanged screen is still stored this often, seconds.
    pub keyframe_seconds: f64,
    /// Fraction of thumbnail cells that must change for a new capture.
    pub change_threshold: f32,
    /// Stored captures are downscaled to this width.
    pub max_width: u32,
    /// JPEG quality.
    pub jpeg_quality: u8,
}

impl ScreenSettings {
    /// The settings an exam policy asks for.
    pub fn from_policy(layer: &ScreenLayer) -> Self {
        Self {
            interval_seconds: layer.interval_seconds,
            keyframe_seconds: layer.keyframe_seconds,
            change_threshold: layer.change_threshold as f32,
            max_width: layer.max_width,
            jpeg_quality: jpeg::DEFAULT_QUALITY,
        }
    }
}

impl Default for ScreenSettings {
    /// The `standard` preset's values.
    fn default() -> Self {
        Self {
            interval_seconds: 30.0,
            keyframe_seconds: 300.0,
            change_threshold: 0.02,
            max_width: 1280,
            jpeg_quality: jpeg::DEFAULT_QUALITY,
        }
    }
}

/// Why a capture was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureReason {
    /// The first capture of a monitor.
    First,
    /// The screen changed enough since the last stored capture.
    Changed,
    /// Unchanged, but the keyframe interval had passed.
    Keyframe,
    /// Asked for (a violation wants evidence).
    OnDemand,
}

/// A stored screen capture, ready to become an evidence blob.
#[derive(Debug, Clone)]
pub struct ScreenCapture {
    /// The monitor.
    pub monitor: MonitorInfo,
    /// When it was taken.
    pub at: Timestamp,
    /// Size of the encoded picture.
    pub width: u32,
    /// Size of the encoded picture.
    pub height: u32,
    /// The JPEG.
    pub jpeg: Vec<u8>,
    /// Why it was stored.
    pub reason: CaptureReason,
    /// Fraction of the thumbnail that changed since the last stored capture
    /// (1 for the first).
    pub changed: f32,
}

/// Counts, for reports and the system check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScreenStats {
    /// Monitor pictures taken.
    pub taken: u64,
    /// Stored (changed, keyframe, first or on demand).
    pub stored: u64,
    /// Skipped as unchanged.
    pub skipped: u64,
    /// Bytes of JPEG stored.
    pub bytes: u64,
}

struct Last {
    thumb: Thumbnail,
    stored_boot_ns: u64,
}

/// Captures every monitor when due, stores what changed.
pub struct ScreenRecorder {
    source: Box<dyn ScreenSource>,
    settings: ScreenSettings,
    clock: Arc<dyn Clock>,
    last: HashMap<u32, Last>,
    next_due_boot_ns: u64,
    stats: ScreenStats,
}

impl std::fmt::Debug for ScreenRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreenRecorder")
            .field("settings", &self.settings)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn seconds_ns(s: f64) -> u64 {
    (s.max(0.0) * 1e9) as u64
}

impl ScreenRecorder {
    /// A recorder over `source`; needs consent to the screen.
    pub fn new(
        source: Box<dyn ScreenSource>,
        settings: ScreenSettings,
        consent: &Consent,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CaptureError> {
        consent.require(Device::Screen)?;
        Ok(Self {
            source,
            settings,
            clock,
            last: HashMap::new(),
            next_due_boot_ns: 0,
            stats: ScreenStats::default(),
        })
    }

    /// Whether a periodic capture is due.
    pub fn due(&self) -> bool {
        self.clock.now().boot_ns >= self.next_due_boot_ns
    }

    /// The periodic capture: every monitor, storing those that changed,
    /// are new, or are due a keyframe.
    pub fn tick(&mut self) -> Result<Vec<ScreenCapture>, CaptureError> {
        let now = self.clock.now();
        self.next_due_boot_ns = now.boot_ns + seconds_ns(self.settings.interval_seconds);
        self.capture_all(false)
    }

    /// An on-demand capture of every monitor, stored whatever changed.
    pub fn capture_now(&mut self) -> Result<Vec<ScreenCapture>, CaptureError> {
        self.capture_all(true)
    }

    /// Counts so far.
    pub fn stats(&self) -> ScreenStats {
        self.stats
    }

    fn capture_all(&mut self, forced: bool) -> Result<Vec<ScreenCapture>, CaptureError> {
        let monitors = self.source.monitors()?;
        let mut out = Vec::new();
        for monitor in monitors {
            let raw = self.source.capture(&monitor)?;
            let at = self.clock.now();
            self.stats.taken += 1;
            if let Some(c) = self.consider(monitor, raw, at, forced)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn consider(
        &mut self,
        monitor: MonitorInfo,
        raw: RawScreen,
        at: Timestamp,
        forced: bool,
    ) -> Result<Option<ScreenCapture>, CaptureError> {
        let thumb = Thumbnail::of(&raw.rgba, raw.width, raw.height, 4);
        let (reason, changed) = match self.last.get(&monitor.id) {
            None => (CaptureReason::First, 1.0),
            Some(last) => {
                let changed = last.thumb.changed_fraction(&thumb);
                let keyframe_due = at.boot_ns.saturating_sub(last.stored_boot_ns)
                    >= seconds_ns(self.settings.keyframe_seconds);
                if forced {
                    (CaptureReason::OnDemand, changed)
                } else if changed >= self.settings.change_threshold {
                    (CaptureReason::Changed, changed)
                } else if keyframe_due {
                    (CaptureReason::Keyframe, changed)
                } else {
                    self.stats.skipped += 1;
                    return Ok(None);
                }
            }
        };
        let (w, h) = scale::fit_width(raw.width, raw.height, self.settings.max_width);
        let rgb = scale::downscale_to_rgb(&raw.rgba, raw.width, raw.height, 4, w, h);
        let jpeg = jpeg::encode_rgb(&rgb, w, h, self.settings.jpeg_quality)?;
        self.last.insert(
            monitor.id,
            Last {
                thumb,
                stored_boot_ns: at.boot_ns,
            },
        );
        self.stats.stored += 1;
        self.stats.bytes += jpeg.len() as u64;
        Ok(Some(ScreenCapture {
            monitor,
            at,
            width: w,
            height: h,
            jpeg,
            reason,
            changed,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::ConsentScope;
    use paraakh_evidence::clock::ManualClock;

    /// One monitor whose picture the test sets.
    struct Fake {
        picture: Arc<std::sync::Mutex<u8>>,
    }

    impl ScreenSource for Fake {
        fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
            Ok(vec![MonitorInfo {
                id: 1,
                name: "fake".into(),
                x: 0,
                y: 0,
                width: 320,
                height: 200,
                primary: true,
            }])
        }
        fn capture(&mut self, _: &MonitorInfo) -> Result<RawScreen, CaptureError> {
            let v = *self.picture.lock().unwrap();
            Ok(RawScreen {
                width: 320,
                height: 200,
                rgba: [v, v, v, 255].repeat(320 * 200),
            })
        }
    }

    fn consent(screen: bool) -> Consent {
        Consent::given(
            ConsentScope {
                screen,
                ..ConsentScope::default()
            },
            Timestamp {
                utc_ns: 0,
                boot_ns: 0,
            },
        )
    }

    fn recorder(picture: &Arc<std::sync::Mutex<u8>>, clock: &Arc<ManualClock>) -> ScreenRecorder {
        ScreenRecorder::new(
            Box::new(Fake {
                picture: Arc::clone(picture),
            }),
            ScreenSettings {
                interval_seconds: 30.0,
                keyframe_seconds: 300.0,
                ..ScreenSettings::default()
            },
            &consent(true),
            Arc::clone(clock) as Arc<dyn Clock>,
        )
        .unwrap()
    }

    #[test]
    fn unchanged_screens_are_skipped_until_the_keyframe_interval() {
        let picture = Arc::new(std::sync::Mutex::new(100));
        let clock = Arc::new(ManualClock::new(
            Timestamp {
                utc_ns: 0,
                boot_ns: 0,
            },
            0,
        ));
        let mut r = recorder(&picture, &clock);
        assert!(r.due());
        assert_eq!(r.tick().unwrap()[0].reason, CaptureReason::First);
        assert!(!r.due());
        for _ in 0..5 {
            clock.advance(30_000_000_000);
            assert!(r.due());
            assert!(r.tick().unwrap().is_empty());
        }
        assert_eq!(r.stats().skipped, 5);
        // Changed: stored at once.
        *picture.lock().unwrap() = 20;
        clock.advance(30_000_000_000);
        let c = r.tick().unwrap();
        assert_eq!(c[0].reason, CaptureReason::Changed);
        assert!(c[0].changed > 0.99);
        // Unchanged for 300 s: a keyframe.
        for _ in 0..9 {
            clock.advance(30_000_000_000);
            assert!(r.tick().unwrap().is_empty());
        }
        clock.advance(30_000_000_000);
        assert_eq!(r.tick().unwrap()[0].reason, CaptureReason::Keyframe);
        // On demand: stored even if unchanged.
        assert_eq!(r.capture_now().unwrap()[0].reason, CaptureReason::OnDemand);
        let s = r.stats();
        assert_eq!((s.taken, s.stored, s.skipped), (18, 4, 14));
    }

    #[test]
    fn without_consent_nothing_is_captured() {
        let picture = Arc::new(std::sync::Mutex::new(0));
        let err = ScreenRecorder::new(
            Box::new(Fake { picture }),
            ScreenSettings::default(),
            &consent(false),
            Arc::new(paraakh_evidence::clock::SystemClock),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            CaptureError::NotConsented {
                device: Device::Screen
            }
        ));
    }
}
