//! What a command answers when it cannot do what was asked: a code the UI
//! switches on (never matching words), and the words for the candidate.

use paraakh_engine::preflight::{CheckItem, StartRefused};
use serde::Serialize;

/// A command's refusal, serialised as `{"code": …, "message": …, …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub(crate) enum AppError {
    /// A proctor's code that is not right.
    WrongCode {
        /// For the candidate.
        message: String,
    },
    /// Too many wrong codes: the next try waits.
    Wait {
        /// For the candidate.
        message: String,
        /// Seconds until the next try is taken.
        retry_after_s: u64,
    },
    /// The machine, checked again at the start, blocks it.
    StartRefused {
        /// For the candidate.
        message: String,
        /// Each blocking item with what was found and the fix.
        items: Vec<CheckItem>,
    },
    /// Anything else, in words.
    Failed {
        /// For the candidate.
        message: String,
    },
}

impl AppError {
    /// The words for the candidate.
    pub(crate) fn message(&self) -> &str {
        match self {
            Self::WrongCode { message }
            | Self::Wait { message, .. }
            | Self::StartRefused { message, .. }
            | Self::Failed { message } => message,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl From<String> for AppError {
    fn from(message: String) -> Self {
        Self::Failed { message }
    }
}

impl From<&str> for AppError {
    fn from(message: &str) -> Self {
        Self::Failed {
            message: message.to_owned(),
        }
    }
}

impl From<StartRefused> for AppError {
    fn from(refused: StartRefused) -> Self {
        Self::StartRefused {
            message: refused.to_string(),
            items: refused.items,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// One example of every variant: a new one fails to compile here
    /// until it has an example (and so a place in the UI's fixture).
    fn examples() -> Vec<AppError> {
        let all = [
            AppError::WrongCode {
                message: "that proctor code is not right".into(),
            },
            AppError::Wait {
                message: "too many wrong proctor codes: try again in 20 seconds".into(),
                retry_after_s: 20,
            },
            AppError::StartRefused {
                message: "The exam cannot start".into(),
                items: Vec::new(),
            },
            AppError::Failed {
                message: "the disk is full".into(),
            },
        ];
        for e in &all {
            match e {
                AppError::WrongCode { .. }
                | AppError::Wait { .. }
                | AppError::StartRefused { .. }
                | AppError::Failed { .. } => {}
            }
        }
        all.into()
    }

    /// The UI's `AppError` (ui/src/api.ts) is checked against these
    /// (ui/src/errors.test.ts reads the fixture).
    #[test]
    fn the_ui_has_the_errors_the_app_sends() {
        paraakh_test_rig::fixture::check_json(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../ui/src/test/app-errors.json"),
            &serde_json::to_value(examples()).unwrap(),
            "cargo test -p paraakh-app --bin paraakh-app error",
        );
    }

    #[test]
    fn errors_carry_a_code_the_ui_switches_on() {
        let wait = AppError::Wait {
            message: "try again in 20 seconds".into(),
            retry_after_s: 20,
        };
        assert_eq!(
            serde_json::to_value(&wait).unwrap(),
            serde_json::json!({"code": "wait", "message": "try again in 20 seconds", "retry_after_s": 20})
        );
        let failed = AppError::from("the disk is full".to_owned());
        assert_eq!(serde_json::to_value(&failed).unwrap()["code"], "failed");
        assert_eq!(failed.to_string(), "the disk is full");
    }
}
