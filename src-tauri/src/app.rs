//! The app's state between the screens: the exam offered, unlocked and
//! run. Each method is one step the UI asks for; `commands` wraps them for
//! the webview. Errors are plain words for the candidate.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paraakh_detect::{FaceConfig, FaceDetector, Runtime, RuntimeConfig};
use paraakh_engine::exam::{self, ConsentTerms, ExamOffer, ExamSummary};
use paraakh_engine::preflight::{self, PreflightOptions, PreflightReport};
use paraakh_engine::preview::{CameraPreview, MeterLevel, MicrophoneMeter, PreviewFrame};
use paraakh_engine::proctor::{CodeRefused, ProctorGate};
use paraakh_engine::session::rules::Observation;
use paraakh_engine::session::{
    Command, Deviation, EngineEvent, Environment, LaunchSource, Session, SessionConfig,
    SessionIdentity, Sources, UploadConfig,
};
use paraakh_evidence::record::ClientInfo;
use paraakh_policy::config::InstallConfig;
use paraakh_policy::exam::{ExamContent, Question};
use paraakh_policy::tenants::DataRoot;
use serde::Serialize;

use crate::answers;
use crate::draft::{Draft, DraftStore};
use crate::error::AppError;
use crate::join::{self, Joined, JoinedStore};
use crate::launch::Launch;
use crate::online::{Navigation, OnlineRun};
use crate::run::{ExamRun, SyncStatus};

/// An exam offered on the join screen.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Offered {
    #[serde(flatten)]
    exam: ExamSummary,
    /// Joined by link and still sealed: when the server releases the
    /// questions (POSIX seconds); the join screen waits for it.
    questions_from: Option<i64>,
}

/// What the app shows first.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LaunchState {
    phase: &'static str,
    exam: Option<Offered>,
    resume: Option<serde_json::Value>,
    /// After an online exam: the receipt (the app's page came back).
    receipt: Option<SubmitReceipt>,
    time_up: bool,
    join_link: Option<String>,
    version: &'static str,
}

/// The questions and the clock, once the exam has started.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExamPaper {
    session_id: String,
    title: String,
    instructions: String,
    questions: Vec<Question>,
    answers: serde_json::Map<String, serde_json::Value>,
    started_at_ms: u64,
    ends_at_ms: u64,
    extra_time_percent: u32,
    resumed: bool,
    /// Copy and paste stay inside the exam (`block_copy_out`): the page
    /// keeps its own clipboard and leaves the desktop's alone.
    private_clipboard: bool,
    /// An online exam: the origin of its page (the questions are there).
    online_origin: Option<String>,
}

/// The online exam's bar, as the app's state says.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) enum OnlineBar {
    /// The state is being changed: ask again at the next tick.
    Busy,
    /// No online exam page is open.
    Hidden,
    /// The exam's page is open.
    Shown {
        title: String,
        site: String,
        ends_at_ms: u64,
    },
}

/// What the receipt screen shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SubmitReceipt {
    session_id: String,
    submitted_at: String,
    answered: usize,
    total: usize,
    seq: u64,
    #[serde(flatten)]
    status: SyncStatus,
}

#[derive(Default)]
struct Inner {
    offer: Option<ExamOffer>,
    /// The exam came from a join link (its session, server and tokens).
    joined: Option<Joined>,
    content: Option<ExamContent>,
    preview: Option<CameraPreview>,
    meter: Option<MicrophoneMeter>,
    run: Option<Arc<ExamRun>>,
    paper: Option<ExamPaper>,
    session_dir: Option<PathBuf>,
    unlocked_by_proctor: bool,
    /// An interrupted exam found at launch, to resume.
    resume: Option<Draft>,
    /// Where the running exam's draft is kept.
    drafts: Option<DraftStore>,
    draft: Option<Draft>,
    /// An online exam's page and where it may go.
    online: Option<OnlineRun>,
    /// The receipt, once submitted (an online exam's page comes back to it).
    receipt: Option<(SubmitReceipt, bool)>,
    /// The last system check the candidate ran (its items go into the evidence).
    last_check: Option<PreflightReport>,
    /// Lockdown guards that did not start before the exam did: (guard, why).
    guards_unavailable: Vec<(String, String)>,
}

