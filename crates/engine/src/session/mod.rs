//! A proctoring session from start to end: the monitors the policy turns on
//! report signals; the rules turn them into violations; each violation is
//! an event record with its evidence attached (webcam snapshot, audio clip,
//! screen capture); heartbeats and checkpoints at fixed intervals; answers,
//! the submission and the end record. Commands come in (answers, break,
//! submit, proctor unlock, what the app's window saw) and a typed event
//! stream goes out for the UI.
//!
//! One thread owns the evidence writer; each monitor has its own thread. A
//! directory that already holds an unfinished session is resumed: a new
//! segment with a new session key, and the gap recorded as an event.

mod carried;
mod environment;
mod events;
mod hold;
mod kind;
pub mod monitors;
mod open;
pub mod rules;
mod storage;
mod typing;
mod upload;

pub use crate::sources::{CameraSpec, MicrophoneSpec, ScreenSpec, Sources};
pub use environment::{Deviation, Environment, LaunchSource};
pub use events::{
    COMMAND_PATIENCE, Command, CommandError, EngineEvent, Reply, SessionSummary, Submitted,
    confirm_held, proctor_unlock, save_answer, save_typed_answer, submit,
};
pub use kind::EventKind;
pub use open::{SessionConfig, SessionIdentity};
pub use typing::{Thresholds as TypingThresholds, TypingProfile, TypingSample};
pub use upload::UploadConfig;

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paraakh_capture::encode::{jpeg, opus};
use paraakh_evidence::note::CheckpointBody;
use paraakh_evidence::record::{Event, SubmittedAnswer};
use paraakh_evidence::{BlobMeta, Body, SessionWriter, Severity};
use paraakh_lockdown::displays::DisplayWatch;
use paraakh_lockdown::input::{InputEvent, InputWatch};
use paraakh_lockdown::process::ProcessWatch;
use paraakh_signal::DropOldestQueue;
use serde_json::{Map, Value, json};

use crate::EngineError;
use monitors::{LastFrame, Monitor, Signal};
use rules::{Evidence, Observation, Rules, Violation};

/// A running session.
#[derive(Debug)]
pub struct Session {
    commands: Sender<Command>,
    events: Arc<DropOldestQueue<EngineEvent>>,
    handle: Option<JoinHandle<Result<SessionSummary, EngineError>>>,
}

impl Session {
    /// Opens (or resumes) the session and starts its monitors.
    pub fn start(config: SessionConfig) -> Result<Self, EngineError> {
        let events = Arc::new(DropOldestQueue::new(1024));
        let (commands, command_rx) = std::sync::mpsc::channel();
        let opened = open::open(config, &events, commands.clone())?;
        let ev = Arc::clone(&events);
        let handle = std::thread::Builder::new()
            .name("paraakh-session".into())
            .spawn(move || {
                let mut run = Running::new(opened, ev);
                let result = run.run(&command_rx);
                run.events.close();
                result
            })
            .map_err(EngineError::start("the session thread"))?;
        Ok(Self {
            commands,
            events,
            handle: Some(handle),
        })
    }

    /// Sends a command; an error means the session has ended.
    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        self.commands.send(command).map_err(|_| EngineError::Ended)
    }

    /// A handle other threads use to send commands (input, signals).
    pub fn commander(&self) -> Sender<Command> {
        self.commands.clone()
    }

    /// The next event for the UI, waiting at most `timeout`; `None` also when the session is over.
    pub fn next_event(&self, timeout: Duration) -> Option<EngineEvent> {
        self.events.pop_timeout(timeout)
    }

    /// Whether the session has ended and every event was read.
    pub fn is_over(&self) -> bool {
        self.events.is_closed() && self.events.is_empty()
    }

    /// Waits for the end.
    pub fn wait(mut self) -> Result<SessionSummary, EngineError> {
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(EngineError::Panicked),
            None => Err(EngineError::Ended),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let _ = self.commands.send(Command::End {
                reason: "closed".into(),
            });
            let _ = handle.join();
        }
    }
}

