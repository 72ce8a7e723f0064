//! Opening a session: the evidence writer (new, or resumed in a new
//! segment), consent, the detectors, the capture sources and the lockdown
//! watches. Anything that cannot start is recorded and the session goes on
//! without it: a missing camera or detector never fails a candidate; the
//! reviewer sees what was not watched.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use paraakh_capture::camera::CameraStream;
use paraakh_capture::screen::{ScreenRecorder, ScreenSettings};
use paraakh_capture::{Consent, ConsentScope};
use paraakh_detect::{FaceConfig, FaceDetector, Runtime, RuntimeConfig, VoiceDetector};
use paraakh_evidence::keys::{NoteSigner, NoteVerifier, TenantPublicKey};
use paraakh_evidence::note::SignedNote;
use paraakh_evidence::record::ClientInfo;
use paraakh_evidence::{Body, Clock, SessionParams, SessionWriter, Severity};
use paraakh_lockdown::displays::{DisplayWatch, X11Displays};
use paraakh_lockdown::input::InputWatch;
use paraakh_lockdown::process::{Matcher, ProcessGuard, ProcessWatch, WatchOptions};
use paraakh_lockdown::session_type::Lockdown;
use paraakh_policy::Policy;
use paraakh_signal::DropOldestQueue;
use serde_json::json;

use super::carried::Carried;
use super::environment::Environment;
use super::monitors::{self, Signals};
use super::rules::Rules;
use super::{EngineEvent, EventKind, Opened, detail, new_last_frame};
use crate::EngineError;
use crate::sources::Sources;

/// Everything a session needs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The session directory (an unfinished session there is resumed).
    pub dir: PathBuf,
    /// The exam's policy (its canonical hash goes into the header).
    pub policy: Policy,
    /// Tenant id.
    pub tenant_id: String,
    /// Exam id.
    pub exam_id: String,
    /// Session id.
    pub session_id: String,
    /// The tenant's evidence encryption key.
    pub tenant_key: TenantPublicKey,
    /// This installation's device key.
    pub device: Arc<NoteSigner>,
    /// The backend's cosigning key, when pinned.
    pub backend_key: Option<NoteVerifier>,
    /// The backend's statement binding this session to the device key,
    /// made at join or when the questions were released. Without one and
    /// with `upload`, one is asked for at the start.
    pub statement: Option<SignedNote>,
    /// This client build.
    pub client: ClientInfo,
    /// Capture sources.
    pub sources: Sources,
    /// What the candidate agreed to (nothing outside it is captured).
    pub consent: ConsentScope,
    /// Where ONNX Runtime and the models are; `None`: no detection.
    pub detection: Option<RuntimeConfig>,
    /// Watch for prohibited programs.
    pub watch_processes: bool,
    /// Watch the displays (X11).
    pub watch_displays: bool,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Checkpoint interval.
    pub checkpoint_every: Duration,
    /// End after this long (`None`: when told).
    pub duration: Option<Duration>,
    /// Upload while the exam runs (`None`: offline, sync later).
    pub upload: Option<super::UploadConfig>,
    /// The clock for every record.
    pub clock: Arc<dyn Clock>,
    /// How the machine was set up: recorded at the start of every segment.
    pub environment: Environment,
    /// A proctor can confirm what holds the exam (the app has a proctor
    /// code to check): without one, a new input device is recorded but
    /// does not hold the exam, whatever the policy says.
    pub proctor_can_confirm: bool,
}

/// Who a session is and the keys it is recorded under.
#[derive(Debug, Clone)]
pub struct SessionIdentity {
    /// Tenant id.
    pub tenant_id: String,
    /// Exam id.
    pub exam_id: String,
    /// Session id.
    pub session_id: String,
    /// The tenant's evidence encryption key.
    pub tenant_key: TenantPublicKey,
    /// This installation's device key.
    pub device: Arc<NoteSigner>,
    /// This client build.
    pub client: ClientInfo,
}

