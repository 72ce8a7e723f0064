//! Answers as the UI sends them, checked against their question before they
//! are recorded: a choice index that exists, distinct sorted indices, text
//! within the question's limit. What is recorded is the JSON the UI sent.

use paraakh_policy::exam::Question;
use serde_json::Value;

/// The longest text accepted for any question (an essay of many thousand words).
const MAX_TEXT_BYTES: usize = 256 * 1024;

/// Checks an answer for its question and returns the bytes to record.
pub(crate) fn encode(q: &Question, answer: &Value) -> Result<Vec<u8>, String> {
    let choices = q.choices.as_ref().map_or(0, Vec::len);
    let choice = |v: &Value| -> Result<u64, String> {
        v.as_u64()
            .filter(|&i| i < choices as u64)
            .ok_or_else(|| format!("question {}: {v} is not one of its {choices} choices", q.id))
    };
    match q.kind.as_str() {
        "single_choice" => {
            choice(answer)?;
        }
        "multiple_choice" => {
            let list = answer.as_array().ok_or_else(|| {
                format!("question {}: the answer must be a list of choices", q.id)
            })?;
            let mut last = None;
            for v in list {
                let i = choice(v)?;
                if last.is_some_and(|l| l >= i) {
                    return Err(format!(
                        "question {}: choices must be listed once each, in order",
                        q.id
                    ));
                }
                last = Some(i);
            }
        }
        "short_text" | "essay" => {
            let text = answer
                .as_str()
                .ok_or_else(|| format!("question {}: the answer must be text", q.id))?;
            if text.len() > MAX_TEXT_BYTES {
                return Err(format!(
                    "question {}: the answer is longer than this app accepts ({} kB)",
                    q.id,
                    MAX_TEXT_BYTES / 1024
                ));
            }
            if let Some(max) = q.max_chars
                && text.chars().count() > max as usize
            {
                return Err(format!(
                    "question {}: the answer is longer than {max} characters",
                    q.id
                ));
            }
        }
        other => return Err(format!("question {}: unknown kind {other:?}", q.id)),
    }
    serde_json::to_vec(answer).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn q(kind: &str) -> Question {
        Question {
            id: "q".into(),
            kind: kind.into(),
            prompt: "?".into(),
            points: 1.0,
            choices: kind
                .ends_with("choice")
                .then(|| vec!["a".into(), "b".into(), "c".into()]),
            max_chars: (kind == "short_text").then_some(5),
            max_words: None,
        }
    }

    #[test]
    fn each_kind_takes_its_shape() {
        assert_eq!(encode(&q("single_choice"), &json!(2)).unwrap(), b"2");
        assert_eq!(
            encode(&q("multiple_choice"), &json!([0, 2])).unwrap(),
            b"[0,2]"
        );
        assert_eq!(encode(&q("multiple_choice"), &json!([])).unwrap(), b"[]");
        assert_eq!(
            encode(&q("short_text"), &json!("F=ma")).unwrap(),
            b"\"F=ma\""
        );
        assert!(encode(&q("essay"), &json!("long ".repeat(1000))).is_ok());
    }

    #[test]
    fn wrong_answers_say_what_is_wrong() {
        let cases = [
            ("single_choice", json!(3), "not one of its 3 choices"),
            ("single_choice", json!(-1), "not one of its"),
            ("single_choice", json!("a"), "not one of its"),
            ("multiple_choice", json!(1), "must be a list"),
            ("multiple_choice", json!([2, 1]), "once each, in order"),
            ("multiple_choice", json!([1, 1]), "once each, in order"),
            ("short_text", json!(5), "must be text"),
            ("short_text", json!("toolong"), "longer than 5 characters"),
            (
                "essay",
                json!("x".repeat(MAX_TEXT_BYTES + 1)),
                "longer than this app accepts",
            ),
        ];
        for (kind, answer, want) in cases {
            let e = encode(&q(kind), &answer).unwrap_err();
            assert!(e.contains(want), "{kind} {answer}: {e}");
        }
    }
}