/// What `open` hands the session thread.
pub(crate) struct Opened {
    pub(crate) writer: Option<SessionWriter>,
    pub(crate) rules: Rules,
    pub(crate) signals: Receiver<Signal>,
    pub(crate) signal_tx: monitors::Signals,
    pub(crate) monitors: Vec<Monitor>,
    pub(crate) last_frame: LastFrame,
    pub(crate) screen_requests: Option<Sender<u64>>,
    pub(crate) processes: Option<ProcessWatch>,
    pub(crate) displays: Option<DisplayWatch>,
    pub(crate) input: Option<InputWatch>,
    pub(crate) answers: BTreeMap<String, u64>,
    /// A hold left open by the session's previous segment (its devices).
    pub(crate) held: Option<Vec<String>>,
    /// Each answer's typing as the previous segments recorded it.
    pub(crate) typed_before: BTreeMap<String, carried::TypedBefore>,
    pub(crate) uploader: Option<upload::Uploader>,
    pub(crate) upload_options: paraakh_sync::SyncOptions,
    pub(crate) config: SessionConfig,
}

struct Running {
    o: Opened,
    events: Arc<DropOldestQueue<EngineEvent>>,
    summary: SessionSummary,
    paused_at: Option<Instant>,
    /// The last upload attempt failed (recorded once per outage).
    offline: bool,
    /// Passing trouble per monitor: when it was last recorded, and how
    /// often it came since (a detector failing on every frame is one
    /// record a minute, not thirty).
    troubles: std::collections::HashMap<&'static str, (Option<Instant>, u64)>,
    /// When each guard's trouble was last recorded.
    guards_said: std::collections::HashMap<String, Instant>,
    /// Free space where the evidence is written.
    storage: storage::Storage,
    /// How each answer was typed.
    typing: typing::Typing,
    /// What holds the exam until a proctor confirms.
    held: Option<hold::Held>,
}

/// At most one `monitor_trouble` record per monitor in this long.
const TROUBLE_EVERY: Duration = Duration::from_secs(60);

fn detail(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
    }
}

impl Running {
    fn new(o: Opened, events: Arc<DropOldestQueue<EngineEvent>>) -> Self {
        let summary = SessionSummary {
            dir: o.config.dir.clone(),
            session_id: o.config.session_id.clone(),
            ..SessionSummary::default()
        };
        let mut typing = typing::Typing::new(typing_thresholds(&o.config.policy));
        for (question, before) in &o.typed_before {
            typing.carry_on(question, before.profile.clone(), &before.said);
        }
        Self {
            events,
            summary,
            paused_at: None,
            offline: false,
            troubles: std::collections::HashMap::new(),
            guards_said: std::collections::HashMap::new(),
            storage: storage::Storage::new(&o.config.dir),
            typing,
            held: None,
            o,
        }
    }

    fn writer(&mut self) -> Result<&mut SessionWriter, EngineError> {
        self.o.writer.as_mut().ok_or(EngineError::Ended)
    }

    fn emit(&self, e: EngineEvent) {
        self.events.push(e);
    }

    fn now_ns(&self) -> u64 {
        self.o.config.clock.now().boot_ns
    }

    /// Appends an event record and tells the UI.
    fn event(
        &mut self,
        sev: Severity,
        kind: EventKind,
        message: String,
        detail: Map<String, Value>,
    ) -> Result<u64, EngineError> {
        let seq = self.writer()?.append(
            sev,
            Body::Event(Event {
                kind: kind.as_str().to_owned(),
                message: Some(message.clone()),
                detail,
            }),
        )?;
        self.summary.events += 1;
        self.emit(EngineEvent::Recorded {
            seq,
            kind: kind.as_str().to_owned(),
            severity: sev,
            message,
        });
        Ok(seq)
    }