impl SessionConfig {
    /// A session in `dir` under `policy`, as this machine runs one unless
    /// told otherwise: nothing captured (see [`capturing`](Self::capturing)),
    /// no detection, every lockdown watch on, a heartbeat a minute, a
    /// checkpoint every 30 s, offline, the system clock, ended when told.
    /// The one way the app and `paraakh session run` make a session.
    pub fn new(dir: PathBuf, policy: Policy, who: SessionIdentity) -> Self {
        Self {
            dir,
            policy,
            tenant_id: who.tenant_id,
            exam_id: who.exam_id,
            session_id: who.session_id,
            tenant_key: who.tenant_key,
            device: who.device,
            backend_key: None,
            statement: None,
            client: who.client,
            sources: Sources::default(),
            consent: ConsentScope::default(),
            detection: None,
            watch_processes: true,
            watch_displays: true,
            heartbeat: Duration::from_secs(60),
            checkpoint_every: Duration::from_secs(30),
            duration: None,
            upload: None,
            clock: Arc::new(paraakh_evidence::SystemClock),
            environment: Environment::default(),
            proctor_can_confirm: true,
        }
    }

    /// Captures from `sources` what the policy asks for; the candidate's
    /// consent covers exactly that (the caller asked for it first).
    pub fn capturing(mut self, sources: Sources) -> Self {
        self.consent = ConsentScope {
            camera: self.policy.face.enabled && sources.camera.is_some(),
            microphone: self.policy.voice.enabled && sources.microphone.is_some(),
            screen: self.policy.screen.enabled && sources.screen.is_some(),
        };
        self.sources = sources;
        self
    }

    /// Watches processes, remote sessions and displays, or not (recorded
    /// as not watched, switched off by the launch source).
    pub fn lockdown(mut self, on: bool) -> Self {
        self.watch_processes = on;
        self.watch_displays = on;
        self
    }

    /// Uploads while the exam runs, receipts checked under `backend_key`.
    pub fn uploading(
        mut self,
        upload: Option<super::UploadConfig>,
        backend_key: Option<NoteVerifier>,
    ) -> Self {
        self.upload = upload;
        self.backend_key = backend_key;
        self
    }
}

