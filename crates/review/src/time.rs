//! Time analysis from the autosaves: how long before each save (counted
//! for its question), how often an answer changed, stretches without any
//! save, and the time after the last one. Only hashes of the answers are
//! read: the report never shows what the candidate wrote.

use crate::model::{Idle, QuestionTime, TimeAnalysis};

/// A stretch this long without an autosave is listed as idle.
pub const IDLE_THRESHOLD_S: f64 = 300.0;

/// One autosave.
#[derive(Debug, Clone)]
pub(crate) struct Save {
    pub(crate) question: String,
    pub(crate) at_s: f64,
    /// SHA-256 of the answer as saved.
    pub(crate) content: [u8; 32],
}

/// Analyses saves in session-time order; `end_s` is the submission or the end.
pub(crate) fn analyse(saves: &[Save], end_s: Option<f64>, submitted: Option<u64>) -> TimeAnalysis {
    let mut questions: Vec<QuestionTime> = Vec::new();
    let mut last_content: Vec<[u8; 32]> = Vec::new();
    let mut idle = Vec::new();
    let mut previous = 0.0f64;
    for save in saves {
        let spent = (save.at_s - previous).max(0.0);
        if spent >= IDLE_THRESHOLD_S {
            idle.push(Idle {
                from_s: previous,
                to_s: save.at_s,
            });
        }
        match questions.iter().position(|q| q.question == save.question) {
            Some(i) => {
                let q = &mut questions[i];
                q.saves += 1;
                q.seconds += spent;
                q.last_s = save.at_s;
                if last_content[i] != save.content {
                    q.changes += 1;
                    last_content[i] = save.content;
                }
            }
            None => {
                questions.push(QuestionTime {
                    question: save.question.clone(),
                    saves: 1,
                    changes: 0,
                    seconds: spent,
                    first_s: save.at_s,
                    last_s: save.at_s,
                });
                last_content.push(save.content);
            }
        }
        previous = previous.max(save.at_s);
    }
    let after_last_answer_s = match (saves.is_empty(), end_s) {
        (false, Some(end)) => Some((end - previous).max(0.0)),
        _ => None,
    };
    if let (Some(end), Some(after)) = (end_s, after_last_answer_s)
        && after >= IDLE_THRESHOLD_S
    {
        idle.push(Idle {
            from_s: previous,
            to_s: end,
        });
    }
    TimeAnalysis {
        questions,
        idle,
        idle_threshold_s: IDLE_THRESHOLD_S,
        after_last_answer_s,
        submitted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn save(q: &str, at_s: f64, content: u8) -> Save {
        Save {
            question: q.into(),
            at_s,
            content: [content; 32],
        }
    }

    #[test]
    fn time_before_each_save_counts_for_its_question() {
        let saves = [
            save("q1", 60.0, 1),
            save("q2", 180.0, 2),
            save("q1", 200.0, 3), // changed
            save("q1", 230.0, 3), // saved again, same answer
            save("q3", 900.0, 4), // after 670 s without a save
        ];
        let t = analyse(&saves, Some(1000.0), Some(3));
        let q1 = &t.questions[0];
        assert_eq!((q1.saves, q1.changes, q1.seconds), (3, 1, 110.0));
        assert_eq!((q1.first_s, q1.last_s), (60.0, 230.0));
        assert_eq!(t.questions[1].seconds, 120.0);
        assert_eq!(t.questions[2].seconds, 670.0);
        assert_eq!(
            t.idle,
            [Idle {
                from_s: 230.0,
                to_s: 900.0
            }]
        );
        assert_eq!(t.after_last_answer_s, Some(100.0));
        assert_eq!(t.submitted, Some(3));
    }

    #[test]
    fn a_long_wait_after_the_last_answer_is_idle_and_no_saves_is_nothing() {
        let t = analyse(&[save("q1", 10.0, 1)], Some(4000.0), None);
        assert_eq!(t.after_last_answer_s, Some(3990.0));
        assert_eq!(
            t.idle,
            [Idle {
                from_s: 10.0,
                to_s: 4000.0
            }]
        );
        let none = analyse(&[], Some(100.0), None);
        assert!(none.questions.is_empty() && none.idle.is_empty());
        assert_eq!(none.after_last_answer_s, None);
    }
}
