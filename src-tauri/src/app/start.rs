//! Ready → Running: the candidate agreed, the machine is checked again, the
//! engine's session starts, and the candidate's paper (a fresh one, or the
//! interrupted exam's draft) is kept for a resume.

use std::sync::Arc;
use std::time::Duration;

use paraakh_engine::exam::{self, ExamOffer};
use paraakh_engine::preflight::{self, PreflightReport};
use paraakh_engine::session::{EngineEvent, Session, SessionConfig, SessionIdentity, UploadConfig};
use paraakh_evidence::record::ClientInfo;
use paraakh_policy::exam::ExamContent;
use paraakh_policy::tenants::DataRoot;

use super::phase::{Exam, Phase, Running};
use super::{App, ExamPaper, now_ms, resume_needs_code};
use crate::draft::{Draft, DraftStore};
use crate::error::AppError;
use crate::online::OnlineRun;
use crate::run::ExamRun;

const ENDED: &str = "this exam has ended";
const CHANGED: &str = "the exam changed while it was starting: start it again";

/// A new paper: the clock starts now, with the candidate's extra time, and
/// never runs past the exam's closing.
fn fresh_draft(
    offer: &ExamOffer,
    content: &ExamContent,
    candidate: Option<&str>,
    session_id: &str,
) -> Draft {
    let manifest = &offer.package.manifest;
    let extra = exam::extra_time_percent(content, candidate);
    let started = now_ms();
    let working = exam::working_seconds(manifest.duration_minutes, extra);
    let closes = u64::try_from(manifest.closes_at).unwrap_or(0) * 1000;
    Draft {
        session_id: session_id.to_owned(),
        exam_id: manifest.exam_id.clone(),
        package_sha256: paraakh_evidence::record::to_hex(&offer.package_sha256),
        title: manifest.title.clone(),
        content: content.clone(),
        answers: serde_json::Map::new(),
        started_at_ms: started,
        ends_at_ms: (started + working * 1000).min(closes.max(started)),
        extra_time_percent: extra,
        saved_at_ms: started,
    }
}