/// The app.
pub(crate) struct App {
    launch: Launch,
    install: Result<InstallConfig, String>,
    inner: Mutex<Inner>,
    proctor_gate: ProctorGate,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// Whether resuming `draft` now needs the proctor's code: as the policy
/// says, unless the interruption (since the last autosave) was shorter than
/// its free minutes.
fn resume_needs_code(
    proctor: &paraakh_policy::model::ProctorSettings,
    draft: &Draft,
    now_ms: u64,
) -> bool {
    let gap_ms = now_ms.saturating_sub(draft.saved_at_ms);
    proctor.resume_needs_code && gap_ms >= u64::from(proctor.resume_free_minutes) * 60_000
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl App {
    pub(crate) fn new(launch: Launch) -> Self {
        let install = InstallConfig::load(
            &crate::launch::managed_config_path(),
            launch.config.as_deref(),
            &paraakh_policy::config::default_data_home(),
        )
        .map_err(|e| format!("this computer's exam configuration cannot be used: {e}"));
        Self {
            launch,
            install,
            inner: Mutex::new(Inner::default()),
            proctor_gate: ProctorGate::default(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn install(&self) -> Result<&InstallConfig, String> {
        self.install.as_ref().map_err(Clone::clone)
    }

    fn sources(&self) -> Sources {
        let l = &self.launch;
        Sources::parse(
            Some(l.camera.as_deref().unwrap_or("0")),
            Some(l.microphone.as_deref().unwrap_or("default")),
            Some(l.screen.as_deref().unwrap_or("desktop")),
        )
    }

    fn detection(&self) -> RuntimeConfig {
        RuntimeConfig {
            library: self.launch.onnxruntime.clone(),
            models: self.launch.models.clone(),
        }
    }

    /// Reads and verifies an exam package.
    fn read_offer(&self, path: &std::path::Path) -> Result<ExamOffer, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("the exam package {} cannot be read: {e}", path.display()))?;
        ExamOffer::verify(&bytes, self.install()?).map_err(|e| e.to_string())
    }

    /// The exam package the app was given, else the exam joined by link
    /// before a restart.
    fn find_offer(&self, inner: &mut Inner) -> Result<(), String> {
        if inner.offer.is_some() {
            return Ok(());
        }
        if let Some(path) = &self.launch.package {
            inner.offer = Some(self.read_offer(path)?);
        } else if let Some(joined) = JoinedStore::new(&self.install()?.data_dir).load()? {
            inner.offer = Some(self.read_offer(&joined.package)?);
            inner.joined = Some(joined);
        }
        Ok(())
    }

    fn candidate<'a>(&'a self, inner: &'a Inner) -> Option<&'a str> {
        match &inner.joined {
            Some(joined) => joined.candidate.as_deref(),
            None => self.launch.candidate.as_deref(),
        }
    }

    fn offered(&self, inner: &Inner) -> Option<Offered> {
        let offer = inner.offer.as_ref()?;
        Some(Offered {
            exam: offer.summary(inner.content.as_ref(), self.candidate(inner)),
            questions_from: inner
                .joined
                .as_ref()
                .filter(|_| inner.content.is_none())
                .map(|j| j.questions_from),
        })
    }

    pub(crate) fn launch_state(&self) -> Result<LaunchState, String> {
        let mut inner = self.inner();
        self.find_offer(&mut inner)?;
        if inner.run.is_none()
            && inner.resume.is_none()
            && let Some(offer) = &inner.offer
            && let Some(draft) = self.interrupted(offer)?
        {
            inner.content = Some(draft.content.clone());
            inner.resume = Some(draft);
        }
        let exam = self.offered(&inner);
        let resume = inner.resume.as_ref().map(|d| {
            serde_json::json!({
                "session_id": d.session_id,
                "exam_title": d.title,
                "stopped_at": paraakh_evidence::clock::format_utc(d.saved_at_ms as i64 * 1_000_000),
                "needs_proctor_code": inner.offer.as_ref().is_some_and(|o| resume_needs_code(&o.policy().proctor, d, now_ms())),
            })
        });
        let (receipt, time_up) = match &inner.receipt {
            Some((receipt, time_up)) => (Some(receipt.clone()), *time_up),
            None => (None, false),
        };
        Ok(LaunchState {
            phase: if receipt.is_some() {
                "receipt"
            } else if resume.is_some() {
                "resume"
            } else {
                "join"
            },
            exam,
            resume,
            receipt,
            time_up,
            join_link: self.launch.join_link.clone(),
            version: env!("CARGO_PKG_VERSION"),
        })
    }

    fn draft_store(&self, offer: &ExamOffer) -> Result<DraftStore, String> {
        let install = self.install()?;
        let tenant_dir = DataRoot::new(&install.data_dir)
            .tenant(&offer.tenant.id)
            .map_err(|e| e.to_string())?;
        Ok(DraftStore::new(tenant_dir.path(), &install.data_dir))
    }

    /// An exam of this package that was interrupted (crash, kill, power
    /// loss) before it was submitted, with its session still on disk.
    fn interrupted(&self, offer: &ExamOffer) -> Result<Option<Draft>, String> {
        let store = self.draft_store(offer)?;
        let mut draft = match store.load() {
            Ok(Some(draft)) => draft,
            Ok(None) => return Ok(None),
            // A draft that cannot be opened must not lock the candidate out:
            // it is set aside, and the engine still resumes the session
            // directory itself (its evidence, answers included, is intact).
            Err(_) => {
                store.set_aside()?;
                return Ok(None);
            }
        };
        let same_package =
            draft.package_sha256 == paraakh_evidence::record::to_hex(&offer.package_sha256);
        let dir = DataRoot::new(&self.install()?.data_dir)
            .tenant(&offer.tenant.id)
            .and_then(|t| t.session_dir(&draft.session_id))
            .map_err(|e| e.to_string())?;
        if !same_package || !dir.join("log").exists() {
            return Ok(None);
        }
        draft.saved_at_ms = store.modified_ms().unwrap_or(draft.saved_at_ms);
        Ok(Some(draft))
    }

    /// Checks a proctor's code: the tenant's (hashed in the exam's policy)
    /// or the proctoring centre's (in the launch file); says whose it is
    /// (never the code itself). Wrong codes are slowed down so they cannot
    /// be tried one after another.
    fn check_proctor_code(
        &self,
        policy_code: Option<&str>,
        code: &str,
    ) -> Result<&'static str, AppError> {
        let centre = self.launch.proctor_code_sha256.as_deref();
        match self.proctor_gate.check(policy_code, centre, code, now_ms()) {
            Ok(authority) => Ok(authority.describe()),
            Err(refused) => Err(match refused {
                CodeRefused::Wrong => AppError::WrongCode {
                    message: refused.to_string(),
                },
                CodeRefused::Wait { retry_after_s } => AppError::Wait {
                    message: refused.to_string(),
                    retry_after_s,
                },
                other => AppError::from(other.to_string()),
            }),
        }
    }

    /// The proctor code the exam's policy gives, if any.
    fn policy_code(inner: &Inner) -> Option<String> {
        inner
            .offer
            .as_ref()
            .and_then(|o| o.policy().proctor.unlock_code.clone())
    }

    /// Joins the exam a link names, and opens it if its questions are
    /// released already. The network is asked without holding the app's
    /// state, so window events never wait on it.
    pub(crate) fn join_with_link(&self, link: &str) -> Result<Offered, String> {
        if self.inner().run.is_some() {
            return Err("an exam is running already".into());
        }
        let (joined, offer) = join::join(self.install()?, link)?;
        let key = join::content_key(&joined)?;
        let mut inner = self.inner();
        if inner.run.is_some() {
            return Err("an exam is running already".into());
        }
        if inner.joined.as_ref() != Some(&joined) {
            inner.content = None;
            inner.preview = None;
            inner.meter = None;
        }
        inner.offer = Some(offer);
        inner.joined = Some(joined);
        Self::unlock_joined(&mut inner, key)?;
        self.offered(&inner)
            .ok_or_else(|| "no exam is offered".to_owned())
    }

    /// Asks the server for a joined exam's questions (from its opening).
    pub(crate) fn open_joined_exam(&self) -> Result<Offered, String> {
        let joined = {
            let mut inner = self.inner();
            self.find_offer(&mut inner)?;
            inner.joined.clone().filter(|_| inner.content.is_none())
        };
        let key = match &joined {
            Some(joined) => join::content_key(joined)?,
            None => None,
        };
        let mut inner = self.inner();
        Self::unlock_joined(&mut inner, key)?;
        self.offered(&inner)
            .ok_or_else(|| "no exam is offered".to_owned())
    }

    /// Opens a joined exam with the content key the server released.
    fn unlock_joined(inner: &mut Inner, key: Option<[u8; 32]>) -> Result<(), String> {
        let (Some(key), Some(offer), None) = (key, &inner.offer, &inner.content) else {
            return Ok(());
        };
        let key = zeroize::Zeroizing::new(key);
        let now = (now_ms() / 1000) as i64;
        inner.content = Some(
            offer
                .package
                .unlock_with_key(&key, now)
                .map_err(|e| e.to_string())?,
        );
        Ok(())
    }

    pub(crate) fn unlock_exam(&self, code: &str) -> Result<ExamSummary, String> {
        let mut inner = self.inner();
        self.find_offer(&mut inner)?;
        let offer = inner.offer.as_ref().ok_or(
            "no exam was given to this computer: start it from your join link, or ask your proctor",
        )?;
        let now = (now_ms() / 1000) as i64;
        let content = offer
            .package
            .unlock_with_code(code, now)
            .map_err(|e| e.to_string())?;
        let summary = offer.summary(Some(&content), self.candidate(&inner));
        inner.content = Some(content);
        Ok(summary)
    }

    fn unlocked_offer(inner: &Inner) -> Result<&ExamOffer, String> {
        match (&inner.offer, &inner.content) {
            (Some(o), Some(_)) => Ok(o),
            _ => Err("unlock the exam first (with the start code, or wait for it to open)".into()),
        }
    }

    pub(crate) fn run_system_check(&self) -> Result<PreflightReport, String> {
        let (policy, minutes, server) = {
            let inner = self.inner();
            let offer = Self::unlocked_offer(&inner)?;
            (
                offer.policy().clone(),
                offer.package.manifest.duration_minutes,
                self.server(&inner),
            )
        };
        let report = preflight::run(&PreflightOptions {
            policy,
            detection: self.detection(),
            server,
            data_dir: self.install()?.data_dir.clone(),
            listen_seconds: 1.5,
            exam_minutes: minutes,
            sources: self.sources(),
        });
        self.inner().last_check = Some(report.clone());
        Ok(report)
    }

    /// The machine checked again at the start (the candidate may have
    /// changed it since the check): refused when an item blocks. The
    /// items that go into the evidence: this check's, and the devices from
    /// the candidate's own check.
    fn check_again(
        &self,
        offer: &ExamOffer,
        server: Option<String>,
        earlier: Option<PreflightReport>,
    ) -> Result<PreflightReport, AppError> {
        let options = PreflightOptions {
            policy: offer.policy().clone(),
            detection: self.detection(),
            server,
            data_dir: self.install()?.data_dir.clone(),
            listen_seconds: 1.5,
            exam_minutes: offer.package.manifest.duration_minutes,
            sources: self.sources(),
        };
        let report = match earlier {
            // The devices as the candidate's own check found them (a
            // device that did not work then blocks now as well).
            Some(earlier) => {
                let mut report = preflight::run_machine(&options);
                let devices: Vec<_> = earlier
                    .items
                    .into_iter()
                    .filter(|i| report.item(i.id).is_none())
                    .collect();
                report.items.extend(devices);
                report
            }
            // Started without the check: the whole check, devices too.
            None => preflight::run(&options),
        };
        report.ready()?;
        Ok(report)
    }

    /// How this machine is set up for the exam, for the evidence.
    fn environment(
        &self,
        inner: &Inner,
        policy: &paraakh_policy::Policy,
        check: PreflightReport,
        mut guards: Vec<(String, String)>,
    ) -> Environment {
        let launch = match &self.launch.path {
            Some(path) => LaunchSource::LaunchFile {
                path: path.display().to_string(),
                signed_by: self.launch.signed_by.clone(),
            },
            None => LaunchSource::App {
                exam_from: match (&inner.joined, &self.launch.package) {
                    (Some(_), _) => "a join link".to_owned(),
                    (None, Some(p)) => format!("the exam package {}", p.display()),
                    (None, None) => "the exam package opened".to_owned(),
                },
            },
        };
        let mut env = Environment {
            session: Some(check.session),
            system_check: check.items,
            launch: Some(launch),
            managed: self.install().is_ok_and(|i| i.locked),
            development_build: cfg!(debug_assertions),
            ..Environment::default()
        };
        let set_by = env.set_by();
        let mut differs = |setting: &str, policy: &str, actual: String| {
            env.deviations.push(Deviation {
                setting: setting.into(),
                policy: policy.into(),
                actual,
                set_by: set_by.clone(),
            });
        };
        let l = &self.launch;
        if !l.kiosk() {
            differs(
                "kiosk",
                "fullscreen, on top, keyboard grabbed; leaving it recorded",
                "an ordinary window: focus loss and leaving fullscreen are not recorded".into(),
            );
        }
        if l.proctor_code_sha256.is_some() {
            differs(
                "proctor code",
                "the tenant's code",
                "a code set by the launch file".into(),
            );
        }
        if let Some(candidate) = &l.candidate {
            differs(
                "candidate",
                "the candidate the join link names",
                format!("{candidate} (whose extra time applies)"),
            );
        }
        if let Some(server) = &l.server {
            differs(
                "server",
                "the tenant's backend",
                format!("uploads to {server}"),
            );
        }
        if let Some(secs) = l.checkpoint_seconds {
            differs("checkpoints", "every 30 s", format!("every {secs} s"));
        }
        // The app's own guards that a setting keeps from starting.
        let off = format!("switched off by {set_by}");
        if !l.kiosk() {
            for guard in ["keyboard grab", "focus guard", "fullscreen watch"] {
                guards.push((guard.into(), off.clone()));
            }
        }
        if !l.lockdown.unwrap_or(true) && policy.keyboard.enabled {
            if policy.keyboard.block_copy_out {
                guards.push(("copy-out guard".into(), off.clone()));
            }
            if policy.keyboard.clear_clipboard {
                guards.push(("clipboard clearing".into(), off.clone()));
            }
        }
        env.guards_unavailable = guards;
        env
    }

    /// A lockdown guard did not start or stopped: recorded in the running
    /// exam, or at the start of the next.
    pub(crate) fn guard_unavailable(&self, guard: &str, reason: String) {
        let mut inner = self.inner();
        match &inner.run {
            Some(run) if run.submitted().is_none() => {
                let _ = run.send(Command::GuardUnavailable {
                    guard: guard.to_owned(),
                    reason,
                });
            }
            // After the exam there is nothing left to guard.
            Some(_) => {}
            None => {
                // The latest word on each guard goes into the next exam's evidence.
                inner.guards_unavailable.retain(|(g, _)| g != guard);
                inner.guards_unavailable.push((guard.to_owned(), reason));
            }
        }
    }

    /// Sends what the backend lacks of every earlier, finished session on
    /// this computer and deletes the copies the tenant's retention no longer
    /// keeps, as the consent screen promised, in the background. Sessions
    /// that have not ended are the app's to resume and send.
    pub(crate) fn send_finished_sessions(&self) {
        let Ok(install) = self.install() else {
            return;
        };
        let data_dir = install.data_dir.clone();
        let _ = std::thread::Builder::new()
            .name("paraakh-sync-agent".into())
            .spawn(move || {
                let options = paraakh_sync::agent::AgentOptions {
                    leave_unended: true,
                    ..paraakh_sync::agent::AgentOptions::default()
                };
                let _ = paraakh_sync::agent::sync_all(&data_dir, &options, &mut |_| {});
            });
    }

    /// A guard that failed before the exam works after all: nothing to record.
    pub(crate) fn guard_restored(&self, guard: &str) {
        self.inner().guards_unavailable.retain(|(g, _)| g != guard);
    }

    fn server(&self, inner: &Inner) -> Option<String> {
        if let Some(joined) = &inner.joined {
            return Some(joined.server.clone());
        }
        self.launch.server.clone().or_else(|| {
            inner
                .offer
                .as_ref()
                .and_then(|o| o.tenant.backend_url.clone())
        })
    }

    pub(crate) fn camera_preview(&self) -> Result<(PreviewFrame, String), String> {
        let mut inner = self.inner();
        if inner.run.is_some() {
            return Err("the exam has started".into());
        }
        if inner.preview.is_none() {
            let spec = self
                .sources()
                .camera
                .ok_or("no camera is chosen for this computer")?;
            // The preview draws the face boxes when detection is available; the
            // check lists detection problems on their own.
            let faces = Runtime::load(&self.detection())
                .ok()
                .and_then(|rt| FaceDetector::new(&rt, FaceConfig::default()).ok());
            inner.preview = Some(CameraPreview::open(&spec, faces).map_err(|e| e.to_string())?);
        }
        let preview = inner.preview.as_mut().ok_or("no camera")?;
        let frame = preview.grab().map_err(|e| e.to_string())?;
        let url = format!(
            "data:image/jpeg;base64,{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &frame.jpeg)
        );
        Ok((frame, url))
    }

    pub(crate) fn microphone_level(&self) -> Result<MeterLevel, String> {
        let mut inner = self.inner();
        if inner.run.is_some() {
            return Err("the exam has started".into());
        }
        if inner.meter.is_none() {
            let spec = self
                .sources()
                .microphone
                .ok_or("no microphone is chosen for this computer")?;
            inner.meter = Some(MicrophoneMeter::open(&spec).map_err(|e| e.to_string())?);
        }
        Ok(inner.meter.as_ref().ok_or("no microphone")?.level())
    }

    pub(crate) fn consent_terms(&self) -> Result<ConsentTerms, String> {
        let inner = self.inner();
        Ok(Self::unlocked_offer(&inner)?.consent_terms())
    }

    /// Starts the proctored session (only with the candidate's agreement).
    pub(crate) fn start_exam(
        &self,
        agree: bool,
        proctor_code: Option<&str>,
        emit: impl Fn(&EngineEvent) + Send + 'static,
    ) -> Result<ExamPaper, AppError> {
        if !agree {
            return Err(AppError::from(
                "Nothing is recorded without your agreement. If you do not agree, contact the exam organiser.",
            ));
        }
        let mut inner = self.inner();
        if let Some(paper) = &inner.paper {
            return Ok(paper.clone());
        }
        let offer = Self::unlocked_offer(&inner)?.clone();
        let content = inner.content.clone().ok_or("the exam is locked")?;
        let resume = inner.resume.clone();
        if resume
            .as_ref()
            .is_some_and(|d| resume_needs_code(&offer.policy().proctor, d, now_ms()))
        {
            let policy_code = Self::policy_code(&inner);
            // The code takes a moment to check: the window is not kept waiting.
            drop(inner);
            self.check_proctor_code(policy_code.as_deref(), proctor_code.unwrap_or_default())?;
            inner = self.inner();
            if let Some(paper) = &inner.paper {
                return Ok(paper.clone());
            }
        }
        // The check's camera and microphone are released for the session.
        inner.preview = None;
        inner.meter = None;
        let (server, earlier) = (self.server(&inner), inner.last_check.clone());
        // Checking takes seconds: window events do not wait on the app's state.
        drop(inner);
        let check = self.check_again(&offer, server, earlier)?;
        inner = self.inner();
        if let Some(paper) = &inner.paper {
            return Ok(paper.clone());
        }
        let install = self.install()?;
        let tenant_dir = DataRoot::new(&install.data_dir)
            .tenant(&offer.tenant.id)
            .map_err(|e| e.to_string())?;
        let session_id = match (&resume, &inner.joined, &self.launch.session_id) {
            (Some(draft), _, _) => draft.session_id.clone(),
            (None, Some(joined), _) => joined.session_id.clone(),
            (None, None, Some(id)) => id.clone(),
            (None, None, None) => exam::new_session_id().map_err(|e| e.to_string())?,
        };
        let dir = tenant_dir
            .session_dir(&session_id)
            .map_err(|e| e.to_string())?;
        let (device, _) =
            exam::device_key(&install.data_dir.join("device.key")).map_err(|e| e.to_string())?;
        let tenant_key = offer.package.evidence_key.clone();
        let tokens = match &inner.joined {
            Some(joined) => Some(joined.tokens.clone()),
            None => self.launch.tokens.clone(),
        };
        let upload = match (self.server(&inner), tokens) {
            (Some(server), Some(tokens)) => Some(UploadConfig { server, tokens }),
            _ => None,
        };
        let online = upload.is_some();
        let policy = offer.policy().clone();
        // What a later sync (this app's next start, or `paraakh sync --all`)
        // needs to send this session and delete it when the policy says.
        let upload_context = upload.as_ref().map(|u| paraakh_sync::agent::UploadContext {
            server: u.server.clone(),
            tokens: u.tokens.clone(),
            backend_key: offer.tenant.backend_key.clone(),
            retention: policy.retention.clone(),
        });
        let lockdown = self.launch.lockdown.unwrap_or(true);
        let keep_copies_in = lockdown && policy.keyboard.enabled && policy.keyboard.block_copy_out;
        let mut guards = std::mem::take(&mut inner.guards_unavailable);
        if lockdown
            && policy.keyboard.enabled
            && policy.keyboard.clear_clipboard
            && let Err(e) = paraakh_lockdown::clipboard::clear(None)
        {
            // Nothing copied before the exam can be pasted into it.
            guards.push(("clipboard clearing".into(), e.to_string()));
        }
        let environment = self.environment(&inner, &policy, check, guards);
        let who = SessionIdentity {
            tenant_id: offer.tenant.id.clone(),
            exam_id: offer.package.manifest.exam_id.clone(),
            session_id: session_id.clone(),
            tenant_key,
            device: Arc::new(device),
            client: ClientInfo::this_program(concat!("paraakh-app ", env!("CARGO_PKG_VERSION")))
                .map_err(|e| format!("the app cannot read itself: {e}"))?,
        };
        let config = SessionConfig {
            statement: inner.joined.as_ref().and_then(Joined::statement),
            detection: Some(self.detection()),
            checkpoint_every: Duration::from_secs_f64(
                self.launch
                    .checkpoint_seconds
                    .unwrap_or(crate::launch::DEFAULT_CHECKPOINT_SECONDS)
                    .clamp(1.0, 3600.0),
            ),
            environment,
            ..SessionConfig::new(dir.clone(), policy, who)
                .capturing(self.sources())
                .lockdown(lockdown)
                .uploading(upload, offer.tenant.backend_key.clone())
        };
        let session = Session::start(config).map_err(|e| {
            format!(
                "the exam could not start: {e}; nothing was lost, try again or ask your proctor"
            )
        })?;
        if let Some(context) = &upload_context
            && let Err(e) = paraakh_sync::agent::remember(&dir, context)
        {
            // The exam goes on; it is uploaded while online, and can be sent by hand.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("paraakh-app: the upload details for a later sync were not kept: {e}");
            }
        }
        let run = ExamRun::start(session, online, emit)
            .map_err(|e| format!("the exam could not start: {e}"))?;
        // A resumed exam keeps its clock: an interruption never adds time by
        // itself (a proctor can give more).
        let draft = match resume {
            Some(draft) => draft,
            None => {
                let extra = exam::extra_time_percent(&content, self.candidate(&inner));
                let started = now_ms();
                let working = exam::working_seconds(offer.package.manifest.duration_minutes, extra);
                let closes = u64::try_from(offer.package.manifest.closes_at).unwrap_or(0) * 1000;
                Draft {
                    session_id: session_id.clone(),
                    exam_id: offer.package.manifest.exam_id.clone(),
                    package_sha256: paraakh_evidence::record::to_hex(&offer.package_sha256),
                    title: offer.package.manifest.title.clone(),
                    content: content.clone(),
                    answers: serde_json::Map::new(),
                    started_at_ms: started,
                    ends_at_ms: (started + working * 1000).min(closes.max(started)),
                    extra_time_percent: extra,
                    saved_at_ms: started,
                }
            }
        };
        let store = DraftStore::new(tenant_dir.path(), &install.data_dir);
        store.save(&draft)?;
        let paper = ExamPaper {
            session_id,
            title: draft.title.clone(),
            instructions: content.instructions.clone(),
            questions: content.questions.clone(),
            answers: draft.answers.clone(),
            started_at_ms: draft.started_at_ms,
            ends_at_ms: draft.ends_at_ms,
            extra_time_percent: draft.extra_time_percent,
            resumed: inner.resume.is_some(),
            private_clipboard: keep_copies_in,
            online_origin: content
                .online
                .as_ref()
                .and_then(|o| paraakh_policy::net::url_origin(&o.start_url)),
        };
        inner.online = content.online.clone().map(|exam| OnlineRun {
            exam,
            allowed: offer.policy().network.allowed_origins.clone(),
            home: None,
            finished: false,
        });
        if keep_copies_in {
            crate::kiosk::keep_copies_in(run.clone());
        }
        inner.drafts = Some(store);
        inner.draft = Some(draft);
        inner.run = Some(run);
        inner.session_dir = Some(dir);
        inner.paper = Some(paper.clone());
        Ok(paper)
    }

    fn run(&self) -> Result<Arc<ExamRun>, String> {
        self.inner()
            .run
            .clone()
            .ok_or_else(|| "the exam has not started".to_owned())
    }

    pub(crate) fn save_answer(
        &self,
        question: &str,
        answer: &serde_json::Value,
    ) -> Result<u64, String> {
        let encoded = {
            let inner = self.inner();
            let content = inner.content.as_ref().ok_or("the exam is locked")?;
            let q = content
                .questions
                .iter()
                .find(|q| q.id == question)
                .ok_or_else(|| format!("there is no question {question:?} in this exam"))?;
            answers::encode(q, answer)?
        };
        let seq = self.run()?.save_answer(question, encoded)?;
        // The evidence has it; the draft lets a resumed exam show it again.
        let mut inner = self.inner();
        let Inner { drafts, draft, .. } = &mut *inner;
        if let (Some(store), Some(draft)) = (drafts.as_ref(), draft.as_mut()) {
            draft.answers.insert(question.to_owned(), answer.clone());
            draft.saved_at_ms = now_ms();
            store.save(draft)?;
        }
        Ok(seq)
    }

    /// Something the window saw; recorded only while the exam runs.
    pub(crate) fn report(&self, observation: Observation) {
        let run = self.inner().run.clone();
        if let Some(run) = run
            && run.submitted().is_none()
        {
            let _ = run.send(Command::Report(observation));
        }
    }

    /// The running exam keeps copies inside (`block_copy_out`).
    pub(crate) fn copies_kept_in(&self) -> bool {
        self.exam_in_progress()
            && self
                .inner()
                .paper
                .as_ref()
                .is_some_and(|p| p.private_clipboard)
    }

    /// The organiser's own page (an online exam) is shown, not the app's.
    pub(crate) fn on_organisers_page(&self) -> bool {
        self.inner().online.as_ref().is_some_and(|o| !o.finished)
    }

    /// The exam is running and not yet submitted.
    pub(crate) fn exam_in_progress(&self) -> bool {
        let inner = self.inner();
        !inner.unlocked_by_proctor && inner.run.as_ref().is_some_and(|r| r.submitted().is_none())
    }

    pub(crate) fn submit_exam(&self) -> Result<SubmitReceipt, String> {
        let run = self.run()?;
        let (seq, answered) = run.submit()?;
        let inner = self.inner();
        self.forget(&inner)?;
        let paper = inner.paper.as_ref().ok_or("the exam has not started")?;
        let (tenant_name, keep_days) = Self::tenant_and_retention(&inner);
        let submitted_at = paraakh_evidence::clock::format_utc(now_ms() as i64 * 1_000_000);
        let receipt = SubmitReceipt {
            session_id: paper.session_id.clone(),
            submitted_at,
            answered,
            total: paper.questions.len(),
            seq,
            status: run.sync_status(&tenant_name, keep_days),
        };
        let mut inner = inner;
        inner.receipt = Some((receipt.clone(), false));
        Ok(receipt)
    }

    /// Where the exam window may go: the app's own pages always; during an
    /// online exam its allowed origins, and its finish URL ends it.
    pub(crate) fn navigation(&self, url: &tauri::Url, own_page: bool) -> Navigation {
        if own_page {
            return Navigation::Allow;
        }
        let (verdict, exam_running) = match &self.inner().online {
            Some(run) if run.home.is_some() => (run.judge(url), !run.finished),
            _ => (Navigation::Block, false),
        };
        if verdict == Navigation::Block && exam_running {
            // For the reviewer: where the organiser's page tried to go.
            self.report(Observation::PageBlocked {
                origin: url.origin().ascii_serialization(),
            });
        }
        verdict
    }

    /// Starts showing the online exam's page: its URL and when time is up.
    pub(crate) fn begin_online(&self, home: Option<tauri::Url>) -> Result<(String, u64), String> {
        let mut inner = self.inner();
        let ends_at_ms = inner
            .paper
            .as_ref()
            .ok_or("the exam has not started")?
            .ends_at_ms;
        let run = inner
            .online
            .as_mut()
            .ok_or("this exam is not an online exam")?;
        if run.finished {
            return Err("the exam was submitted".into());
        }
        run.home = Some(home.ok_or("the app's own page is not known")?);
        Ok((run.exam.start_url.clone(), ends_at_ms))
    }

    /// What the online exam's bar shows now. Asked by the window's thread
    /// every tick, so it never waits for the app's state.
    pub(crate) fn online_bar(&self) -> OnlineBar {
        let inner = match self.inner.try_lock() {
            Ok(inner) => inner,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return OnlineBar::Busy,
        };
        let Some(run) = inner
            .online
            .as_ref()
            .filter(|r| r.home.is_some() && !r.finished)
        else {
            return OnlineBar::Hidden;
        };
        let Some(paper) = inner.paper.as_ref() else {
            return OnlineBar::Hidden;
        };
        OnlineBar::Shown {
            title: paper.title.clone(),
            site: paper
                .online_origin
                .clone()
                .unwrap_or_else(|| run.exam.start_url.clone()),
            ends_at_ms: paper.ends_at_ms,
        }
    }

    pub(crate) fn online_finished(&self) -> bool {
        self.inner().online.as_ref().is_none_or(|r| r.finished)
    }

    /// Ends an online exam once (its page reached the finish URL, or the
    /// time is up): submits, and returns the app's page to go back to.
    /// `Ok(None)`: it had ended already.
    pub(crate) fn finish_online(&self, time_up: bool) -> Result<Option<tauri::Url>, String> {
        let home = {
            let mut inner = self.inner();
            let Some(run) = inner.online.as_mut() else {
                return Ok(None);
            };
            if run.finished {
                return Ok(None);
            }
            run.finished = true;
            run.home.clone()
        };
        if let Err(e) = self.submit_exam() {
            // Not submitted: the page stays, and the next try submits.
            if let Some(run) = self.inner().online.as_mut() {
                run.finished = false;
            }
            return Err(e);
        }
        if time_up && let Some((_, up)) = self.inner().receipt.as_mut() {
            *up = true;
        }
        Ok(home)
    }

    pub(crate) fn sync_status(&self) -> Result<SyncStatus, String> {
        let run = self.run()?;
        let (name, keep_days) = Self::tenant_and_retention(&self.inner());
        Ok(run.sync_status(&name, keep_days))
    }

    /// The organiser's name and how many days its retention keeps a
    /// confirmed session on this computer.
    fn tenant_and_retention(inner: &Inner) -> (String, u32) {
        inner.offer.as_ref().map_or_else(
            || (String::new(), 0),
            |o| {
                (
                    o.tenant.name.clone(),
                    o.policy().retention.keep_after_receipt_days,
                )
            },
        )
    }

    /// The proctor's emergency unlock: recorded, then the session ends.
    pub(crate) fn proctor_unlock(&self, code: &str, reason: &str) -> Result<(), AppError> {
        let policy_code = Self::policy_code(&self.inner());
        let authority = self.check_proctor_code(policy_code.as_deref(), code)?;
        let run = self.inner().run.clone();
        if let Some(run) = run {
            let reason = if reason.trim().is_empty() {
                "emergency unlock".to_owned()
            } else {
                reason.trim().to_owned()
            };
            // Recorded before this returns; the session then ends by itself.
            run.proctor_unlock(&format!("a proctor with {authority}"), &reason)?;
        }
        let mut inner = self.inner();
        inner.unlocked_by_proctor = true;
        Ok(self.forget(&inner)?)
    }

    /// The exam is over: nothing is left to resume or to rejoin, and
    /// nothing copied in the exam stays on the clipboard (as the policy says).
    fn forget(&self, inner: &Inner) -> Result<(), String> {
        if let Some(offer) = &inner.offer {
            let keyboard = &offer.policy().keyboard;
            if self.launch.lockdown.unwrap_or(true) && keyboard.enabled && keyboard.clear_clipboard
            {
                let _ = paraakh_lockdown::clipboard::clear(None);
            }
        }
        if let Some(store) = &inner.drafts {
            store.remove()?;
        }
        if inner.joined.is_some() {
            JoinedStore::new(&self.install()?.data_dir).remove()?;
        }
        Ok(())
    }

    /// Whether the app may close now, and why not.
    pub(crate) fn may_quit(&self) -> Result<(), String> {
        let inner = self.inner();
        if inner.unlocked_by_proctor {
            return Ok(());
        }
        match &inner.run {
            Some(run) if run.submitted().is_none() => Err(
                "The exam is still running: submit it first, or ask your proctor to unlock this computer."
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// Waits (up to `patience`) for the session's last upload before closing.
    pub(crate) fn finish(&self, patience: Duration) {
        let run = self.inner().run.clone();
        if let Some(run) = run {
            let deadline = std::time::Instant::now() + patience;
            while !run.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::App;
    use crate::error::AppError;
    use crate::launch::Launch;

    #[test]
    fn the_tenants_and_the_centres_proctor_codes_are_both_accepted() {
        let centre =
            paraakh_evidence::record::to_hex(&paraakh_evidence::merkle::sha256(b"CENTRE1234"));
        // `argon2 somesaltsomesalt -id -m 16 -t 3 -p 1 -e` of "PASSW0RD1".
        let tenant = "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$FxpfPW9cXUKGYE+/5SYf9Gpvp4KL3z8Q10yFw9dvvoY";
        let app = App::new(Launch {
            proctor_code_sha256: Some(centre),
            ..Launch::default()
        });
        assert!(app.check_proctor_code(Some(tenant), "password1").is_ok());
        assert!(app.check_proctor_code(Some(tenant), "centre-1234").is_ok());
        assert!(app.check_proctor_code(None, "centre 1234").is_ok());
        let wrong = app
            .check_proctor_code(Some(tenant), "password2")
            .unwrap_err();
        assert_eq!(
            wrong,
            AppError::WrongCode {
                message: "that proctor code is not right".into()
            }
        );

        let bare = App::new(Launch::default());
        assert!(bare.check_proctor_code(Some(tenant), "password1").is_ok());
        let none = bare.check_proctor_code(None, "password1").unwrap_err();
        assert!(none.message().contains("no proctor code is set"), "{none}");
    }

    #[test]
    fn a_short_interruption_resumes_without_the_code_where_the_policy_allows() {
        use paraakh_policy::model::ProctorSettings;
        let mut draft = crate::draft::tests::draft();
        draft.saved_at_ms = 1_000_000;
        let minute = 60_000;
        let always = ProctorSettings {
            unlock_code: None,
            resume_needs_code: true,
            resume_free_minutes: 0,
        };
        assert!(super::resume_needs_code(&always, &draft, 1_000_000));
        let grace = ProctorSettings {
            resume_free_minutes: 5,
            ..always.clone()
        };
        assert!(!super::resume_needs_code(
            &grace,
            &draft,
            1_000_000 + 4 * minute
        ));
        assert!(super::resume_needs_code(
            &grace,
            &draft,
            1_000_000 + 5 * minute
        ));
        let never = ProctorSettings::default();
        assert!(!super::resume_needs_code(&never, &draft, u64::MAX));
    }
}
