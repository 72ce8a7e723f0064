#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::*;

/// Every scenario below, run on SQLite (one test each) and on PostgreSQL
/// (one server, a database each).
/// A test run on a fresh index.
type Scenario = fn(&Index);

const SCENARIOS: &[(&str, Scenario)] = &[
    (
        "uploads",
        uploads_add_up_per_session_and_listing_filters_them,
    ),
    (
        "decisions",
        a_session_is_reviewed_when_its_serious_events_have_a_decision_in_force,
    ),
    ("pages", pages_follow_the_session_ids),
    ("bound", a_filter_value_is_bound_never_spliced),
    ("chain", the_access_log_is_a_hash_chain_per_tenant),
    (
        "retention",
        the_retention_lets_go_only_closed_sessions_not_held_after_their_time,
    ),
];

#[test]
fn every_scenario_on_sqlite() {
    for (name, scenario) in SCENARIOS {
        eprintln!("sqlite: {name}");
        scenario(&Index::in_memory().unwrap());
    }
}

fn upload(session: &str, records: u64, sev: Option<Severity>, serious: u64, at: i64) -> Upload<'_> {
    Upload {
        tenant: "acme",
        session_id: session,
        exam_id: Some("physics"),
        records,
        ended: false,
        max_severity: sev,
        serious_events: serious,
        at,
    }
}

fn uploads_add_up_per_session_and_listing_filters_them(index: &Index) {
    index
        .record_upload(&upload("s-1", 10, Some(Severity::Low), 0, 100))
        .unwrap();
    index
        .record_upload(&upload("s-1", 30, Some(Severity::High), 2, 160))
        .unwrap();
    // A repeated or late call never makes a count go back.
    index
        .record_upload(&upload("s-1", 20, None, 1, 150))
        .unwrap();
    index
        .record_upload(&upload("s-2", 5, Some(Severity::Info), 0, 120))
        .unwrap();
    index
        .record_upload(&Upload {
            tenant: "other",
            ..upload("s-9", 5, Some(Severity::Critical), 1, 120)
        })
        .unwrap();
    let s1 = index.session("acme", "s-1").unwrap().unwrap();
    assert_eq!(
        (s1.records, s1.first_upload, s1.last_upload),
        (30, 100, 160)
    );
    assert_eq!(
        (s1.max_severity, s1.serious_events),
        (Some(Severity::High), 2)
    );
    assert_eq!(s1.review, ReviewState::PendingReview);
    let all = index.list("acme", &SessionFilter::default()).unwrap();
    assert_eq!(
        all.iter()
            .map(|s| s.session_id.as_str())
            .collect::<Vec<_>>(),
        ["s-1", "s-2"]
    );
    let pending = SessionFilter {
        review: Some(ReviewState::PendingReview),
        ..SessionFilter::default()
    };
    assert_eq!(index.list("acme", &pending).unwrap().len(), 1);
    let serious = SessionFilter {
        min_severity: Some(Severity::Medium),
        ..SessionFilter::default()
    };
    assert_eq!(index.list("acme", &serious).unwrap()[0].session_id, "s-1");
    let quiet = SessionFilter {
        review: Some(ReviewState::NothingToReview),
        ..SessionFilter::default()
    };
    assert_eq!(index.list("acme", &quiet).unwrap()[0].session_id, "s-2");
    // Another tenant's sessions never show.
    assert!(index.session("acme", "s-9").unwrap().is_none());
    assert_eq!(
        index
            .list("other", &SessionFilter::default())
            .unwrap()
            .len(),
        1
    );
}

fn a_session_is_reviewed_when_its_serious_events_have_a_decision_in_force(index: &Index) {
    index
        .record_upload(&upload("s-1", 50, Some(Severity::Critical), 2, 1))
        .unwrap();
    index
        .record_decision("acme", "s-1", 10, true, "confirmed", 0)
        .unwrap();
    // A low event's decision does not count; a second review keeps it pending.
    index
        .record_decision("acme", "s-1", 11, false, "dismissed", 1)
        .unwrap();
    index
        .record_decision("acme", "s-1", 12, true, "second_review", 2)
        .unwrap();
    let row = index.session("acme", "s-1").unwrap().unwrap();
    assert_eq!(
        (row.serious_decided, row.review),
        (1, ReviewState::PendingReview)
    );
    index
        .record_decision("acme", "s-1", 12, true, "dismissed", 3)
        .unwrap();
    // An earlier decision arriving late is not the one in force.
    index
        .record_decision("acme", "s-1", 12, true, "second_review", 2)
        .unwrap();
    let row = index.session("acme", "s-1").unwrap().unwrap();
    assert_eq!(
        (row.serious_decided, row.review),
        (2, ReviewState::Reviewed)
    );
}

