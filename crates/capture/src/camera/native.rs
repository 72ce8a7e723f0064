//! The real webcam through nokhwa (V4L2 on Linux; Media Foundation and
//! AVFoundation on Windows and macOS, built there but not tested here).
//!
//! nokhwa's camera is not `Send` and its `frame()` blocks for as long as the
//! device does, so the camera lives on a thread of its own that keeps
//! reading (a webcam's queue must be drained, or its frames go stale) and
//! keeps only the newest raw frame. [`NativeCamera::grab`] waits for a new
//! one with a timeout: an unplugged or frozen device becomes an error, never
//! a hang. Decoding to RGB happens in `grab`, only for frames that are used.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nokhwa::Buffer;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};

use super::{CameraInfo, CameraRequest, CameraSource, virtual_camera};
use crate::error::{CaptureError, Device};

/// How long opening may take before the camera counts as not answering.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long without a new frame before the camera counts as lost.
const FRAME_TIMEOUT: Duration = Duration::from_secs(3);

/// The cameras the system lists, each checked for being virtual.
pub fn list() -> Result<Vec<CameraInfo>, CaptureError> {
    let cameras = nokhwa::query(ApiBackend::Auto).map_err(|e| CaptureError::NotFound {
        device: Device::Camera,
        name: String::new(),
        hint: format!("the system's camera list cannot be read ({e})"),
    })?;
    Ok(cameras
        .into_iter()
        .map(|c| {
            let name = c.human_name();
            let description = format!("{} {}", c.description(), c.misc())
                .trim()
                .to_owned();
            let index = c.index().as_index().ok();
            let mut virtual_camera = virtual_camera::classify(&name, &description);
            #[cfg(target_os = "linux")]
            if virtual_camera.is_none() {
                virtual_camera = index.and_then(virtual_camera::linux_node_is_virtual);
            }
            CameraInfo {
                id: index.map_or_else(|| c.index().to_string(), |i| i.to_string()),
                name,
                description,
                virtual_camera,
            }
        })
        .collect())
}

/// What the camera thread shares with [`NativeCamera`].
#[derive(Default)]
struct Latest {
    frame: Option<Buffer>,
    /// Frames read so far (to tell a new frame from the last one).
    count: u64,
    error: Option<String>,
}

/// A webcam, read on its own thread.
pub struct NativeCamera {
    info: CameraInfo,
    latest: Arc<(Mutex<Latest>, Condvar)>,
    stop: Arc<AtomicBool>,
    taken: u64,
}

impl std::fmt::Debug for NativeCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeCamera")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn classify_open_error(name: &str, e: &str) -> CaptureError {
    let lower = e.to_lowercase();
    if lower.contains("busy") || lower.contains("ebusy") || lower.contains("in use") {
        CaptureError::Busy {
            device: Device::Camera,
            name: name.to_owned(),
        }
    } else if lower.contains("no such file")
        || lower.contains("not found")
        || lower.contains("no device")
    {
        CaptureError::NotFound {
            device: Device::Camera,
            name: name.to_owned(),
            hint: format!(
                "connect a webcam (or allow this program to use it in the system's privacy settings) and try again; the system said: {e}"
            ),
        }
    } else if lower.contains("permission") || lower.contains("denied") {
        CaptureError::Open {
            device: Device::Camera,
            name: name.to_owned(),
            reason: format!(
                "permission denied: allow camera access in the system's privacy settings (on Linux, membership of the video group); the system said: {e}"
            ),
        }
    } else {
        CaptureError::Open {
            device: Device::Camera,
            name: name.to_owned(),
            reason: e.to_owned(),
        }
    }
}

