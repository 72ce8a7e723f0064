//! The app's state between the screens: the exam offered, unlocked, run
//! and ended ([`phase`]). Each method is one step the UI asks for;
//! `commands` wraps them for the webview. Errors are plain words for the
//! candidate. Starting the exam is in [`start`], the running exam in
//! [`running`].

mod environment;
mod phase;
mod running;
mod start;
mod views;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paraakh_detect::{FaceConfig, FaceDetector, Runtime, RuntimeConfig};
use paraakh_engine::exam::{ConsentTerms, ExamOffer, ExamSummary};
use paraakh_engine::preflight::{self, PreflightOptions, PreflightReport};
use paraakh_engine::preview::{CameraPreview, MeterLevel, MicrophoneMeter, PreviewFrame};
use paraakh_engine::proctor::{CodeRefused, ProctorGate};
use paraakh_engine::session::{Command, Sources};
use paraakh_policy::config::InstallConfig;
use paraakh_policy::tenants::DataRoot;

use crate::draft::{Draft, DraftStore};
use crate::error::AppError;
use crate::join::{self, JoinedStore};
use crate::launch::Launch;
use phase::{Exam, Phase, Ready};
pub(crate) use views::{
    ExamPaper, LaunchState, Offered, OnlineBar, Preview, ResumeInfo, Saved, SubmitReceipt,
};

#[derive(Default)]
struct Inner {
    phase: Phase,
    /// The camera and microphone of the system check; released when the
    /// exam starts (the session opens its own).
    preview: Option<CameraPreview>,
    meter: Option<MicrophoneMeter>,
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

const NOT_UNLOCKED: &str = "unlock the exam first (with the start code, or wait for it to open)";
const STARTED: &str = "the exam has started";

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

    /// The system check's options for this exam.
    fn check_options(
        &self,
        offer: &ExamOffer,
        server: Option<String>,
    ) -> Result<PreflightOptions, String> {
        Ok(PreflightOptions {
            policy: offer.policy().clone(),
            detection: self.detection(),
            server,
            data_dir: self.install()?.data_dir.clone(),
            listen_seconds: 1.5,
            exam_minutes: offer.package.manifest.duration_minutes,
            sources: self.sources(),
        })
    }