/// The statement a new session starts with: the one given (from the join or
/// the questions' release), else a fresh one from the backend when
/// uploading; and why there is none, if so.
fn statement_for(config: &SessionConfig) -> (Option<SignedNote>, Option<String>) {
    if config.statement.is_some() {
        return (config.statement.clone(), None);
    }
    let Some(upload) = &config.upload else {
        return (None, None);
    };
    match super::upload::fetch_statement(
        upload,
        &config.session_id,
        &config.device.verifier().encode(),
    ) {
        Ok(statement) => (Some(statement), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Webcam frames analysed per second: enough for conditions that must last seconds.
const CAMERA_FPS: f32 = 2.0;

pub(crate) fn open(
    config: SessionConfig,
    events: &Arc<DropOldestQueue<EngineEvent>>,
    commands: std::sync::mpsc::Sender<super::Command>,
) -> Result<Opened, EngineError> {
    let clock = Arc::clone(&config.clock);
    let resuming = config.dir.join("log").exists();
    let mut unbound = None;
    let (mut writer, recovered) = if resuming {
        let (w, r) = SessionWriter::resume(&config.dir, &config.device, Arc::clone(&clock))?;
        (w, Some(r))
    } else {
        let (statement, trouble) = statement_for(&config);
        unbound = trouble;
        let mut params = SessionParams {
            session_id: config.session_id.clone(),
            exam_id: config.exam_id.clone(),
            tenant_id: config.tenant_id.clone(),
            policy_sha256: config.policy.sha256(),
            client: config.client.clone(),
            tenant_key: config.tenant_key.clone(),
            backend_key: config.backend_key.clone(),
            statement,
        };
        // A statement this session cannot use never stops the exam: it
        // starts without one, vouched for by this computer only.
        if let Err(why) = params.check_statement(&config.device) {
            unbound = Some(why.to_string());
            params.statement = None;
        }
        let w = SessionWriter::create(&config.dir, params, &config.device, Arc::clone(&clock))?;
        (w, None)
    };
    let record = |w: &mut SessionWriter,
                  sev: Severity,
                  kind: EventKind,
                  message: String,
                  d: serde_json::Value|
     -> Result<(), EngineError> {
        w.append(
            sev,
            Body::Event(paraakh_evidence::record::Event {
                kind: kind.as_str().to_owned(),
                message: Some(message),
                detail: detail(d),
            }),
        )?;
        Ok(())
    };
    if let Some(why) = &unbound {
        record(
            &mut writer,
            Severity::Low,
            EventKind::StatementUnavailable,
            format!(
                "The exam server could not confirm this computer at the start ({why}); this session's evidence is vouched for by this computer only"
            ),
            json!({"reason": why}),
        )?;
    }
    let scope = config.consent;
    let gap_seconds = recovered.as_ref().map(|r| r.gap_ns as f64 / 1e9);
    match &recovered {
        Some(r) => record(
            &mut writer,
            Severity::Medium,
            EventKind::SessionResumed,
            format!(
                "The session continued after the client stopped unexpectedly; nothing was recorded for {:.0} s",
                r.gap_ns as f64 / 1e9
            ),
            json!({
                "gap_seconds": r.gap_ns as f64 / 1e9,
                "records_before": r.records,
                "truncated_log_bytes": r.note.truncated_log_bytes,
                "discarded_blobs": r.note.discarded_blobs.len(),
            }),
        )?,
        None => record(
            &mut writer,
            Severity::Info,
            EventKind::ConsentGiven,
            "The candidate agreed to what is captured".into(),
            json!({"camera": scope.camera, "microphone": scope.microphone, "screen": scope.screen}),
        )?,
    }
    let consent = Consent::given(scope, clock.now());
    let policy = config.policy.clone();
    let exam_session = config
        .environment
        .session
        .as_ref()
        .is_some_and(|s| s.lockdown == Lockdown::ExamSession);
    // Started before the environment record, which lists the devices it found.
    let input = watch_input(&config, &policy, exam_session, &clock);
    let deviations = config.environment.observed_deviations(
        &policy,
        &config.sources,
        config.watch_processes,
        config.watch_displays,
    );
    let loosened = !deviations.is_empty()
        || config
            .environment
            .session
            .as_ref()
            .is_some_and(|s| s.disagreement.is_some());
    record(
        &mut writer,
        if loosened {
            Severity::Medium
        } else {
            Severity::Info
        },
        EventKind::Environment,
        config
            .environment
            .summary(&config.client.version, &deviations),
        json!({
            "client": config.client.version,
            "session": config.environment.session,
            "system_check": config.environment.system_check,
            "launch": config.environment.launch,
            "managed": config.environment.managed,
            "development_build": config.environment.development_build,
            "deviations": deviations,
            "input_devices": input.as_ref().ok().and_then(|w| w.as_ref()).map(InputWatch::devices),
        }),
    )?;
    for (guard, why) in &config.environment.guards_unavailable {
        record(
            &mut writer,
            Severity::Medium,
            EventKind::GuardUnavailable,
            format!("{guard} is not in force: {why}"),
            json!({"guard": guard, "reason": why}),
        )?;
    }
    let set_by = |what: &str| {
        deviations
            .iter()
            .find(|d| d.setting == what)
            .map(|d| format!("switched off by {}", d.set_by))
    };
    let (signal_tx, signals) = Signals::channel(256);
    let last_frame = new_last_frame();
    // Not a layer of the policy: a gap in the session's own running is
    // always the reviewer's business.
    let mut monitors = vec![monitors::gap_watch(signal_tx.clone())?];
    let mut running = Vec::new();
    let mut not_running = Vec::new();

    let runtime = match &config.detection {
        Some(rc) if policy.face.enabled || policy.voice.enabled => match Runtime::load(rc) {
            Ok(r) => Some(r),
            Err(e) => {
                not_running.push(("detection", e.to_string()));
                None
            }
        },
        _ => None,
    };

    if let (Some(spec), true) = (&config.sources.camera, policy.face.enabled && scope.camera) {
        let faces = match runtime
            .as_ref()
            .map(|r| FaceDetector::new(r, FaceConfig::default()))
        {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                not_running.push(("face detection", e.to_string()));
                None
            }
            None => None,
        };
        let started = crate::sources::open_camera(spec)
            .map_err(EngineError::from)
            .and_then(|source| {
                Ok(CameraStream::start(
                    source,
                    CAMERA_FPS,
                    4,
                    &consent,
                    Arc::clone(&clock),
                )?)
            });
        match started {
            Ok(stream) => {
                monitors.push(monitors::camera(
                    stream,
                    faces,
                    Arc::clone(&last_frame),
                    signal_tx.clone(),
                )?);
                running.push("camera".to_owned());
            }
            Err(e) => not_running.push(("camera", e.to_string())),
        }
    }

    if let (Some(spec), true) = (
        &config.sources.microphone,
        policy.voice.enabled && scope.microphone,
    ) {
        let ring = policy.voice.clip_seconds + policy.voice.pre_roll_seconds + 5.0;
        let audio = crate::sources::open_microphone(spec, ring, &consent, Arc::clone(&clock))
            .map(|m| (m.audio, m.device));
        let voice = runtime.as_ref().map(VoiceDetector::new);
        match (audio, voice) {
            (Ok((audio, device)), Some(Ok(voice))) => {
                monitors.push(monitors::microphone(
                    audio,
                    device,
                    voice,
                    policy.voice.pre_roll_seconds,
                    policy.voice.clip_seconds,
                    Arc::clone(&clock),
                    signal_tx.clone(),
                )?);
                running.push("microphone".to_owned());
            }
            (Err(e), _) => not_running.push(("microphone", e.to_string())),
            (_, Some(Err(e))) => not_running.push(("voice detection", e.to_string())),
            (Ok(_), None) => not_running.push((
                "microphone",
                "voice detection is not available, so the microphone is not used".into(),
            )),
        }
    }

    let mut screen_requests = None;
    if let (Some(spec), true) = (
        &config.sources.screen,
        policy.screen.enabled && scope.screen,
    ) {
        let recorder = crate::sources::open_screen(spec)
            .map_err(EngineError::from)
            .and_then(|source| {
                Ok(ScreenRecorder::new(
                    source,
                    ScreenSettings::from_policy(&policy.screen),
                    &consent,
                    Arc::clone(&clock),
                )?)
            });
        match recorder {
            Ok(r) => {
                let (tx, rx) = std::sync::mpsc::channel();
                monitors.push(monitors::screen(r, rx, signal_tx.clone())?);
                screen_requests = Some(tx);
                running.push("screen".to_owned());
            }
            Err(e) => not_running.push(("screen", e.to_string())),
        }
    }

    for (what, wanted, given) in [
        (
            "camera",
            policy.face.enabled && scope.camera,
            config.sources.camera.is_some(),
        ),
        (
            "microphone",
            policy.voice.enabled && scope.microphone,
            config.sources.microphone.is_some(),
        ),
        (
            "screen",
            policy.screen.enabled && scope.screen,
            config.sources.screen.is_some(),
        ),
    ] {
        if wanted && !given {
            not_running.push((what, "no source was given for it".to_owned()));
        }
    }

    let processes = if policy.processes.enabled && config.watch_processes {
        let started = ProcessGuard::new(Matcher::from_policy(&policy.processes)).and_then(|g| {
            ProcessWatch::start(
                g,
                WatchOptions {
                    end_prohibited: policy.processes.kill,
                    ..WatchOptions::default()
                },
                Arc::clone(&clock),
            )
        });
        match started {
            Ok(w) => {
                running.push("processes".to_owned());
                Some(w)
            }
            Err(e) => {
                not_running.push(("processes", e.to_string()));
                None
            }
        }
    } else {
        if let (true, Some(why)) = (policy.processes.enabled, set_by("processes")) {
            not_running.push(("processes", why));
        }
        None
    };
    if policy.remote_session.enabled && config.watch_processes {
        monitors.push(monitors::remote(
            Matcher::from_policy(&policy.processes),
            Arc::clone(&clock),
            signal_tx.clone(),
        )?);
        running.push("remote sessions".to_owned());
    } else if let (true, Some(why)) = (policy.remote_session.enabled, set_by("processes")) {
        not_running.push(("remote sessions", why));
    }
    let input = match input {
        Ok(Some(w)) => {
            running.push("input devices".to_owned());
            Some(w)
        }
        Ok(None) => None,
        Err(why) => {
            not_running.push(("input devices", why));
            None
        }
    };
    let displays = if policy.displays.enabled && config.watch_displays && exam_session {
        // Changes are watched through X11 RandR, which the exam session
        // does not have: said, not hidden.
        not_running.push((
            "displays",
            "the exam session has no X server to watch them through; the system check counted the compositor's outputs at the start".to_owned(),
        ));
        None
    } else if policy.displays.enabled && config.watch_displays {
        match X11Displays::connect(None).and_then(|d| DisplayWatch::start(d, Arc::clone(&clock))) {
            Ok(w) => {
                running.push("displays".to_owned());
                Some(w)
            }
            Err(e) => {
                not_running.push(("displays", e.to_string()));
                None
            }
        }
    } else {
        if let (true, Some(why)) = (policy.displays.enabled, set_by("displays")) {
            not_running.push(("displays", why));
        }
        None
    };

    record(
        &mut writer,
        Severity::Info,
        EventKind::MonitoringStarted,
        format!(
            "Watching: {}",
            if running.is_empty() {
                "nothing".into()
            } else {
                running.join(", ")
            }
        ),
        json!({"monitors": running, "policy": policy.name}),
    )?;
    events.push(EngineEvent::Started {
        session_id: config.session_id.clone(),
        resumed: recovered.is_some(),
        gap_seconds,
        monitors: running,
    });
    for (what, why) in &not_running {
        record(
            &mut writer,
            Severity::Medium,
            EventKind::MonitorUnavailable,
            format!("{what} is not watched: {why}"),
            json!({"monitor": what, "reason": why}),
        )?;
        events.push(EngineEvent::Trouble {
            monitor: (*what).to_owned(),
            message: why.clone(),
        });
    }
    let upload_options = paraakh_sync::SyncOptions {
        backend_key: config.backend_key.clone(),
        ..paraakh_sync::SyncOptions::default()
    };
    let uploader = match &config.upload {
        Some(u) => Some(super::upload::Uploader::start(
            config.dir.clone(),
            u.clone(),
            upload_options.clone(),
            commands,
        )?),
        None => None,
    };
    let carried = if resuming {
        Carried::from_log(&config.dir)
    } else {
        Carried::default()
    };
    Ok(Opened {
        writer: Some(writer),
        rules: Rules::new(policy),
        signals,
        signal_tx,
        monitors,
        last_frame,
        screen_requests,
        processes,
        displays,
        input,
        answers: carried.answers,
        held: carried.held,
        typed_before: carried.typing,
        uploader,
        upload_options,
        config,
    })
}

/// Where input comes from (XTEST, virtual devices, devices added), on an
/// X11 desktop: `Ok(None)` where there is nothing to watch (no X display:
/// a headless run; the exam session, where no other program can connect
/// and what the compositor offers for injecting input is checked and
/// recorded at the seal), `Err(why)` where it should be watched and cannot be.
fn watch_input(
    config: &SessionConfig,
    policy: &Policy,
    exam_session: bool,
    clock: &Arc<dyn Clock>,
) -> Result<Option<InputWatch>, String> {
    let k = &policy.keyboard;
    if !k.enabled || !(k.synthetic_input.enabled || k.input_device_added.enabled) {
        return Ok(None);
    }
    if !config.watch_displays {
        return Err(format!("switched off by {}", config.environment.set_by()));
    }
    if exam_session || std::env::var_os("DISPLAY").is_none() {
        return Ok(None);
    }
    InputWatch::start(None, Arc::clone(clock))
        .map(Some)
        .map_err(|e| e.to_string())
}
