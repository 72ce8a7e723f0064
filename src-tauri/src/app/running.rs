//! Running → Ended: answers saved, what the window saw reported, the online
//! exam's page and bar, the submission and the proctor's unlock.

use std::sync::Arc;

use paraakh_engine::session::Command;
use paraakh_engine::session::rules::Observation;

use super::phase::{Ended, Exam, Phase};
use super::{App, OnlineBar, SubmitReceipt, now_ms};
use crate::answers;
use crate::error::AppError;
use crate::join::JoinedStore;
use crate::online::Navigation;
use crate::run::{ExamRun, SyncStatus};

const NOT_STARTED: &str = "the exam has not started";

impl App {
    /// The engine's session, once the exam has started.
    fn run(&self) -> Result<Arc<ExamRun>, String> {
        self.inner()
            .phase
            .run()
            .cloned()
            .ok_or_else(|| NOT_STARTED.to_owned())
    }

    /// Saves an answer, with how it was typed since its last save when
    /// the page measured it.
    pub(crate) fn save_answer(
        &self,
        question: &str,
        answer: &serde_json::Value,
        typing: Option<paraakh_engine::session::TypingSample>,
    ) -> Result<u64, String> {
        let (run, encoded) = {
            let inner = self.inner();
            let running = match &inner.phase {
                Phase::Running(running) => running,
                Phase::Ended(_) => return Err("the exam was submitted".into()),
                _ => return Err(NOT_STARTED.into()),
            };
            let q = running
                .draft
                .content
                .questions
                .iter()
                .find(|q| q.id == question)
                .ok_or_else(|| format!("there is no question {question:?} in this exam"))?;
            (running.run.clone(), answers::encode(q, answer)?)
        };
        let seq = run.save_answer(question, encoded, typing)?;
        // The evidence has it; the draft lets a resumed exam show it again.
        if let Some(running) = self.inner().phase.running_mut() {
            running
                .draft
                .answers
                .insert(question.to_owned(), answer.clone());
            running.draft.saved_at_ms = now_ms();
            running.drafts.save(&running.draft)?;
        }
        Ok(seq)
    }

    /// Something the window saw; recorded only while the exam runs.
    pub(crate) fn report(&self, observation: Observation) {
        let run = self.inner().phase.running().map(|r| r.run.clone());
        if let Some(run) = run
            && run.submitted().is_none()
        {
            let _ = run.send(Command::Report(observation));
        }
    }

    /// The running exam keeps copies inside (`block_copy_out`).
    pub(crate) fn copies_kept_in(&self) -> bool {
        self.inner()
            .phase
            .running()
            .is_some_and(|r| r.run.submitted().is_none() && r.paper.private_clipboard)
    }

    /// The organiser's own page (an online exam) is shown, not the app's.
    pub(crate) fn on_organisers_page(&self) -> bool {
        self.inner()
            .phase
            .running()
            .and_then(|r| r.online.as_ref())
            .is_some_and(|o| !o.finished)
    }

    /// The exam is running and not yet submitted.
    pub(crate) fn exam_in_progress(&self) -> bool {
        self.inner()
            .phase
            .running()
            .is_some_and(|r| r.run.submitted().is_none())
    }

    pub(crate) fn submit_exam(&self) -> Result<SubmitReceipt, String> {
        let run = self.run()?;
        let (seq, answered) = run.submit()?;
        let mut inner = self.inner();
        let running = match std::mem::take(&mut inner.phase) {
            Phase::Running(running) => running,
            // Submitted twice: the first receipt.
            Phase::Ended(ended) => {
                let receipt = ended.receipt.as_ref().map(|(r, _)| r.clone());
                inner.phase = Phase::Ended(ended);
                return receipt.ok_or_else(|| "the proctor ended this exam".to_owned());
            }
            other => {
                inner.phase = other;
                return Err(NOT_STARTED.into());
            }
        };
        let (tenant_name, keep_days) = Self::tenant_and_retention(&running.exam);
        let receipt = SubmitReceipt {
            session_id: running.paper.session_id.clone(),
            submitted_at: paraakh_evidence::clock::format_utc(now_ms() as i64 * 1_000_000),
            answered,
            total: running.paper.questions.len(),
            seq,
            status: run.sync_status(&tenant_name, keep_days),
        };
        inner.phase = Phase::Ended(Box::new(Ended {
            exam: running.exam,
            run: running.run,
            receipt: Some((receipt.clone(), false)),
        }));
        self.forget(&inner.phase, Some(&running.drafts))?;
        Ok(receipt)
    }

