//! Where the exam stands in the app. Each phase holds exactly what exists
//! in it, so a question asked in the wrong phase has nothing to read:
//!
//! ```text
//!            exam package /           start code /          start_exam: agreed,
//!            join link                questions released    checked again, started
//!  Waiting ──────────────▶ Sealed ─────────────────▶ Ready ─────────────────────▶ Running
//!                                                   │  ▲                           │
//!                          an interrupted exam found │  │ system check (kept)      │ submitted, time up,
//!                          at launch: Ready + draft ─┘  └──────────────────        │ proctor's unlock
//!                                                                                  ▼
//!                                                                                Ended
//! ```
//!
//! A join link for another exam takes `Sealed` or `Ready` back to `Sealed`;
//! nothing leaves `Running` but the end of the exam.

use std::sync::Arc;

use paraakh_engine::exam::ExamOffer;
use paraakh_engine::preflight::PreflightReport;
use paraakh_policy::exam::ExamContent;

use super::views::{ExamPaper, SubmitReceipt};
use crate::draft::{Draft, DraftStore};
use crate::join::Joined;
use crate::online::OnlineRun;
use crate::run::ExamRun;

/// The exam offered to this computer, and how it came.
#[derive(Debug, Clone)]
pub(super) struct Exam {
    pub(super) offer: ExamOffer,
    /// Joined by link: its session, server and tokens.
    pub(super) joined: Option<Joined>,
}

/// Unlocked: the questions are known; the candidate checks the computer
/// and reads the consent terms.
#[derive(Debug)]
pub(super) struct Ready {
    pub(super) exam: Exam,
    pub(super) content: ExamContent,
    /// An interrupted exam found at launch, to resume.
    pub(super) resume: Option<Draft>,
    /// The last system check the candidate ran (its devices go into the evidence).
    pub(super) last_check: Option<PreflightReport>,
}

/// The exam is running: the engine's session and the candidate's paper.
#[derive(Debug)]
pub(super) struct Running {
    pub(super) exam: Exam,
    pub(super) run: Arc<ExamRun>,
    pub(super) paper: ExamPaper,
    /// The answers as typed, for a resume (the questions are in it too).
    pub(super) draft: Draft,
    pub(super) drafts: DraftStore,
    /// An online exam's page and where it may go.
    pub(super) online: Option<OnlineRun>,
}

/// Submitted, or ended by the proctor: the session uploads what is left.
#[derive(Debug)]
pub(super) struct Ended {
    pub(super) exam: Exam,
    pub(super) run: Arc<ExamRun>,
    /// The receipt, and whether the time ran out; `None` when the proctor
    /// ended the exam.
    pub(super) receipt: Option<(SubmitReceipt, bool)>,
}

#[derive(Debug, Default)]
pub(super) enum Phase {
    /// No exam yet: the join screen waits for a link.
    #[default]
    Waiting,
    /// Offered, its questions still locked.
    Sealed(Box<Exam>),
    Ready(Box<Ready>),
    Running(Box<Running>),
    Ended(Box<Ended>),
}

impl Phase {
    pub(super) fn exam(&self) -> Option<&Exam> {
        match self {
            Phase::Waiting => None,
            Phase::Sealed(exam) => Some(exam),
            Phase::Ready(ready) => Some(&ready.exam),
            Phase::Running(running) => Some(&running.exam),
            Phase::Ended(ended) => Some(&ended.exam),
        }
    }

    /// The engine's session, once the exam has started.
    pub(super) fn run(&self) -> Option<&Arc<ExamRun>> {
        match self {
            Phase::Running(running) => Some(&running.run),
            Phase::Ended(ended) => Some(&ended.run),
            _ => None,
        }
    }

    pub(super) fn started(&self) -> bool {
        matches!(self, Phase::Running(_) | Phase::Ended(_))
    }

    pub(super) fn running(&self) -> Option<&Running> {
        match self {
            Phase::Running(running) => Some(running),
            _ => None,
        }
    }

    pub(super) fn running_mut(&mut self) -> Option<&mut Running> {
        match self {
            Phase::Running(running) => Some(running),
            _ => None,
        }
    }

    /// The questions, once unlocked.
    pub(super) fn content(&self) -> Option<&ExamContent> {
        match self {
            Phase::Ready(ready) => Some(&ready.content),
            Phase::Running(running) => Some(&running.draft.content),
            _ => None,
        }
    }
}