    /// Reads and verifies an exam package.
    fn read_offer(&self, path: &std::path::Path) -> Result<ExamOffer, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("the exam package {} cannot be read: {e}", path.display()))?;
        ExamOffer::verify(&bytes, self.install()?).map_err(|e| e.to_string())
    }

    /// Waiting: the exam package the app was given, else the exam joined by
    /// link before a restart.
    fn find_offer(&self, inner: &mut Inner) -> Result<(), String> {
        if !matches!(inner.phase, Phase::Waiting) {
            return Ok(());
        }
        if let Some(path) = &self.launch.package {
            let offer = self.read_offer(path)?;
            inner.phase = Phase::Sealed(Box::new(Exam {
                offer,
                joined: None,
            }));
        } else if let Some(joined) = JoinedStore::new(&self.install()?.data_dir).load()? {
            let offer = self.read_offer(&joined.package)?;
            inner.phase = Phase::Sealed(Box::new(Exam {
                offer,
                joined: Some(joined),
            }));
        }
        Ok(())
    }

    fn candidate<'a>(&'a self, exam: Option<&'a Exam>) -> Option<&'a str> {
        match exam.and_then(|e| e.joined.as_ref()) {
            Some(joined) => joined.candidate.as_deref(),
            None => self.launch.candidate.as_deref(),
        }
    }

    fn offered(&self, phase: &Phase) -> Option<Offered> {
        let exam = phase.exam()?;
        Some(Offered {
            exam: exam
                .offer
                .summary(phase.content(), self.candidate(Some(exam))),
            questions_from: match phase {
                Phase::Sealed(exam) => exam.joined.as_ref().map(|j| j.questions_from),
                _ => None,
            },
        })
    }

    fn resume_info(offer: &ExamOffer, draft: &Draft) -> ResumeInfo {
        ResumeInfo {
            session_id: draft.session_id.clone(),
            exam_title: draft.title.clone(),
            stopped_at: paraakh_evidence::clock::format_utc(draft.saved_at_ms as i64 * 1_000_000),
            needs_proctor_code: resume_needs_code(&offer.policy().proctor, draft, now_ms()),
        }
    }

    pub(crate) fn launch_state(&self) -> Result<LaunchState, String> {
        let mut inner = self.inner();
        self.find_offer(&mut inner)?;
        // An exam of this package interrupted before: Ready to resume.
        let interrupted = match &inner.phase {
            Phase::Sealed(exam) => self.interrupted(&exam.offer)?,
            Phase::Ready(ready) if ready.resume.is_none() => self.interrupted(&ready.exam.offer)?,
            _ => None,
        };
        if let Some(draft) = interrupted {
            Self::unlocked(&mut inner.phase, draft.content.clone());
            if let Phase::Ready(ready) = &mut inner.phase {
                ready.resume = Some(draft);
            }
        }
        let resume = match &inner.phase {
            Phase::Ready(ready) => ready
                .resume
                .as_ref()
                .map(|d| Self::resume_info(&ready.exam.offer, d)),
            _ => None,
        };
        let (receipt, time_up) = match &inner.phase {
            Phase::Ended(ended) => match &ended.receipt {
                Some((receipt, time_up)) => (Some(receipt.clone()), *time_up),
                None => (None, false),
            },
            _ => (None, false),
        };
        Ok(LaunchState {
            phase: if receipt.is_some() {
                "receipt"
            } else if resume.is_some() {
                "resume"
            } else {
                "join"
            },
            exam: self.offered(&inner.phase),
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
        let centre = self.launch.proctor_unlock_code.as_deref();
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
    fn policy_code(phase: &Phase) -> Option<String> {
        phase
            .exam()
            .and_then(|e| e.offer.policy().proctor.unlock_code.clone())
    }

    /// Joins the exam a link names, and opens it if its questions are
    /// released already. The network is asked without holding the app's
    /// state, so window events never wait on it.
    pub(crate) fn join_with_link(&self, link: &str) -> Result<Offered, String> {
        if self.inner().phase.started() {
            return Err("an exam is running already".into());
        }
        let (joined, offer) = join::join(self.install()?, link)?;
        let key = join::content_key(&joined)?;
        let mut inner = self.inner();
        let exam = Exam {
            offer,
            joined: Some(joined),
        };
        let same = inner.phase.exam().is_some_and(|e| e.joined == exam.joined);
        if !same {
            inner.preview = None;
            inner.meter = None;
        }
        match &mut inner.phase {
            Phase::Running(_) | Phase::Ended(_) => {
                return Err("an exam is running already".into());
            }
            // The same exam joined again: what was unlocked and checked stays.
            Phase::Ready(ready) if same => ready.exam = exam,
            _ => inner.phase = Phase::Sealed(Box::new(exam)),
        }
        Self::unlock_joined(&mut inner.phase, key)?;
        self.offered(&inner.phase)
            .ok_or_else(|| "no exam is offered".to_owned())
    }

    /// Asks the server for a joined exam's questions (from its opening).
    pub(crate) fn open_joined_exam(&self) -> Result<Offered, String> {
        let joined = {
            let mut inner = self.inner();
            self.find_offer(&mut inner)?;
            match &inner.phase {
                Phase::Sealed(exam) => exam.joined.clone(),
                _ => None,
            }
        };
        let key = match &joined {
            Some(joined) => join::content_key(joined)?,
            None => None,
        };
        let mut inner = self.inner();
        Self::unlock_joined(&mut inner.phase, key)?;
        self.offered(&inner.phase)
            .ok_or_else(|| "no exam is offered".to_owned())
    }

    /// Sealed → Ready with the content key the server released.
    fn unlock_joined(phase: &mut Phase, key: Option<[u8; 32]>) -> Result<(), String> {
        let (Some(key), Phase::Sealed(exam)) = (key, &*phase) else {
            return Ok(());
        };
        let key = zeroize::Zeroizing::new(key);
        let now = (now_ms() / 1000) as i64;
        let content = exam
            .offer
            .package
            .unlock_with_key(&key, now)
            .map_err(|e| e.to_string())?;
        Self::unlocked(phase, content);
        Ok(())
    }

    /// Sealed (or Ready) → Ready with these questions.
    fn unlocked(phase: &mut Phase, content: paraakh_policy::exam::ExamContent) {
        match phase {
            Phase::Ready(ready) => ready.content = content,
            Phase::Sealed(_) => {
                let Phase::Sealed(exam) = std::mem::take(phase) else {
                    return;
                };
                *phase = Phase::Ready(Box::new(Ready {
                    exam: *exam,
                    content,
                    resume: None,
                    last_check: None,
                }));
            }
            _ => {}
        }
    }

    pub(crate) fn unlock_exam(&self, code: &str) -> Result<ExamSummary, String> {
        let mut inner = self.inner();
        self.find_offer(&mut inner)?;
        let exam = match &inner.phase {
            Phase::Waiting => return Err(
                "no exam was given to this computer: start it from your join link, or ask your proctor".into(),
            ),
            Phase::Running(_) | Phase::Ended(_) => return Err(STARTED.into()),
            Phase::Sealed(exam) => exam,
            Phase::Ready(ready) => &ready.exam,
        };
        let now = (now_ms() / 1000) as i64;
        let content = exam
            .offer
            .package
            .unlock_with_code(code, now)
            .map_err(|e| e.to_string())?;
        let summary = exam
            .offer
            .summary(Some(&content), self.candidate(Some(exam)));
        Self::unlocked(&mut inner.phase, content);
        Ok(summary)
    }

    fn ready(phase: &Phase) -> Result<&Ready, String> {
        match phase {
            Phase::Ready(ready) => Ok(ready),
            Phase::Running(_) | Phase::Ended(_) => Err(STARTED.into()),
            Phase::Waiting | Phase::Sealed(_) => Err(NOT_UNLOCKED.into()),
        }
    }

    pub(crate) fn run_system_check(&self) -> Result<PreflightReport, String> {
        let options = {
            let inner = self.inner();
            let ready = Self::ready(&inner.phase)?;
            self.check_options(&ready.exam.offer, self.server(&ready.exam))?
        };
        let report = preflight::run(&options);
        if let Phase::Ready(ready) = &mut self.inner().phase {
            ready.last_check = Some(report.clone());
        }
        Ok(report)
    }

    pub(crate) fn consent_terms(&self) -> Result<ConsentTerms, String> {
        let inner = self.inner();
        Ok(Self::ready(&inner.phase)?.exam.offer.consent_terms())
    }

    /// The server this exam talks to: the join link's, the launch file's,
    /// else the tenant's backend.
    fn server(&self, exam: &Exam) -> Option<String> {
        if let Some(joined) = &exam.joined {
            return Some(joined.server.clone());
        }
        self.launch
            .server
            .clone()
            .or_else(|| exam.offer.tenant.backend_url.clone())
    }

    pub(crate) fn camera_preview(&self) -> Result<(PreviewFrame, String), String> {
        let mut inner = self.inner();
        if inner.phase.started() {
            return Err(STARTED.into());
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
        if inner.phase.started() {
            return Err(STARTED.into());
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

    /// A lockdown guard did not start or stopped: recorded in the running
    /// exam, or at the start of the next.
    pub(crate) fn guard_unavailable(&self, guard: &str, reason: String) {
        let mut inner = self.inner();
        match &inner.phase {
            Phase::Running(running) if running.run.submitted().is_none() => {
                let _ = running.run.send(Command::GuardUnavailable {
                    guard: guard.to_owned(),
                    reason,
                });
            }
            // After the exam there is nothing left to guard.
            Phase::Running(_) | Phase::Ended(_) => {}
            Phase::Waiting | Phase::Sealed(_) | Phase::Ready(_) => {
                // The latest word on each guard goes into the next exam's evidence.
                inner.guards_unavailable.retain(|(g, _)| g != guard);
                inner.guards_unavailable.push((guard.to_owned(), reason));
            }
        }
    }

    /// A guard that failed before the exam works after all: nothing to record.
    pub(crate) fn guard_restored(&self, guard: &str) {
        self.inner().guards_unavailable.retain(|(g, _)| g != guard);
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

    /// Whether the app may close now, and why not.
    pub(crate) fn may_quit(&self) -> Result<(), String> {
        match &self.inner().phase {
            Phase::Running(running) if running.run.submitted().is_none() => Err(
                "The exam is still running: submit it first, or ask your proctor to unlock this computer."
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// Waits (up to `patience`) for the session's last upload before closing.
    pub(crate) fn finish(&self, patience: Duration) {
        let run = self.inner().phase.run().cloned();
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
        let centre = paraakh_policy::proctor::ProctorCodeHash::new("CENTRE1234")
            .unwrap()
            .to_string();
        // `argon2 somesaltsomesalt -id -m 16 -t 3 -p 1 -e` of "PASSW0RD1".
        let tenant = "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$FxpfPW9cXUKGYE+/5SYf9Gpvp4KL3z8Q10yFw9dvvoY";
        let app = App::new(Launch {
            proctor_unlock_code: Some(centre),
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

    /// Each step asked for in the wrong phase says what comes first, and
    /// changes nothing.
    #[test]
    fn steps_out_of_order_are_refused_in_words() {
        let app = App::new(Launch::default());
        let refused = |r: Result<(), String>| r.unwrap_err();
        assert!(refused(app.consent_terms().map(drop)).contains("unlock the exam first"));
        assert!(refused(app.run_system_check().map(drop)).contains("unlock the exam first"));
        assert!(
            refused(app.save_answer("q1", &serde_json::json!(0), None).map(drop))
                .contains("has not started")
        );
        assert!(refused(app.submit_exam().map(drop)).contains("has not started"));
        assert!(refused(app.sync_status().map(drop)).contains("has not started"));
        assert!(refused(app.begin_online(None).map(drop)).contains("has not started"));
        let no_agreement = app.start_exam(false, None, |_| {}).unwrap_err();
        assert!(no_agreement.message().contains("without your agreement"));
        let not_unlocked = app.start_exam(true, None, |_| {}).unwrap_err();
        assert!(not_unlocked.message().contains("unlock the exam first"));
        // Nothing runs: the kiosk lets go, the app may close.
        assert!(!app.exam_in_progress());
        assert!(app.may_quit().is_ok());
        assert!(app.online_finished());
        assert!(matches!(app.online_bar(), super::OnlineBar::Hidden));
        assert!(matches!(app.inner().phase, super::Phase::Waiting));
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