impl NativeCamera {
    /// Opens camera `index` (0: the first) asking for about `request`'s size.
    pub fn open(index: u32, request: CameraRequest) -> Result<Self, CaptureError> {
        let name = format!("camera {index}");
        let latest: Arc<(Mutex<Latest>, Condvar)> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = sync_channel::<Result<CameraInfo, String>>(1);
        let (l, s) = (Arc::clone(&latest), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("paraakh-camera".into())
            .spawn(move || camera_thread(index, request, ready_tx, l, s))
            .map_err(|e| classify_open_error(&name, &e.to_string()))?;
        let info = match ready_rx.recv_timeout(OPEN_TIMEOUT) {
            Ok(Ok(info)) => info,
            Ok(Err(e)) => return Err(classify_open_error(&name, &e)),
            Err(RecvTimeoutError::Timeout) => {
                stop.store(true, Ordering::Relaxed);
                return Err(CaptureError::Timeout {
                    device: Device::Camera,
                    seconds: OPEN_TIMEOUT.as_secs_f64(),
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(classify_open_error(
                    &name,
                    "the camera thread stopped while opening",
                ));
            }
        };
        Ok(Self {
            info,
            latest,
            stop,
            taken: 0,
        })
    }
}

fn camera_thread(
    index: u32,
    request: CameraRequest,
    ready: std::sync::mpsc::SyncSender<Result<CameraInfo, String>>,
    latest: Arc<(Mutex<Latest>, Condvar)>,
    stop: Arc<AtomicBool>,
) {
    let wanted = CameraFormat::new_from(
        request.width,
        request.height,
        FrameFormat::MJPEG,
        request.fps.ceil().max(1.0) as u32,
    );
    let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
    let mut camera = match nokhwa::Camera::new(CameraIndex::Index(index), format) {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    if let Err(e) = camera.open_stream() {
        let _ = ready.send(Err(e.to_string()));
        return;
    }
    let ci = camera.info();
    let name = ci.human_name();
    let description = format!("{} {}", ci.description(), ci.misc())
        .trim()
        .to_owned();
    let mut virtual_camera = virtual_camera::classify(&name, &description);
    #[cfg(target_os = "linux")]
    if virtual_camera.is_none() {
        virtual_camera = virtual_camera::linux_node_is_virtual(index);
    }
    let info = CameraInfo {
        id: index.to_string(),
        name,
        description,
        virtual_camera,
    };
    if ready.send(Ok(info)).is_err() {
        return;
    }
    let (lock, cv) = &*latest;
    while !stop.load(Ordering::Relaxed) {
        let got = camera.frame();
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        match got {
            Ok(buf) => {
                st.frame = Some(buf);
                st.count += 1;
            }
            Err(e) => {
                st.error = Some(e.to_string());
                cv.notify_all();
                break;
            }
        }
        cv.notify_all();
    }
    let _ = camera.stop_stream();
}

impl CameraSource for NativeCamera {
    fn info(&self) -> &CameraInfo {
        &self.info
    }

    fn grab(&mut self) -> Result<(u32, u32, Vec<u8>), CaptureError> {
        let (lock, cv) = &*self.latest;
        let deadline = Instant::now() + FRAME_TIMEOUT;
        let mut st = lock.lock().unwrap_or_else(|p| p.into_inner());
        while st.count == self.taken && st.error.is_none() {
            let now = Instant::now();
            if now >= deadline {
                return Err(CaptureError::Timeout {
                    device: Device::Camera,
                    seconds: FRAME_TIMEOUT.as_secs_f64(),
                });
            }
            st = cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if let Some(e) = &st.error {
            return Err(CaptureError::Lost {
                device: Device::Camera,
                name: self.info.name.clone(),
                reason: e.clone(),
            });
        }
        self.taken = st.count;
        let buf = st.frame.take().ok_or_else(|| CaptureError::Lost {
            device: Device::Camera,
            name: self.info.name.clone(),
            reason: "no frame".into(),
        })?;
        drop(st);
        let img = buf
            .decode_image::<RgbFormat>()
            .map_err(|e| CaptureError::Lost {
                device: Device::Camera,
                name: self.info.name.clone(),
                reason: format!("a frame could not be decoded: {e}"),
            })?;
        let (w, h) = img.dimensions();
        Ok((w, h, img.into_raw()))
    }
}

impl Drop for NativeCamera {
    fn drop(&mut self) {
        // The thread stops after its current frame; a device that never
        // answers again leaves it blocked, detached, instead of us.
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_errors_say_what_to_do() {
        let e = classify_open_error(
            "camera 0",
            "Could not open device /dev/video0: Device or resource busy",
        );
        assert!(matches!(e, CaptureError::Busy { .. }), "{e}");
        assert!(e.to_string().contains("in use by another program"));
        let e = classify_open_error(
            "camera 0",
            "OpenDeviceError(/dev/video0, No such file or directory)",
        );
        assert!(matches!(e, CaptureError::NotFound { .. }), "{e}");
        assert!(e.to_string().contains("connect a webcam"));
        let e = classify_open_error("camera 0", "Permission denied (os error 13)");
        assert!(e.to_string().contains("video group"), "{e}");
    }
}
