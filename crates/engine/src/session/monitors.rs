//! The monitors, each on its own thread, reporting [`Signal`]s into one
//! bounded channel the session loop reads. A monitor that cannot keep up
//! drops its oldest input (the capture queues) and never blocks capture.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paraakh_capture::VideoFrame;
use paraakh_capture::camera::CameraStream;
use paraakh_capture::microphone::AudioShared;
use paraakh_capture::screen::{ScreenCapture, ScreenRecorder};
use paraakh_detect::vad::Segmenter;
use paraakh_detect::{
    FaceDetector, Gaze, QualityTracker, RgbImage, VadConfig, Visibility, VoiceDetector, head_pose,
};
use paraakh_evidence::{Clock, Timestamp};

use crate::EngineError;

/// What the monitors report.
#[derive(Debug)]
pub enum Signal {
    /// One analysed webcam frame.
    Camera {
        /// When the frame arrived.
        at: Timestamp,
        /// Faces found (`None` when face detection is not running).
        faces: Option<usize>,
        /// Covered, too dark or frozen.
        blocked: bool,
        /// The one face is turned away.
        looking_away: bool,
    },
    /// Speech that ended, with its clip (16 kHz mono, pre-roll included).
    Speech {
        /// When it was noticed.
        at: Timestamp,
        /// Seconds of speech.
        seconds: f64,
        /// Stream time of its start, seconds.
        start_s: f64,
        /// The clip.
        clip: Vec<f32>,
    },
    /// Stored screen captures (periodic, or asked for by an event).
    Screens {
        /// The captures.
        captures: Vec<ScreenCapture>,
        /// The event they are evidence for.
        for_event: Option<u64>,
    },
    /// A remote session or screen share that was not there before.
    Remote {
        /// When it was seen.
        at: Timestamp,
        /// Screen sharing (else a remote session).
        sharing: bool,
        /// What was found, in plain words.
        what: String,
    },
    /// Nothing ran for a while: the computer slept or the program was stopped.
    Gap(Gap),
    /// A device or detector problem, in plain words.
    Trouble {
        /// Which monitor.
        monitor: &'static str,
        /// What happened.
        message: String,
        /// It stopped for good.
        stopped: bool,
    },
}

/// The sending side given to each monitor: never blocks, counts what it drops.
#[derive(Debug, Clone)]
pub struct Signals {
    tx: SyncSender<Signal>,
    dropped: Arc<AtomicU64>,
}