    /// Stores a blob, unless the disk is too full for its kind (then it
    /// is counted, and the shortage's record says so).
    fn blob(
        &mut self,
        sev: Severity,
        media_type: &str,
        purpose: &str,
        event_seq: Option<u64>,
        data: &[u8],
    ) -> Result<(), EngineError> {
        self.check_storage()?;
        if !self.storage.level().stores(purpose) {
            self.storage.not_stored(purpose);
            return Ok(());
        }
        let meta = BlobMeta {
            media_type: media_type.into(),
            purpose: purpose.into(),
            event_seq,
        };
        match self.writer()?.add_blob(sev, meta, data) {
            Ok((_, blob)) => {
                self.summary.blobs += 1;
                self.summary.blob_bytes += blob.size;
                Ok(())
            }
            Err(e) if e.is_storage_full() => {
                self.storage.not_stored(purpose);
                let change = self.storage.full();
                self.storage_change(change)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn check_storage(&mut self) -> Result<(), EngineError> {
        let change = self.storage.check();
        self.storage_change(change)
    }

    /// Records a change in what the disk has room for; tells the candidate
    /// once per shortage.
    fn storage_change(&mut self, change: Option<storage::Change>) -> Result<(), EngineError> {
        let mb = |b: u64| b / 1_000_000;
        match change {
            None => {}
            Some(storage::Change::Worse { level, free, first }) => {
                let stopped = level.stopped();
                self.event(
                    Severity::Medium,
                    EventKind::StorageLow,
                    format!(
                        "Free disk space is low ({} MB): {} are no longer stored; the exam and its log go on",
                        mb(free),
                        stopped.join(", ")
                    ),
                    detail(json!({"free_mb": mb(free), "not_stored": stopped})),
                )?;
                if first {
                    self.emit(EngineEvent::Warning {
                        kind: EventKind::StorageLow.as_str().to_owned(),
                        text: "This computer is running out of disk space. Your answers are safe and the exam goes on; please do not download or save anything else until you submit.".to_owned(),
                        severity: Severity::Medium,
                    });
                }
            }
            Some(storage::Change::Recovered {
                free,
                seconds,
                not_stored,
                still_short,
            }) => {
                let reserve_used = self.writer()?.reserve_released();
                let counted: Vec<String> =
                    not_stored.iter().map(|(p, n)| format!("{n} {p}")).collect();
                let how = if still_short {
                    "was still short when the session ended, after"
                } else {
                    "was short for"
                };
                self.event(
                    Severity::Info,
                    EventKind::StorageLowEnded,
                    format!(
                        "Disk space {how} {seconds:.0} s ({} MB free now); not stored meanwhile: {}",
                        mb(free),
                        if counted.is_empty() { "nothing".to_owned() } else { counted.join(", ") }
                    ),
                    detail(json!({
                        "free_mb": mb(free),
                        "seconds": seconds.round(),
                        "not_stored": not_stored,
                        "log_reserve_used": reserve_used,
                        "still_short": still_short,
                    })),
                )?;
                self.writer()?.hold_reserve();
            }
        }
        Ok(())
    }

    /// Records a violation, attaches its evidence, warns, and submits if it must.
    fn violation(
        &mut self,
        v: Violation,
        mut extra: Map<String, Value>,
        clip: Option<&[f32]>,
    ) -> Result<bool, EngineError> {
        extra.insert("action".into(), v.action.as_str().into());
        if let Some(s) = v.lasted_seconds {
            extra.insert("lasted_seconds".into(), json!(s));
        }
        let sev = v.severity;
        let seq = self.event(sev, v.kind, v.message.clone(), extra)?;
        if let Some(text) = v.warning {
            self.emit(EngineEvent::Warning {
                kind: v.kind.as_str().to_owned(),
                text: text.to_owned(),
                severity: sev,
            });
        }
        match v.evidence {
            Evidence::None => {}
            Evidence::Webcam => {
                let frame = self.o.last_frame.lock().ok().and_then(|f| f.clone());
                if let Some(f) = frame {
                    let jpg = jpeg::encode_rgb(&f.rgb, f.width, f.height, jpeg::DEFAULT_QUALITY)?;
                    self.blob(sev, "image/jpeg", "webcam_snapshot", Some(seq), &jpg)?;
                }
            }
            Evidence::AudioClip => {
                if let Some(samples) = clip.filter(|c| !c.is_empty()) {
                    let ogg = opus::encode_ogg_opus(samples, seq as u32)?;
                    self.blob(sev, "audio/ogg", "speech_clip", Some(seq), &ogg)?;
                }
            }
            Evidence::Screen => {
                if let Some(tx) = &self.o.screen_requests {
                    let _ = tx.send(seq);
                }
            }
        }
        Ok(v.auto_submit)
    }

    fn observe(
        &mut self,
        obs: &Observation,
        at_ns: u64,
        extra: Map<String, Value>,
        clip: Option<&[f32]>,
    ) -> Result<bool, EngineError> {
        let mut submit = false;
        for v in self.o.rules.observe(obs, at_ns) {
            submit |= self.violation(v, extra.clone(), clip)?;
        }
        Ok(submit)
    }

    fn signal(&mut self, s: Signal) -> Result<bool, EngineError> {
        match s {
            Signal::Camera {
                at,
                faces,
                blocked,
                looking_away,
            } => {
                self.summary.camera_frames += 1;
                let obs = Observation::Camera {
                    faces,
                    blocked,
                    looking_away,
                };
                self.observe(&obs, at.boot_ns, detail(json!({"faces": faces})), None)
            }
            Signal::Speech {
                at,
                seconds,
                start_s,
                clip,
            } => {
                self.summary.speech_segments += 1;
                let extra = detail(json!({"seconds": seconds, "stream_start_s": start_s}));
                self.observe(
                    &Observation::Speech { seconds },
                    at.boot_ns,
                    extra,
                    Some(&clip),
                )
            }
            Signal::Screens {
                captures,
                for_event,
            } => {
                for c in captures {
                    let purpose = if for_event.is_some() {
                        "screen_capture"
                    } else {
                        "screen_recording"
                    };
                    self.blob(Severity::Info, "image/jpeg", purpose, for_event, &c.jpeg)?;
                    self.summary.screens += 1;
                }
                Ok(false)
            }
            Signal::Remote { at, sharing, what } => {
                let obs = if sharing {
                    Observation::ScreenSharing
                } else {
                    Observation::RemoteSession
                };
                self.observe(&obs, at.boot_ns, detail(json!({"found": what})), None)
            }
            Signal::Gap(gap) => {
                self.o.rules.interrupted();
                let seconds = gap.seconds;
                let (severity, cause, message) = if gap.slept {
                    (
                        Severity::Medium,
                        "computer_slept",
                        format!(
                            "The computer slept for {seconds:.0} s: nothing was watched meanwhile"
                        ),
                    )
                } else {
                    // Not a sleep: something stopped the exam program (a
                    // debugger, SIGSTOP) or starved it, and it saw nothing.
                    (
                        Severity::High,
                        "program_stopped",
                        format!(
                            "The exam program did not run for {seconds:.0} s while the computer ran on (stopped by another program, or starved of time): nothing was watched meanwhile"
                        ),
                    )
                };
                self.event(
                    severity,
                    EventKind::MonitoringGap,
                    message,
                    detail(json!({"seconds": (seconds * 10.0).round() / 10.0, "cause": cause})),
                )?;
                Ok(false)
            }
            Signal::Trouble {
                monitor,
                message,
                stopped,
            } => {
                if stopped {
                    // From here on it does not watch: the reviewer's summary says so.
                    self.event(
                        Severity::High,
                        EventKind::MonitorUnavailable,
                        format!("{monitor} stopped during the exam and is not watched: {message}"),
                        detail(json!({"monitor": monitor, "reason": message, "mid_exam": true})),
                    )?;
                } else {
                    let now = Instant::now();
                    let (last, since) = self.troubles.entry(monitor).or_insert((None, 0));
                    *since += 1;
                    if last.is_some_and(|l| now.duration_since(l) < TROUBLE_EVERY) {
                        return Ok(false);
                    }
                    let times = std::mem::take(since);
                    *last = Some(now);
                    self.event(
                        Severity::Low,
                        EventKind::MonitorTrouble,
                        format!("{monitor}: {message}"),
                        detail(json!({"monitor": monitor, "times": times})),
                    )?;
                }
                self.emit(EngineEvent::Trouble {
                    monitor: monitor.to_owned(),
                    message,
                });
                Ok(false)
            }
        }
    }

    fn poll_lockdown(&mut self) -> Result<bool, EngineError> {
        let mut submit = false;
        let mut found = Vec::new();
        if let Some(w) = &self.o.processes {
            while let Some(e) = w.next_event(Duration::ZERO) {
                found.push(e);
            }
        }
        for e in found {
            let obs = Observation::Program {
                running_at_start: e.running_at_start,
            };
            let name = e.finding.found.program.clone();
            let mut extra = detail(serde_json::to_value(&e).unwrap_or_default());
            extra.insert("program".into(), name.clone().into());
            for mut v in self.o.rules.observe(&obs, e.at.boot_ns) {
                v.message = format!("{}: {name} (pid {})", v.message, e.finding.process.pid);
                submit |= self.violation(v, extra.clone(), None)?;
            }
        }
        let mut changes = Vec::new();
        if let Some(d) = &self.o.displays {
            while let Some(e) = d.next_event(Duration::ZERO) {
                changes.push(e);
            }
        }
        for e in changes {
            let obs = Observation::Displays {
                count: e.after.displays.len(),
            };
            let extra = detail(json!({"change": e.change}));
            submit |= self.observe(&obs, e.at.boot_ns, extra, None)?;
        }
        let mut inputs = Vec::new();
        if let Some(w) = &self.o.input {
            while let Some(e) = w.next_event(Duration::ZERO) {
                inputs.push(e);
            }
        }
        for e in inputs {
            submit |= self.input(e)?;
        }
        // A watch whose source went away watches nothing from here on.
        if self.o.processes.as_ref().is_some_and(|w| w.is_finished()) {
            self.o.processes = None;
            self.watch_stopped("processes", "the process watch ended")?;
        }
        if self.o.displays.as_ref().is_some_and(|w| w.is_finished()) {
            self.o.displays = None;
            self.watch_stopped("displays", "the connection to the X server was lost")?;
        }
        if self.o.input.as_ref().is_some_and(|w| w.is_finished()) {
            self.o.input = None;
            self.watch_stopped("input devices", "the connection to the X server was lost")?;
        }
        Ok(submit)
    }

    /// Records what the input watch saw.
    fn input(&mut self, e: InputEvent) -> Result<bool, EngineError> {
        let (obs, at, extra) = match e {
            InputEvent::Synthetic(episode) => (
                Observation::SyntheticInput {
                    keys: episode.keys,
                    buttons: episode.buttons,
                    motions: episode.motions,
                    devices: episode.devices.join(", "),
                },
                episode.at,
                serde_json::to_value(&episode).unwrap_or_default(),
            ),
            InputEvent::DeviceAdded { at, device } => {
                let holds = self.holds_for_devices();
                let obs = Observation::InputDeviceAdded {
                    name: device.name.clone(),
                };
                let extra = detail(json!({"device": device, "holds_exam": holds}));
                let submit = self.observe(&obs, at.boot_ns, extra, None)?;
                if holds {
                    self.hold(vec![device.name], false)?;
                }
                return Ok(submit);
            }
        };
        self.observe(&obs, at.boot_ns, detail(extra), None)
    }

    fn watch_stopped(&mut self, monitor: &'static str, why: &str) -> Result<bool, EngineError> {
        self.signal(Signal::Trouble {
            monitor,
            message: why.to_owned(),
            stopped: true,
        })
    }

    /// Handles one command; returns the end reason when the session must end.
    fn command(&mut self, c: Command) -> Result<Option<String>, EngineError> {
        match c {
            Command::SaveAnswer {
                question,
                answer,
                typing,
                reply,
            } => {
                let answered = |r: Result<u64, CommandError>| {
                    if let Some(reply) = &reply {
                        // The caller may have given up waiting; the save stands.
                        let _ = reply.try_send(r);
                    }
                };
                if let Some(why) = self.held_refusal("the answer was not saved") {
                    answered(Err(CommandError::Refused(why)));
                    return Ok(None);
                }
                match self.writer()?.save_answer(&question, &answer) {
                    Ok(seq) => {
                        self.o.answers.insert(question.clone(), seq);
                        self.summary.answers += 1;
                        answered(Ok(seq));
                        if let Some(sample) = typing {
                            self.typing(&question, seq, &sample)?;
                        }
                        self.emit(EngineEvent::AnswerSaved { question, seq });
                    }
                    // A malformed request is refused; the exam goes on.
                    Err(paraakh_evidence::WriterError::InvalidParam(why)) => {
                        answered(Err(CommandError::Refused(format!(
                            "the answer was not saved: {why}"
                        ))));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Command::Report(obs) => {
                let now = self.now_ns();
                if self.observe(&obs, now, Map::new(), None)? {
                    return self.auto_submit().map(Some);
                }
            }
            Command::Pause { reason } => {
                if self.paused_at.is_none() {
                    self.paused_at = Some(Instant::now());
                    self.o.rules.set_paused(true);
                    self.event(
                        Severity::Info,
                        EventKind::BreakStarted,
                        format!("An allowed break started: {reason}"),
                        detail(json!({"reason": reason})),
                    )?;
                }
            }
            Command::Resume => {
                if let Some(t) = self.paused_at.take() {
                    self.o.rules.set_paused(false);
                    let secs = t.elapsed().as_secs_f64();
                    self.event(
                        Severity::Info,
                        EventKind::BreakEnded,
                        format!("The break ended after {secs:.0} s"),
                        detail(json!({"seconds": secs})),
                    )?;
                }
            }
            Command::Submit { reply } => {
                if let Some(why) = self.held_refusal("the exam was not submitted") {
                    if let Some(reply) = reply {
                        let _ = reply.try_send(Err(CommandError::Refused(why)));
                    }
                    return Ok(None);
                }
                let submitted = self.submit("submitted by the candidate")?;
                if let Some(reply) = reply {
                    let _ = reply.try_send(Ok(submitted));
                }
                return Ok(Some("submitted".into()));
            }
            Command::ProctorUnlock { by, reason, reply } => {
                self.event(
                    Severity::High,
                    EventKind::ProctorUnlock,
                    format!("A proctor unlocked the exam: {reason}"),
                    detail(json!({"by": by, "reason": reason})),
                )?;
                if let Some(reply) = reply {
                    let _ = reply.try_send(Ok(()));
                }
                return Ok(Some("proctor_unlock".into()));
            }
            Command::GuardUnavailable { guard, reason } => {
                // One record a minute per guard: a failure on every focus
                // loss is one fact, not a flood.
                let now = Instant::now();
                if self
                    .guards_said
                    .get(&guard)
                    .is_some_and(|t| now.duration_since(*t) < TROUBLE_EVERY)
                {
                    return Ok(None);
                }
                self.guards_said.insert(guard.clone(), now);
                self.event(
                    Severity::Medium,
                    EventKind::GuardUnavailable,
                    format!("{guard} is not in force: {reason}"),
                    detail(json!({"guard": guard, "reason": reason})),
                )?;
            }
            Command::ConfirmHeld { by, reply } => {
                self.release(&by)?;
                if let Some(reply) = reply {
                    let _ = reply.try_send(Ok(()));
                }
            }
            Command::End { reason } => return Ok(Some(reason)),
            Command::Receipt { note, backend } => match self.writer()?.add_receipt(&note, &backend)
            {
                Ok(true) => {
                    if let Ok(body) = CheckpointBody::parse(note.text()) {
                        self.summary.cosigned_size = body.size;
                        self.emit(EngineEvent::Uploaded {
                            cosigned_size: body.size,
                        });
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    self.event(
                        Severity::Medium,
                        EventKind::ReceiptRefused,
                        format!("A receipt from the backend was not accepted: {e}"),
                        Map::new(),
                    )?;
                }
            },
            Command::UploadResult { error } => {
                match error {
                    Some(e) if !self.offline => {
                        self.offline = true;
                        self.summary.upload_error = Some(e.clone());
                        self.event(
                        Severity::Info,
                        EventKind::UploadInterrupted,
                        format!("Evidence could not be uploaded for now; it is kept and sent later: {e}"),
                        Map::new(),
                    )?;
                    }
                    Some(_) => {}
                    None => {
                        if self.offline {
                            self.event(
                                Severity::Info,
                                EventKind::UploadResumed,
                                "Evidence is being uploaded again".into(),
                                Map::new(),
                            )?;
                        }
                        self.offline = false;
                        self.summary.upload_error = None;
                    }
                }
            }
        }
        Ok(None)
    }

    /// Judges how an answer was typed; typing no person types is recorded
    /// for the reviewer with the answer it went into.
    fn typing(
        &mut self,
        question: &str,
        answer_seq: u64,
        sample: &TypingSample,
    ) -> Result<(), EngineError> {
        for unusual in self.typing.add(question, sample) {
            let obs = Observation::MachineTyping {
                question: question.to_owned(),
                what: unusual.describe(),
            };
            let mut extra = detail(serde_json::to_value(unusual).unwrap_or_default());
            extra.insert("question".into(), question.into());
            extra.insert("answer_seq".into(), answer_seq.into());
            let now = self.now_ns();
            self.observe(&obs, now, extra, None)?;
        }
        Ok(())
    }

    /// The typing profile of each answer typed into since the last ones,
    /// for the reviewer: with each checkpoint, before the submission and at
    /// the end (a resumed session counts on from the last).
    fn typing_profiles(&mut self) -> Result<(), EngineError> {
        for (question, profile) in self.typing.take_changed() {
            let mut extra = detail(serde_json::to_value(profile).unwrap_or_default());
            let cps = extra
                .get("chars_per_second")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            extra.insert("question".into(), question.clone().into());
            extra.insert(
                "answer_seq".into(),
                self.o.answers.get(&question).copied().into(),
            );
            self.event(
                Severity::Info,
                EventKind::TypingProfile,
                format!("How the answer to {question} was typed: {cps:.1} characters a second"),
                extra,
            )?;
        }
        Ok(())
    }

    fn submit(&mut self, how: &str) -> Result<Submitted, EngineError> {
        self.typing_profiles()?;
        let answers: Vec<SubmittedAnswer> = self
            .o
            .answers
            .iter()
            .map(|(question, seq)| SubmittedAnswer {
                question: question.clone(),
                answer_seq: *seq,
            })
            .collect();
        let count = answers.len();
        let seq = self.writer()?.submit(answers)?;
        self.summary.submitted = true;
        self.emit(EngineEvent::Submitted {
            seq,
            answers: count,
            how: how.to_owned(),
        });
        Ok(Submitted {
            seq,
            answers: count,
        })
    }

    fn auto_submit(&mut self) -> Result<String, EngineError> {
        self.event(
            Severity::Critical,
            EventKind::AutoSubmitted,
            "The exam was submitted automatically, as the policy says".into(),
            Map::new(),
        )?;
        self.submit("submitted automatically by the policy")?;
        Ok("auto_submitted".into())
    }

    fn run(&mut self, commands: &Receiver<Command>) -> Result<SessionSummary, EngineError> {
        // Ending the program did not lift a hold; one that cannot go on
        // here (no proctor code in this run) is said to have ended so.
        if let Some(devices) = self.o.held.take() {
            if self.holds_for_devices() {
                self.hold(devices, true)?;
            } else {
                self.event(
                    Severity::Medium,
                    EventKind::ExamReleased,
                    format!(
                        "A hold for {} ended without a proctor: the exam resumed where no proctor code can confirm it",
                        devices.join(", ")
                    ),
                    detail(json!({"by": null, "devices": devices, "resumed": true})),
                )?;
            }
        }
        let c = &self.o.config;
        let (heartbeat, checkpoint_every) = (c.heartbeat, c.checkpoint_every);
        let deadline = c.duration.map(|d| Instant::now() + d);
        let mut next_heartbeat = Instant::now() + heartbeat;
        let mut next_checkpoint = Instant::now() + checkpoint_every;
        let reason = loop {
            let mut end = None;
            while let Ok(cmd) = commands.try_recv() {
                end = self.command(cmd)?;
                if end.is_some() {
                    break;
                }
            }
            if let Some(r) = end {
                break r;
            }
            let mut submit = false;
            if let Ok(s) = self.o.signals.recv_timeout(Duration::from_millis(100)) {
                submit |= self.signal(s)?;
                while let Ok(s) = self.o.signals.try_recv() {
                    submit |= self.signal(s)?;
                }
            }
            submit |= self.poll_lockdown()?;
            if submit {
                break self.auto_submit()?;
            }
            self.check_storage()?;
            let now = Instant::now();
            if now >= next_heartbeat {
                next_heartbeat = now + heartbeat;
                self.writer()?.append(Severity::Info, Body::Heartbeat {})?;
            }
            if now >= next_checkpoint {
                next_checkpoint = now + checkpoint_every;
                // Under the checkpoint: a crash loses no more of a profile
                // than of the log, and the resumed session counts on.
                self.typing_profiles()?;
                self.writer()?.checkpoint()?;
                self.summary.checkpoints += 1;
                if let Some(u) = &self.o.uploader {
                    u.wake();
                }
            }
            if deadline.is_some_and(|d| now >= d) {
                break "time_up".into();
            }
        };
        self.finish(&reason)
    }

    fn finish(&mut self, reason: &str) -> Result<SessionSummary, EngineError> {
        // An episode of synthetic input still open (an auto-typer that
        // ends by submitting) is recorded while the screen is still captured.
        if let Some(mut w) = self.o.input.take() {
            w.stop();
            while let Some(e) = w.next_event(Duration::ZERO) {
                self.input(e)?;
            }
        }
        // Stop capturing first, then record what the monitors still reported.
        self.o.monitors.clear();
        self.o.processes = None;
        self.o.displays = None;
        self.o.uploader = None;
        while let Ok(s) = self.o.signals.try_recv() {
            self.signal(s)?;
        }
        self.typing_profiles()?;
        let dropped = self.o.signal_tx.dropped();
        let short = self.storage.at_end();
        self.storage_change(short)?;
        self.event(
            Severity::Info,
            EventKind::SessionEnded,
            format!("The session ended: {reason}"),
            detail(json!({"reason": reason, "signals_dropped": dropped})),
        )?;
        let writer = self.o.writer.take().ok_or(EngineError::Ended)?;
        let records = writer.size() + 1;
        writer.finish(reason)?;
        self.summary.records = records;
        self.summary.reason = reason.to_owned();
        if let Some(config) = &self.o.config.upload {
            match upload::final_upload(&self.o.config.dir, config, &self.o.upload_options) {
                Ok(report) => {
                    self.summary.cosigned_size = report.cosigned_size;
                    self.summary.upload_error = None;
                    self.emit(EngineEvent::Uploaded {
                        cosigned_size: report.cosigned_size,
                    });
                }
                Err(e) => self.summary.upload_error = Some(e.to_string()),
            }
        }
        self.emit(EngineEvent::Ended {
            reason: reason.to_owned(),
            records,
        });
        Ok(self.summary.clone())
    }
}

/// Shared between `open` and `Running`: the newest webcam frame.
pub(crate) fn new_last_frame() -> LastFrame {
    Arc::new(Mutex::new(None))
}

/// The policy's limits for typing no person types.
fn typing_thresholds(p: &paraakh_policy::model::Policy) -> typing::Thresholds {
    typing::Thresholds {
        max_chars_per_second: p.keyboard.typing_max_chars_per_second,
        min_interval_spread: p.keyboard.typing_min_interval_spread,
        ..typing::Thresholds::default()
    }
}
