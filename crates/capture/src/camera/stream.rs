//! A camera running on its own thread: frames at a steady rate into a
//! bounded queue (a slow consumer loses the oldest frames, counted), and
//! trouble as events instead of errors nobody sees.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_signal::DropOldestQueue;

use super::{CameraInfo, CameraSource};
use crate::consent::Consent;
use crate::error::{CaptureError, Device};
use crate::frame::VideoFrame;

/// Something that happened to the camera.
#[derive(Debug, Clone)]
pub struct CameraEvent {
    /// When.
    pub at: Timestamp,
    /// What went wrong, said for the candidate and the reviewer.
    pub message: String,
    /// The camera stopped for good (after repeated failures).
    pub stopped: bool,
}

/// Failures in a row after which the stream gives up.
const MAX_FAILURES: u32 = 3;

/// A camera delivering frames on its own thread.
pub struct CameraStream {
    info: CameraInfo,
    frames: Arc<DropOldestQueue<VideoFrame>>,
    events: Arc<DropOldestQueue<CameraEvent>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for CameraStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraStream")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl CameraStream {
    /// Starts pulling `fps` frames a second from `source` into a queue of
    /// `capacity` frames. Needs consent to the camera.
    pub fn start(
        mut source: Box<dyn CameraSource>,
        fps: f32,
        capacity: usize,
        consent: &Consent,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CaptureError> {
        consent.require(Device::Camera)?;
        let info = source.info().clone();
        let frames = Arc::new(DropOldestQueue::new(capacity));
        let events = Arc::new(DropOldestQueue::new(64));
        let stop = Arc::new(AtomicBool::new(false));
        let interval = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(0.1, 60.0)));
        let (f, e, s) = (Arc::clone(&frames), Arc::clone(&events), Arc::clone(&stop));
        let handle = std::thread::Builder::new()
            .name("paraakh-camera-stream".into())
            .spawn(move || {
                let mut seq = 0u64;
                let mut failures = 0u32;
                let mut next = Instant::now();
                while !s.load(Ordering::Relaxed) {
                    match source.grab() {
                        Ok((w, h, rgb)) => {
                            failures = 0;
                            match VideoFrame::new(w, h, rgb, clock.now(), seq) {
                                Ok(frame) => {
                                    f.push(frame);
                                    seq += 1;
                                }
                                Err(err) => {
                                    e.push(CameraEvent {
                                        at: clock.now(),
                                        message: err.to_string(),
                                        stopped: false,
                                    });
                                }
                            }
                        }
                        Err(err) => {
                            failures += 1;
                            let stopped = failures >= MAX_FAILURES;
                            e.push(CameraEvent {
                                at: clock.now(),
                                message: err.to_string(),
                                stopped,
                            });
                            if stopped {
                                break;
                            }
                        }
                    }
                    next += interval;
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    } else {
                        // Behind (a slow device): do not try to catch up in a burst.
                        next = now;
                    }
                }
                f.close();
                e.close();
            })
            .map_err(|e| CaptureError::Open {
                device: Device::Camera,
                name: info.name.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            info,
            frames,
            events,
            stop,
            handle: Some(handle),
        })
    }

    /// The camera.
    pub fn info(&self) -> &CameraInfo {
        &self.info
    }

    /// The next frame, waiting at most `timeout`; `None` on timeout or once
    /// the camera stopped.
    pub fn next_frame(&self, timeout: Duration) -> Option<VideoFrame> {
        self.frames.pop_timeout(timeout)
    }

    /// An event, if one is waiting.
    pub fn next_event(&self) -> Option<CameraEvent> {
        self.events.try_pop()
    }

    /// Frames dropped because the consumer was behind.
    pub fn dropped(&self) -> u64 {
        self.frames.dropped()
    }

    /// Whether the camera gave up (see the events for why).
    pub fn is_stopped(&self) -> bool {
        self.frames.is_closed()
    }
}

impl Drop for CameraStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