impl Signals {
    /// A channel of `capacity` signals.
    pub fn channel(capacity: usize) -> (Self, Receiver<Signal>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity);
        (
            Self {
                tx,
                dropped: Arc::new(AtomicU64::new(0)),
            },
            rx,
        )
    }

    fn send(&self, s: Signal) {
        if let Err(TrySendError::Full(_)) = self.tx.try_send(s) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Signals dropped because the session loop was behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A running monitor thread; stops when dropped.
#[derive(Debug)]
pub struct Monitor {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Monitor {
    fn spawn(name: &str, run: impl FnOnce(&AtomicBool) + Send + 'static) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(&s))?;
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The newest webcam frame, for snapshots.
pub type LastFrame = Arc<Mutex<Option<VideoFrame>>>;

/// The full small-face check (~50 ms) runs this often; the near model every
/// frame. The rules need a condition to last seconds anyway (standard: a
/// second person for 5 s, no face for 10 s).
const FULL_FACE_CHECK: Duration = Duration::from_secs(10);

/// Chunks quieter than this (RMS, dBFS) cannot hold speech the detector
/// would find: they skip the model. A quiet exam room is mostly this.
const SILENCE_DBFS: f32 = -50.0;

/// After this much gated silence the detector's state is reset, so it
/// starts on the next sound as it would on a fresh stream.
const SILENCE_RESET_CHUNKS: u32 = 32;

fn rms_dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return -120.0;
    }
    let mean = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
    if mean <= 1e-12 {
        -120.0
    } else {
        10.0 * mean.log10()
    }
}

/// Camera → frame quality → face detector.
pub fn camera(
    stream: CameraStream,
    mut faces: Option<FaceDetector>,
    last: LastFrame,
    signals: Signals,
) -> Result<Monitor, EngineError> {
    Monitor::spawn("paraakh-camera-monitor", move |stop| {
        let mut quality = QualityTracker::new();
        let mut last_full = None::<Instant>;
        let mut full_count = 0usize;
        while !stop.load(Ordering::Relaxed) {
            while let Some(e) = stream.next_event() {
                signals.send(Signal::Trouble {
                    monitor: "camera",
                    message: e.message,
                    stopped: e.stopped,
                });
            }
            let Some(frame) = stream.next_frame(Duration::from_millis(200)) else {
                if stream.is_stopped() {
                    break;
                }
                continue;
            };
            let at = frame.at;
            let Ok(img) = RgbImage::new(frame.width, frame.height, frame.rgb.clone()) else {
                continue;
            };
            if let Ok(mut l) = last.lock() {
                *l = Some(frame);
            }
            let q = quality.measure(&img);
            let blocked = q.visibility != Visibility::Ok;
            let (mut count, mut looking_away) = (0, false);
            if let (Some(detector), false) = (faces.as_mut(), blocked) {
                let near = detector.detect_near(&img);
                let found = match near {
                    Ok(found) => found,
                    Err(e) => {
                        signals.send(Signal::Trouble {
                            monitor: "face detection",
                            message: e.to_string(),
                            stopped: false,
                        });
                        Vec::new()
                    }
                };
                count = found.len();
                // The near model misses small and background faces: the
                // full check confirms "none" and looks for a second person.
                if count <= 1 && last_full.is_none_or(|t| t.elapsed() >= FULL_FACE_CHECK) {
                    last_full = Some(Instant::now());
                    if let Ok(all) = detector.detect(&img) {
                        full_count = all.len();
                    }
                    count = count.max(full_count);
                } else if count <= 1 {
                    // Between full checks, a second person seen by the last
                    // full check is still assumed present.
                    count = count.max(full_count.min(2));
                }
                if let [face] = found.as_slice() {
                    looking_away = head_pose(face).gaze != Gaze::Forward;
                }
            }
            signals.send(Signal::Camera {
                at,
                faces: faces.is_some().then_some(count),
                blocked,
                looking_away,
            });
        }
    })
    .map_err(EngineError::start("the camera monitor"))
}

/// Microphone → voice detector → speech segments with their clips.
pub fn microphone(
    audio: Arc<AudioShared>,
    keep_alive: Box<dyn Send>,
    mut voice: VoiceDetector,
    pre_roll_s: f64,
    clip_s: f64,
    clock: Arc<dyn Clock>,
    signals: Signals,
) -> Result<Monitor, EngineError> {
    Monitor::spawn("paraakh-voice-monitor", move |stop| {
        let _device = keep_alive;
        let mut segmenter = Segmenter::new(VadConfig::default());
        let mut base = None::<u64>;
        let mut quiet = 0u32;
        let rate = 16_000.0;
        let emit = |seg: paraakh_detect::SpeechSegment, base: u64| {
            let start = base + (seg.start_s * rate) as u64;
            let end = base + (seg.end_s * rate) as u64;
            let from = start.saturating_sub((pre_roll_s * rate) as u64);
            let to = end.min(start + (clip_s * rate) as u64);
            signals.send(Signal::Speech {
                at: clock.now(),
                seconds: seg.end_s - seg.start_s,
                start_s: start as f64 / rate,
                clip: audio.clip(from, to),
            });
        };
        while !stop.load(Ordering::Relaxed) {
            let Some(chunk) = audio.next_chunk(Duration::from_millis(200)) else {
                if audio.is_closed() {
                    break;
                }
                continue;
            };
            let b = *base.get_or_insert(chunk.first_sample);
            if rms_dbfs(&chunk.samples) < SILENCE_DBFS {
                quiet += 1;
                if quiet == SILENCE_RESET_CHUNKS {
                    voice.reset();
                }
                if let Some(seg) = segmenter.push(0.0) {
                    emit(seg, b);
                }
                continue;
            }
            quiet = 0;
            match voice.process(&chunk.samples) {
                Ok(prob) => {
                    if let Some(seg) = segmenter.push(prob) {
                        emit(seg, b);
                    }
                }
                Err(e) => signals.send(Signal::Trouble {
                    monitor: "voice detection",
                    message: e.to_string(),
                    stopped: false,
                }),
            }
        }
        if !stop.load(Ordering::Relaxed) && audio.is_closed() {
            signals.send(Signal::Trouble {
                monitor: "microphone",
                message: "the sound stopped coming (the device or the audio server went away)"
                    .into(),
                stopped: true,
            });
        }
        if let (Some(seg), Some(b)) = (segmenter.finish(), base) {
            emit(seg, b);
        }
    })
    .map_err(EngineError::start("the voice monitor"))
}

/// Screens: periodic captures, and captures asked for by events.
pub fn screen(
    mut recorder: ScreenRecorder,
    requests: Receiver<u64>,
    signals: Signals,
) -> Result<Monitor, EngineError> {
    Monitor::spawn("paraakh-screen-monitor", move |stop| {
        let mut failures = 0u32;
        while !stop.load(Ordering::Relaxed) {
            let (result, for_event) = match requests.recv_timeout(Duration::from_millis(200)) {
                Ok(seq) => (recorder.capture_now(), Some(seq)),
                Err(_) if recorder.due() => (recorder.tick(), None),
                Err(_) => continue,
            };
            match result {
                Ok(captures) => {
                    failures = 0;
                    if !captures.is_empty() {
                        signals.send(Signal::Screens {
                            captures,
                            for_event,
                        });
                    }
                }
                Err(e) => {
                    failures += 1;
                    signals.send(Signal::Trouble {
                        monitor: "screen",
                        message: e.to_string(),
                        stopped: failures >= 3,
                    });
                    if failures >= 3 {
                        break;
                    }
                }
            }
        }
    })
    .map_err(EngineError::start("the screen monitor"))
}

/// How often remote sessions and screen shares are looked for.
const REMOTE_EVERY: Duration = Duration::from_secs(15);

/// Remote sessions and screen shares appearing during the exam (those
/// present at the start are the system check's business, reported once too).
pub fn remote(
    matcher: paraakh_lockdown::process::Matcher,
    clock: Arc<dyn Clock>,
    signals: Signals,
) -> Result<Monitor, EngineError> {
    Monitor::spawn("paraakh-remote-monitor", move |stop| {
        let Ok(mut guard) = paraakh_lockdown::process::ProcessGuard::new(matcher.clone()) else {
            return;
        };
        let mut seen = std::collections::HashSet::new();
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if Instant::now() < next {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            next = Instant::now() + REMOTE_EVERY;
            let inputs = paraakh_lockdown::remote::gather(
                guard.processes(),
                None,
                std::path::Path::new("/"),
            );
            let report = paraakh_lockdown::remote::assess(&inputs, &matcher);
            for (sharing, items) in [
                (false, report.remote_session),
                (true, report.screen_sharing),
            ] {
                for what in items {
                    if seen.insert(what.clone()) {
                        signals.send(Signal::Remote {
                            at: clock.now(),
                            sharing,
                            what,
                        });
                    }
                }
            }
        }
    })
    .map_err(EngineError::start("the remote-session monitor"))
}

/// A stretch of time in which the session's threads did not run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// How long, by the boot clock (which counts a sleep), in seconds.
    pub seconds: f64,
    /// The computer slept (its monotonic clock stood still meanwhile);
    /// otherwise the program alone was stopped while the computer ran on.
    pub slept: bool,
}

/// A wake-up this late means the process did not run: a busy old laptop
/// delays a thread by milliseconds, a stopped one by as long as it is stopped.
const GAP_AFTER: Duration = Duration::from_secs(5);
/// How often the gap watch wakes.
const GAP_TICK: Duration = Duration::from_millis(500);

impl Gap {
    /// The gap between two wake-ups `boot` and `monotonic` apart, if any.
    /// Linux's monotonic clock stops while the computer sleeps and its boot
    /// clock does not: the difference tells a sleep from a stopped program.
    pub fn between(boot: Duration, monotonic: Duration) -> Option<Self> {
        (boot >= GAP_AFTER).then(|| Self {
            seconds: boot.as_secs_f64(),
            slept: boot.saturating_sub(monotonic) >= Duration::from_secs(2),
        })
    }
}

/// Watches for gaps in the session's own running (a closed lid, SIGSTOP):
/// reported when the process runs again, so the reviewer knows what was
/// not watched and the rules do not count a condition across it.
pub fn gap_watch(signals: Signals) -> Result<Monitor, EngineError> {
    use paraakh_evidence::SystemClock;
    Monitor::spawn("paraakh-gap-watch", move |stop| {
        let mut last = (SystemClock.now().boot_ns, Instant::now());
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(GAP_TICK);
            let now = (SystemClock.now().boot_ns, Instant::now());
            let boot = Duration::from_nanos(now.0.saturating_sub(last.0));
            if let Some(gap) = Gap::between(boot, now.1.duration_since(last.1)) {
                signals.send(Signal::Gap(gap));
            }
            last = now;
        }
    })
    .map_err(EngineError::start("the gap watch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_wake_up_is_a_gap_and_the_clocks_tell_a_sleep_from_a_stop() {
        let s = Duration::from_secs;
        assert_eq!(
            Gap::between(Duration::from_millis(700), Duration::from_millis(700)),
            None
        );
        assert_eq!(
            Gap::between(s(4), s(4)),
            None,
            "a busy machine is not a gap"
        );
        assert_eq!(
            Gap::between(s(20), s(20)),
            Some(Gap {
                seconds: 20.0,
                slept: false
            }),
            "SIGSTOP: both clocks ran on"
        );
        assert_eq!(
            Gap::between(s(600), Duration::from_millis(500)),
            Some(Gap {
                seconds: 600.0,
                slept: true
            }),
            "a closed lid: the monotonic clock stood still"
        );
    }

    #[test]
    fn the_silence_gate_passes_quiet_speech_and_stops_silence() {
        assert_eq!(rms_dbfs(&[0.0; 512]), -120.0);
        // A faint room hum (−60 dBFS) skips the model ...
        let hum: Vec<f32> = (0..512).map(|i| 0.0014 * (i as f32 * 0.1).sin()).collect();
        assert!(rms_dbfs(&hum) < SILENCE_DBFS);
        // ... quiet speech at −40 dBFS does not.
        let quiet: Vec<f32> = (0..512).map(|i| 0.014 * (i as f32 * 0.3).sin()).collect();
        let level = rms_dbfs(&quiet);
        assert!(
            level > SILENCE_DBFS && (level + 40.0).abs() < 1.0,
            "{level}"
        );
    }
}
