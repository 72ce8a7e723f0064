//! Camera, microphone and screen: present, and working.

use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_capture::{Consent, ConsentScope};
use paraakh_evidence::clock::{Clock, SystemClock};
use paraakh_policy::Policy;

use super::{CheckItem, Status, by_rule};
use crate::sources::{self, CameraSpec, MicrophoneSpec, ScreenSpec};

/// Running the check is the candidate's consent to these short captures:
/// nothing is kept.
fn consent_for_check() -> Consent {
    Consent::given(ConsentScope::ALL, SystemClock.now())
}

const CAMERA: &str = "Webcam";

pub(super) fn camera(p: &Policy, spec: Option<&CameraSpec>) -> CheckItem {
    if !p.face.enabled {
        return CheckItem::ok("camera", CAMERA, "not used by this exam");
    }
    match spec {
        None => {
            return CheckItem::with(
                "camera",
                CAMERA,
                Status::Blocking,
                "no camera was chosen",
                "choose a webcam in the settings and run the check again",
            );
        }
        Some(replay @ CameraSpec::Replay(_)) => {
            let what = replay.replay_note().unwrap_or_default();
            return match sources::open_camera(replay).and_then(|mut c| c.grab()) {
                Ok((w, h, _)) => CheckItem::ok("camera", CAMERA, format!("{what} works ({w}×{h})")),
                Err(e) => CheckItem::with(
                    "camera",
                    CAMERA,
                    Status::Blocking,
                    e.to_string(),
                    "check the recording the camera is replayed from",
                ),
            };
        }
        Some(CameraSpec::Device(_)) => {}
    }
    let cameras = match paraakh_capture::camera::native::list() {
        Ok(c) => c,
        Err(e) => {
            return CheckItem::with(
                "camera",
                CAMERA,
                Status::Blocking,
                e.to_string(),
                "connect a webcam, or allow this program to use it in the system's privacy settings",
            );
        }
    };
    // Prefer a real camera: a virtual one is judged by the policy.
    let Some(chosen) = cameras
        .iter()
        .find(|c| c.virtual_camera.is_none())
        .or_else(|| cameras.first())
    else {
        return CheckItem::with(
            "camera",
            CAMERA,
            Status::Blocking,
            "no camera was found",
            "connect a webcam (or allow this program to use it in the system's privacy settings) and run the check again",
        );
    };
    if let Some(why) = &chosen.virtual_camera {
        let status = by_rule(p.face.enabled, &p.face.virtual_camera);
        if status != Status::Ok {
            return CheckItem::with(
                "camera",
                CAMERA,
                status,
                format!(
                    "the only camera, \"{}\", looks like {why}: software that can show any video",
                    chosen.name
                ),
                "connect a real webcam, or close the virtual camera software",
            );
        }
    }
    let index = chosen.id.parse().unwrap_or(0);
    let grabbed = sources::open_camera(&CameraSpec::Device(index)).and_then(|mut c| c.grab());
    match grabbed {
        Ok((w, h, _)) => CheckItem::ok(
            "camera",
            CAMERA,
            format!("\"{}\" works ({w}×{h})", chosen.name),
        ),
        Err(e) => CheckItem::with(
            "camera",
            CAMERA,
            Status::Blocking,
            e.to_string(),
            "close other programs that use the camera, check it is connected, and run the check again",
        ),
    }
}

const MICROPHONE: &str = "Microphone";
/// Quieter than this over the whole listening time: probably muted.
const SILENT_DBFS: f32 = -60.0;

pub(super) fn microphone(
    p: &Policy,
    listen_seconds: f64,
    spec: Option<&MicrophoneSpec>,
) -> CheckItem {
    if !p.voice.enabled {
        return CheckItem::ok("microphone", MICROPHONE, "not used by this exam");
    }
    let Some(spec) = spec else {
        return CheckItem::with(
            "microphone",
            MICROPHONE,
            Status::Blocking,
            "no microphone was chosen",
            "choose a microphone in the settings and run the check again",
        );
    };
    let opened = sources::open_microphone(spec, 0.0, &consent_for_check(), Arc::new(SystemClock));
    let mic = match opened {
        Ok(m) => m,
        Err(e) => {
            return CheckItem::with(
                "microphone",
                MICROPHONE,
                Status::Blocking,
                e.to_string(),
                "connect a microphone, or allow this program to use it in the system's privacy settings",
            );
        }
    };
    let audio = Arc::clone(&mic.audio);
    let wanted = (listen_seconds.max(0.1) * 16_000.0) as usize;
    let deadline = Instant::now() + Duration::from_secs_f64(listen_seconds.max(0.1) + 5.0);
    let (mut heard, mut peak) = (0usize, 0f32);
    while heard < wanted && Instant::now() < deadline {
        if let Some(chunk) = audio.next_chunk(Duration::from_millis(200)) {
            heard += chunk.samples.len();
            peak = chunk.samples.iter().fold(peak, |m, v| m.max(v.abs()));
        }
    }
    let name = mic.name.clone();
    drop(mic);
    if heard == 0 {
        return CheckItem::with(
            "microphone",
            MICROPHONE,
            Status::Blocking,
            format!("\"{name}\" delivered no sound"),
            "check that the microphone is connected and not used by another program",
        );
    }
    let peak_dbfs = if peak <= 1e-6 {
        -120.0
    } else {
        20.0 * peak.log10()
    };
    if peak_dbfs < SILENT_DBFS {
        CheckItem::with(
            "microphone",
            MICROPHONE,
            Status::Warning,
            format!("\"{name}\" hears nothing (peak {peak_dbfs:.0} dBFS)"),
            "unmute the microphone or raise its level, then say a few words while the check listens",
        )
    } else {
        CheckItem::ok(
            "microphone",
            MICROPHONE,
            format!("\"{name}\" works (peak {peak_dbfs:.0} dBFS)"),
        )
    }
}

const SCREEN: &str = "Screen capture";

pub(super) fn screen_capture(p: &Policy, spec: Option<&ScreenSpec>) -> CheckItem {
    if !p.screen.enabled {
        return CheckItem::ok("screen_capture", SCREEN, "not used by this exam");
    }
    let captured = sources::open_screen(spec.unwrap_or(&ScreenSpec::Desktop)).and_then(|mut s| {
        let monitors = s.monitors()?;
        let mut sizes = Vec::new();
        for m in &monitors {
            let shot = s.capture(m)?;
            sizes.push(format!("{}×{}", shot.width, shot.height));
        }
        Ok(sizes)
    });
    match captured {
        Ok(sizes) => CheckItem::ok(
            "screen_capture",
            SCREEN,
            format!("permitted ({})", sizes.join(", ")),
        ),
        Err(e) => CheckItem::with(
            "screen_capture",
            SCREEN,
            Status::Blocking,
            e.to_string(),
            "allow screen recording for this program in the system's privacy settings, or run the exam in a graphical session",
        ),
    }
}
