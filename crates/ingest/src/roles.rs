//! Who may do what: every route of the backend is one [`Action`], and each
//! role of a tenant's tokens is allowed a fixed set of them. One table, so
//! the tests can walk every role against every action and the OpenAPI
//! document can say the same.
//!
//! Separation of duties: an auditor reads everything a reviewer reads and
//! the access log, but decides nothing; an admin runs the tenant (the
//! access log, retention and legal holds) but does not decide on a
//! candidate's events either; a proctor follows exams as they run; a
//! candidate's token reaches only its own session's upload routes.

use paraakh_policy::jwt::Role;
use serde::Serialize;

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Upload records, checkpoints, blobs; ask for a statement or the exam key (own session only).
    Upload,
    /// What the backend holds of one session (`GET /v1/sessions/{id}`).
    SessionStatus,
    /// List and filter the tenant's sessions.
    ListSessions,
    /// One session's review detail.
    ViewSession,
    /// Fetch evidence (a signed, short-lived URL).
    FetchEvidence,
    /// Record a review decision.
    Decide,
    /// Read and export the tenant's access log.
    ReadAccessLog,
    /// Retention and legal holds.
    ManageRetention,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 8] = [
        Action::Upload,
        Action::SessionStatus,
        Action::ListSessions,
        Action::ViewSession,
        Action::FetchEvidence,
        Action::Decide,
        Action::ReadAccessLog,
        Action::ManageRetention,
    ];

    /// The name in the access log and in refusals.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Upload => "upload",
            Action::SessionStatus => "session_status",
            Action::ListSessions => "list_sessions",
            Action::ViewSession => "view_session",
            Action::FetchEvidence => "fetch_evidence",
            Action::Decide => "decide",
            Action::ReadAccessLog => "read_access_log",
            Action::ManageRetention => "manage_retention",
        }
    }
}

/// Whether `role` may do `action`; the refusal says why, in words a
/// person holding the token can act on.
pub fn permit(role: Role, action: Action) -> Result<(), String> {
    if allowed(role, action) {
        return Ok(());
    }
    let who: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| allowed(*r, action))
        .map(Role::as_str)
        .collect();
    let why = match (role, action) {
        (Role::Auditor, Action::Decide) => " (an auditor reads but never decides)",
        (Role::Admin, Action::Decide) => " (decisions are a reviewer's to make)",
        (Role::Candidate, _) => " (a candidate's token reaches only its own session's uploads)",
        _ => "",
    };
    Err(format!(
        "{} {} token may not {}{why}: it takes a {} token",
        article(role),
        role.as_str(),
        action.as_str().replace('_', " "),
        who.join(" or ")
    ))
}

fn article(role: Role) -> &'static str {
    if matches!(role, Role::Admin | Role::Auditor) {
        "an"
    } else {
        "a"
    }
}

fn allowed(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::Upload => matches!(role, R::Candidate),
        A::SessionStatus => true,
        A::ListSessions => matches!(role, R::Proctor | R::Reviewer | R::Auditor | R::Admin),
        A::ViewSession | A::FetchEvidence => matches!(role, R::Reviewer | R::Auditor | R::Admin),
        A::Decide => matches!(role, R::Reviewer),
        A::ReadAccessLog => matches!(role, R::Auditor | R::Admin),
        A::ManageRetention => matches!(role, R::Admin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as docs/sync.md and the OpenAPI document state it.
    #[test]
    fn each_role_is_allowed_exactly_its_actions() {
        let expected: &[(Role, &[Action])] = &[
            (Role::Candidate, &[Action::Upload, Action::SessionStatus]),
            (
                Role::Proctor,
                &[Action::SessionStatus, Action::ListSessions],
            ),
            (
                Role::Reviewer,
                &[
                    Action::SessionStatus,
                    Action::ListSessions,
                    Action::ViewSession,
                    Action::FetchEvidence,
                    Action::Decide,
                ],
            ),
            (
                Role::Auditor,
                &[
                    Action::SessionStatus,
                    Action::ListSessions,
                    Action::ViewSession,
                    Action::FetchEvidence,
                    Action::ReadAccessLog,
                ],
            ),
            (
                Role::Admin,
                &[
                    Action::SessionStatus,
                    Action::ListSessions,
                    Action::ViewSession,
                    Action::FetchEvidence,
                    Action::ReadAccessLog,
                    Action::ManageRetention,
                ],
            ),
        ];
        for (role, allowed) in expected {
            for action in Action::ALL {
                let result = permit(*role, action);
                assert_eq!(
                    result.is_ok(),
                    allowed.contains(&action),
                    "{role:?} {action:?}"
                );
                if let Err(why) = result {
                    assert!(why.contains(role.as_str()), "{why}");
                    assert!(why.contains("it takes a"), "{why}");
                }
            }
        }
    }

    #[test]
    fn an_auditor_is_told_it_never_decides() {
        let why = permit(Role::Auditor, Action::Decide).unwrap_err();
        assert_eq!(
            why,
            "an auditor token may not decide (an auditor reads but never decides): it takes a reviewer token"
        );
    }
}