impl App {
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
        let (offer, needs_code, policy_code) = {
            let inner = self.inner();
            match &inner.phase {
                Phase::Running(running) => return Ok(running.paper.clone()),
                Phase::Ended(_) => return Err(ENDED.into()),
                phase => {
                    let ready = Self::ready(phase)?;
                    let offer = ready.exam.offer.clone();
                    let needs_code = ready
                        .resume
                        .as_ref()
                        .is_some_and(|d| resume_needs_code(&offer.policy().proctor, d, now_ms()));
                    (offer, needs_code, Self::policy_code(phase))
                }
            }
        };
        // The code and the check take seconds: window events do not wait
        // on the app's state meanwhile.
        if needs_code {
            self.check_proctor_code(policy_code.as_deref(), proctor_code.unwrap_or_default())?;
        }
        let (server, earlier) = {
            let mut inner = self.inner();
            if let Some(paper) = self.started_meanwhile(&inner.phase, &offer)? {
                return Ok(paper);
            }
            // The check's camera and microphone are released for the session.
            inner.preview = None;
            inner.meter = None;
            let ready = Self::ready(&inner.phase)?;
            (self.server(&ready.exam), ready.last_check.clone())
        };
        let check = self.check_again(&offer, server, earlier)?;
        let mut inner = self.inner();
        if let Some(paper) = self.started_meanwhile(&inner.phase, &offer)? {
            return Ok(paper);
        }
        let Phase::Ready(ready) = &inner.phase else {
            return Err(CHANGED.into());
        };
        let guards = inner.guards_unavailable.clone();
        let (running, keep_copies_in) = self.open_session(ready, check, guards, emit)?;
        // Recorded in this exam's evidence now.
        inner.guards_unavailable.clear();
        let paper = running.paper.clone();
        if keep_copies_in {
            crate::kiosk::keep_copies_in(running.run.clone());
        }
        inner.phase = Phase::Running(Box::new(running));
        Ok(paper)
    }

    /// While the app's state was let go: the exam started (its paper), or
    /// another exam took its place (refused).
    fn started_meanwhile(
        &self,
        phase: &Phase,
        offer: &ExamOffer,
    ) -> Result<Option<ExamPaper>, AppError> {
        match phase {
            Phase::Running(running) => Ok(Some(running.paper.clone())),
            Phase::Ended(_) => Err(ENDED.into()),
            Phase::Ready(ready) if ready.exam.offer.package_sha256 == offer.package_sha256 => {
                Ok(None)
            }
            _ => Err(CHANGED.into()),
        }
    }

    /// The session, its draft and the candidate's paper, for a Ready exam.
    fn open_session(
        &self,
        ready: &super::Ready,
        check: PreflightReport,
        mut guards: Vec<(String, String)>,
        emit: impl Fn(&EngineEvent) + Send + 'static,
    ) -> Result<(Running, bool), AppError> {
        let Exam { offer, joined } = &ready.exam;
        let install = self.install()?;
        let tenant_dir = DataRoot::new(&install.data_dir)
            .tenant(&offer.tenant.id)
            .map_err(|e| e.to_string())?;
        let session_id = match (&ready.resume, joined, &self.launch.session_id) {
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
        let tokens = match joined {
            Some(joined) => Some(joined.tokens.clone()),
            None => self.launch.tokens.clone(),
        };
        let upload = match (self.server(&ready.exam), tokens) {
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
        let keyboard = &policy.keyboard;
        let keep_copies_in = lockdown && keyboard.enabled && keyboard.block_copy_out;
        if lockdown
            && keyboard.enabled
            && keyboard.clear_clipboard
            && !crate::exam_session_holds()
            && let Err(e) = paraakh_lockdown::clipboard::clear(None)
        {
            // Nothing copied before the exam can be pasted into it.
            guards.push(("clipboard clearing".into(), e.to_string()));
        }
        let environment = self.environment(joined.is_some(), &policy, check, guards);
        // A hold for a new input device needs someone who can confirm it.
        let proctor_can_confirm =
            policy.proctor.unlock_code.is_some() || self.launch.proctor_unlock_code.is_some();
        let who = SessionIdentity {
            tenant_id: offer.tenant.id.clone(),
            exam_id: offer.package.manifest.exam_id.clone(),
            session_id: session_id.clone(),
            tenant_key: offer.package.evidence_key.clone(),
            device: Arc::new(device),
            client: ClientInfo::this_program(concat!("paraakh-app ", env!("CARGO_PKG_VERSION")))
                .map_err(|e| format!("the app cannot read itself: {e}"))?,
        };
        let config = SessionConfig {
            statement: joined.as_ref().and_then(crate::join::Joined::statement),
            detection: Some(self.detection()),
            checkpoint_every: Duration::from_secs_f64(
                self.launch
                    .checkpoint_seconds
                    .unwrap_or(crate::launch::DEFAULT_CHECKPOINT_SECONDS)
                    .clamp(1.0, 3600.0),
            ),
            environment,
            proctor_can_confirm,
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
        let draft = match &ready.resume {
            Some(draft) => draft.clone(),
            None => fresh_draft(
                offer,
                &ready.content,
                self.candidate(Some(&ready.exam)),
                &session_id,
            ),
        };
        let drafts = DraftStore::new(tenant_dir.path(), &install.data_dir);
        drafts.save(&draft)?;
        let content = &draft.content;
        let paper = ExamPaper {
            session_id,
            title: draft.title.clone(),
            instructions: content.instructions.clone(),
            questions: content.questions.clone(),
            answers: draft.answers.clone(),
            started_at_ms: draft.started_at_ms,
            ends_at_ms: draft.ends_at_ms,
            extra_time_percent: draft.extra_time_percent,
            resumed: ready.resume.is_some(),
            private_clipboard: keep_copies_in,
            online_origin: content
                .online
                .as_ref()
                .and_then(|o| paraakh_policy::net::url_origin(&o.start_url)),
        };
        let online = content.online.clone().map(|exam| OnlineRun {
            exam,
            allowed: offer.policy().network.allowed_origins.clone(),
            home: None,
            finished: false,
        });
        let running = Running {
            exam: ready.exam.clone(),
            run,
            paper,
            draft,
            drafts,
            online,
        };
        Ok((running, keep_copies_in))
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
        let options = self.check_options(offer, server)?;
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
}
