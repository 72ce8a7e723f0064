//! What a resumed session carries on from its own log: the last autosave
//! of each question (the submission names them), a hold no proctor has
//! released yet (ending the program does not lift it), and how each answer
//! was typed so far.

use std::collections::BTreeMap;
use std::path::Path;

use paraakh_evidence::frame::{FileKind, FrameReader};
use paraakh_evidence::{Body, Record};
use serde_json::Value;

use super::EventKind;
use super::typing::TypingProfile;

/// One answer's typing as the log left it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TypedBefore {
    /// Its last `typing_profile` record.
    pub(crate) profile: Option<TypingProfile>,
    /// The kinds of unusual typing recorded for it (`machine_typing`'s `why`).
    pub(crate) said: Vec<String>,
}

/// See the module.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Carried {
    /// The last autosave of each question.
    pub(crate) answers: BTreeMap<String, u64>,
    /// The devices a hold no proctor released was for.
    pub(crate) held: Option<Vec<String>>,
    /// Each answer's typing.
    pub(crate) typing: BTreeMap<String, TypedBefore>,
}

impl Carried {
    /// Reads the session's log in `dir` (a missing or unreadable log
    /// carries nothing: the writer's own recovery reports on it).
    pub(crate) fn from_log(dir: &Path) -> Self {
        let mut c = Self::default();
        let Ok(mut reader) = FrameReader::open(&dir.join(FileKind::Log.file_name()), FileKind::Log)
        else {
            return c;
        };
        while let Ok(Some(frame)) = reader.next_frame() {
            let Ok(record) = Record::parse(&frame.payload) else {
                continue;
            };
            c.add(record);
        }
        c
    }

    fn add(&mut self, record: Record) {
        let e = match record.body {
            Body::Answer(a) => {
                self.answers.insert(a.question, record.seq);
                return;
            }
            Body::Event(e) => e,
            _ => return,
        };
        let question = e.detail.get("question").and_then(Value::as_str);
        match e.kind.as_str() {
            // Every device that held the exam since the last release (the
            // program may have ended before its `exam_held` was written).
            k if k == EventKind::InputDeviceAdded.as_str() => {
                let holds = e.detail.get("holds_exam").and_then(Value::as_bool) == Some(true);
                let name = e
                    .detail
                    .get("device")
                    .and_then(|d| d.get("name"))
                    .and_then(Value::as_str);
                if let (true, Some(name)) = (holds, name) {
                    self.held.get_or_insert_with(Vec::new).push(name.to_owned());
                }
            }
            k if k == EventKind::ExamReleased.as_str() => self.held = None,
            k if k == EventKind::TypingProfile.as_str() => {
                if let Some(q) = question {
                    let profile = serde_json::from_value(Value::Object(e.detail.clone())).ok();
                    self.typing.entry(q.to_owned()).or_default().profile = profile;
                }
            }
            k if k == EventKind::MachineTyping.as_str() => {
                if let (Some(q), Some(why)) =
                    (question, e.detail.get("why").and_then(Value::as_str))
                {
                    self.typing
                        .entry(q.to_owned())
                        .or_default()
                        .said
                        .push(why.to_owned());
                }
            }
            _ => {}
        }
    }
}
