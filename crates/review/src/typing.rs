//! How each answer was typed, from the session's typing profiles (the
//! last one per answer counts: each counts on from the one before) and its
//! `machine_typing` records: a table for the reviewer, never a verdict.

use serde::Deserialize;

use crate::model::{EventEntry, QuestionTyping};

/// The profile's fields as the client records them (`typing_profile`).
#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    keys: u64,
    #[serde(default)]
    chars_per_second: f64,
    #[serde(default)]
    bursts: u64,
    #[serde(default)]
    fastest_burst_cps: f64,
    #[serde(default)]
    least_spread: Option<f64>,
    #[serde(default)]
    inserted_chars: u64,
    #[serde(default)]
    longest_insert: u32,
}

/// Per answer, in the order first profiled or flagged.
pub(crate) fn per_answer(events: &[EventEntry]) -> Vec<QuestionTyping> {
    let mut out: Vec<QuestionTyping> = Vec::new();
    for e in events {
        let question = e.detail.get("question").and_then(|q| q.as_str());
        let Some(question) = question else { continue };
        let entry = |out: &mut Vec<QuestionTyping>| -> usize {
            match out.iter().position(|q| q.question == question) {
                Some(i) => i,
                None => {
                    out.push(QuestionTyping {
                        question: question.to_owned(),
                        ..QuestionTyping::default()
                    });
                    out.len() - 1
                }
            }
        };
        match e.kind.as_str() {
            "typing_profile" => {
                let Ok(p) =
                    serde_json::from_value::<Profile>(serde_json::Value::Object(e.detail.clone()))
                else {
                    continue;
                };
                let i = entry(&mut out);
                let q = &mut out[i];
                q.profile_seq = Some(e.seq);
                q.keys = p.keys;
                q.chars_per_second = p.chars_per_second;
                q.bursts = p.bursts;
                q.fastest_burst_cps = p.fastest_burst_cps;
                q.least_spread = p.least_spread;
                q.inserted_chars = p.inserted_chars;
                q.longest_insert = p.longest_insert;
            }
            "machine_typing" => {
                let i = entry(&mut out);
                out[i].unusual.push(e.seq);
            }
            _ => {}
        }
    }
    out
}