fn pages_follow_the_session_ids(index: &Index) {
    for i in 0..25 {
        index
            .record_upload(&upload(&format!("s-{i:03}"), 1, None, 0, 1))
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = index
            .list(
                "acme",
                &SessionFilter {
                    after: after.clone(),
                    limit: Some(10),
                    ..SessionFilter::default()
                },
            )
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|s| s.session_id.clone());
        seen.extend(page.into_iter().map(|s| s.session_id));
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

fn a_filter_value_is_bound_never_spliced(index: &Index) {
    index.record_upload(&upload("s-1", 1, None, 0, 1)).unwrap();
    let hostile = SessionFilter {
        exam_id: Some("x' OR '1'='1".into()),
        ..SessionFilter::default()
    };
    assert!(index.list("acme", &hostile).unwrap().is_empty());
}

fn access(tenant: &str, at: i64, action: &str, target: &str, allowed: bool) -> NewAccess {
    NewAccess {
        tenant: tenant.into(),
        at,
        actor: "alice".into(),
        role: "reviewer".into(),
        action: action.into(),
        target: target.into(),
        allowed,
    }
}

fn the_access_log_is_a_hash_chain_per_tenant(index: &Index) {
    let first = access("acme", 10, "list_sessions", "{}", true);
    let second = access("acme", 11, "read_access_log", "from=0", false);
    let a = index.log_access(&first).unwrap();
    let b = index.log_access(&second).unwrap();
    let other = index
        .log_access(&access("other", 12, "view_session", "s-1", true))
        .unwrap();
    assert_eq!((a.seq, b.seq, other.seq), (0, 1, 0));
    assert_eq!(a.hash, first.chain_hash(&"0".repeat(64), 0));
    assert_eq!(b.hash, second.chain_hash(&a.hash, 1));
    assert!(!b.allowed);
    assert_eq!(index.access_log("acme", 0, 100).unwrap(), [a, b.clone()]);
    assert_eq!(index.access_log("acme", 1, 100).unwrap(), [b]);
}

#[test]
fn an_index_is_migrated_once_and_one_from_a_newer_backend_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("index.sqlite");
    let index = Index::open_sqlite(&path).unwrap();
    assert_eq!(
        index.schema_version().unwrap(),
        SQLITE_MIGRATIONS.len() as u32
    );
    index.record_upload(&upload("s-1", 1, None, 0, 1)).unwrap();
    drop(index);
    // Opened again: nothing re-applied, nothing lost.
    let index = Index::open_sqlite(&path).unwrap();
    assert_eq!(
        index.schema_version().unwrap(),
        SQLITE_MIGRATIONS.len() as u32
    );
    assert!(index.session("acme", "s-1").unwrap().is_some());
    drop(index);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let e = Index::open_sqlite(&path).unwrap_err();
    assert!(
        e.to_string().contains("newer than this backend knows"),
        "{e}"
    );
}

fn the_retention_lets_go_only_closed_sessions_not_held_after_their_time(index: &Index) {
    let ended = |session: &'static str, serious: u64, at: i64| Upload {
        ended: true,
        ..upload(session, 10, Some(Severity::High), serious, at)
    };
    index.record_upload(&ended("quiet", 0, 100)).unwrap(); // nothing to review: closed at its end
    index.record_upload(&ended("decided", 1, 100)).unwrap();
    index
        .record_decision("acme", "decided", 5, true, "dismissed", 0)
        .unwrap();
    index.record_upload(&ended("pending", 1, 100)).unwrap();
    index
        .record_upload(&upload("running", 10, None, 0, 100))
        .unwrap(); // not ended
    index.record_upload(&ended("held", 0, 100)).unwrap();
    assert!(index.set_hold("acme", "held", true).unwrap());
    assert!(!index.set_hold("acme", "nobody", true).unwrap());
    let row = index.session("acme", "quiet").unwrap().unwrap();
    assert_eq!(row.closed_at, Some(100));
    let far = crate::tokens::now_secs() + 10;
    let names = |v: Vec<(String, i64)>| v.into_iter().map(|(s, _)| s).collect::<Vec<_>>();
    assert_eq!(
        names(index.expired("acme", far, 0).unwrap()),
        ["decided", "quiet"]
    );
    // Kept a day: only what closed a day ago.
    assert_eq!(
        names(index.expired("acme", 100 + 86_399, 86_400).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        names(index.expired("acme", 100 + 86_400, 86_400).unwrap()),
        ["quiet"]
    );
    index.mark_deleted("acme", "quiet", 200).unwrap();
    assert_eq!(names(index.expired("acme", far, 0).unwrap()), ["decided"]);
    // A new serious event opens the review again: no longer closed.
    index.record_upload(&ended("decided", 2, 150)).unwrap();
    assert_eq!(
        index.session("acme", "decided").unwrap().unwrap().closed_at,
        None
    );
    index.set_retention("acme", Some(30)).unwrap();
    index.set_retention("other", Some(60)).unwrap();
    index.set_retention("other", None).unwrap();
    assert_eq!(index.retentions().unwrap(), [("acme".to_owned(), 30)]);
}