    /// Where the exam window may go: the app's own pages always; during an
    /// online exam its allowed origins, and its finish URL ends it.
    pub(crate) fn navigation(&self, url: &tauri::Url, own_page: bool) -> Navigation {
        if own_page {
            return Navigation::Allow;
        }
        let (verdict, exam_running) =
            match self.inner().phase.running().and_then(|r| r.online.as_ref()) {
                Some(online) if online.home.is_some() => (online.judge(url), !online.finished),
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
        let running = match &mut inner.phase {
            Phase::Running(running) => running,
            Phase::Ended(_) => return Err("the exam was submitted".into()),
            _ => return Err(NOT_STARTED.into()),
        };
        let ends_at_ms = running.paper.ends_at_ms;
        let online = running
            .online
            .as_mut()
            .ok_or("this exam is not an online exam")?;
        if online.finished {
            return Err("the exam was submitted".into());
        }
        online.home = Some(home.ok_or("the app's own page is not known")?);
        Ok((online.exam.start_url.clone(), ends_at_ms))
    }

    /// What the online exam's bar shows now. Asked by the window's thread
    /// every tick, so it never waits for the app's state.
    pub(crate) fn online_bar(&self) -> OnlineBar {
        let inner = match self.inner.try_lock() {
            Ok(inner) => inner,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return OnlineBar::Busy,
        };
        let Some(running) = inner.phase.running() else {
            return OnlineBar::Hidden;
        };
        match &running.online {
            Some(online) if online.home.is_some() && !online.finished => OnlineBar::Shown {
                title: running.paper.title.clone(),
                site: running
                    .paper
                    .online_origin
                    .clone()
                    .unwrap_or_else(|| online.exam.start_url.clone()),
                ends_at_ms: running.paper.ends_at_ms,
            },
            _ => OnlineBar::Hidden,
        }
    }

    pub(crate) fn online_finished(&self) -> bool {
        self.inner()
            .phase
            .running()
            .and_then(|r| r.online.as_ref())
            .is_none_or(|o| o.finished)
    }

    /// Ends an online exam once (its page reached the finish URL, or the
    /// time is up): submits, and returns the app's page to go back to.
    /// `Ok(None)`: it had ended already.
    pub(crate) fn finish_online(&self, time_up: bool) -> Result<Option<tauri::Url>, String> {
        let home = {
            let mut inner = self.inner();
            let Some(online) = inner.phase.running_mut().and_then(|r| r.online.as_mut()) else {
                return Ok(None);
            };
            if online.finished {
                return Ok(None);
            }
            online.finished = true;
            online.home.clone()
        };
        if let Err(e) = self.submit_exam() {
            // Not submitted: the page stays, and the next try submits.
            if let Some(online) = self
                .inner()
                .phase
                .running_mut()
                .and_then(|r| r.online.as_mut())
            {
                online.finished = false;
            }
            return Err(e);
        }
        if time_up
            && let Phase::Ended(ended) = &mut self.inner().phase
            && let Some((_, up)) = ended.receipt.as_mut()
        {
            *up = true;
        }
        Ok(home)
    }

    pub(crate) fn sync_status(&self) -> Result<SyncStatus, String> {
        let inner = self.inner();
        let (run, exam) = match (inner.phase.run(), inner.phase.exam()) {
            (Some(run), Some(exam)) => (run.clone(), exam),
            _ => return Err(NOT_STARTED.into()),
        };
        let (name, keep_days) = Self::tenant_and_retention(exam);
        drop(inner);
        Ok(run.sync_status(&name, keep_days))
    }

    /// The organiser's name and how many days its retention keeps a
    /// confirmed session on this computer.
    fn tenant_and_retention(exam: &Exam) -> (String, u32) {
        (
            exam.offer.tenant.name.clone(),
            exam.offer.policy().retention.keep_after_receipt_days,
        )
    }

    /// The proctor's emergency unlock: recorded, then the session ends.
    /// A proctor confirms what holds the exam (a new input device) with
    /// the proctor code.
    pub(crate) fn confirm_held(&self, code: &str) -> Result<(), AppError> {
        let policy_code = Self::policy_code(&self.inner().phase);
        let authority = self.check_proctor_code(policy_code.as_deref(), code)?;
        let run = self.inner().phase.running().map(|r| r.run.clone());
        match run {
            Some(run) => Ok(run.confirm_held(&format!("A proctor with {authority}"))?),
            None => Err(AppError::from("no exam is running")),
        }
    }

    pub(crate) fn proctor_unlock(&self, code: &str, reason: &str) -> Result<(), AppError> {
        let policy_code = Self::policy_code(&self.inner().phase);
        let authority = self.check_proctor_code(policy_code.as_deref(), code)?;
        let run = self.inner().phase.running().map(|r| r.run.clone());
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
        let drafts = match std::mem::take(&mut inner.phase) {
            Phase::Running(running) => {
                inner.phase = Phase::Ended(Box::new(Ended {
                    exam: running.exam,
                    run: running.run,
                    receipt: None,
                }));
                Some(running.drafts)
            }
            other => {
                inner.phase = other;
                None
            }
        };
        Ok(self.forget(&inner.phase, drafts.as_ref())?)
    }

    /// The exam is over: nothing is left to resume or to rejoin, and
    /// nothing copied in the exam stays on the clipboard (as the policy says).
    fn forget(
        &self,
        phase: &Phase,
        drafts: Option<&crate::draft::DraftStore>,
    ) -> Result<(), String> {
        let Some(exam) = phase.exam() else {
            return Ok(());
        };
        let keyboard = &exam.offer.policy().keyboard;
        if self.launch.lockdown.unwrap_or(true) && keyboard.enabled && keyboard.clear_clipboard {
            let _ = paraakh_lockdown::clipboard::clear(None);
        }
        if let Some(store) = drafts {
            store.remove()?;
        }
        if exam.joined.is_some() {
            JoinedStore::new(&self.install()?.data_dir).remove()?;
        }
        Ok(())
    }
}