/// Two replicas' worth of connections appending to one tenant's access log
/// and deciding on one session at once: the log stays one unbroken chain
/// with no gap or repeat, and the decided count is exact.
fn replicas_append_in_turn(a: Arc<Index>, b: Arc<Index>) {
    a.record_upload(&upload("s-1", 50, Some(Severity::High), 40, 1))
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let index = Arc::clone(if t % 2 == 0 { &a } else { &b });
            std::thread::spawn(move || {
                for i in 0..10 {
                    let target = format!("t{t}-{i}");
                    index
                        .log_access(&access("acme", i, "view_session", &target, true))
                        .unwrap();
                    let event = t * 10 + i;
                    index
                        .record_decision("acme", "s-1", event as u64, event < 40, "dismissed", 0)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let log = b.access_log("acme", 0, 1000).unwrap();
    assert_eq!(log.len(), 80);
    let mut previous = "0".repeat(64);
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
        let again = NewAccess {
            tenant: "acme".into(),
            at: e.at,
            actor: e.actor.clone(),
            role: e.role.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            allowed: e.allowed,
        };
        assert_eq!(e.hash, again.chain_hash(&previous, e.seq));
        previous = e.hash.clone();
    }
    let row = a.session("acme", "s-1").unwrap().unwrap();
    assert_eq!(
        (row.serious_decided, row.review),
        (40, ReviewState::Reviewed)
    );
}

#[test]
fn replicas_sharing_a_sqlite_file_append_in_turn() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("index.sqlite");
    replicas_append_in_turn(
        Arc::new(Index::open_sqlite(&path).unwrap()),
        Arc::new(Index::open_sqlite(&path).unwrap()),
    );
}

#[test]
fn every_scenario_on_postgres_and_replicas_sharing_it() {
    if !paraakh_test_rig::postgres::Postgres::available() {
        paraakh_test_rig::skip("the PostgreSQL index: postgresql-15 is not installed");
        return;
    }
    let server = paraakh_test_rig::postgres::Postgres::start().unwrap();
    for (name, scenario) in SCENARIOS {
        eprintln!("postgres: {name}");
        let url = server.database(name).unwrap();
        scenario(&Index::open(&url).unwrap());
    }
    // Migrations: applied once by whichever replica comes first; the
    // second finds them done; a newer schema is refused.
    let url = server.database("replicas").unwrap();
    let (a, b) = std::thread::scope(|s| {
        let first = s.spawn(|| Index::open(&url).unwrap());
        let second = s.spawn(|| Index::open(&url).unwrap());
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(
        a.schema_version().unwrap(),
        POSTGRES_MIGRATIONS.len() as u32
    );
    assert_eq!(
        b.schema_version().unwrap(),
        POSTGRES_MIGRATIONS.len() as u32
    );
    replicas_append_in_turn(Arc::new(a), Arc::new(b));
    let newer = server.database("newer").unwrap();
    let index = Index::open(&newer).unwrap();
    index
        .tx(|tx| {
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)",
                &[],
            )
        })
        .unwrap();
    let e = Index::open(&newer).unwrap_err();
    assert!(
        e.to_string().contains("newer than this backend knows"),
        "{e}"
    );
    // A database that is not there: a message that says where and what to check.
    let e = Index::open(&server.url("nowhere")).unwrap_err().to_string();
    assert!(
        e.contains("cannot reach the index") && e.contains("/nowhere"),
        "{e}"
    );
}
