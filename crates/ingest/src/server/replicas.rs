//! Two replicas of the backend over one object store: appends to one
//! session through either — in turn, so each one's memory goes stale, and
//! at the same moment — leave one chain of record batches, every record
//! once, and a third replica reads the whole session back.

use object_store::local::LocalFileSystem;

use super::*;
use crate::log::batches::batch;
use crate::log::tests::{Session, session, tenant};

fn replica(data: &std::path::Path, store: &Arc<dyn ObjectStore>) -> Backend {
    Backend::new(
        BackendKeys::load(data).unwrap(),
        Arc::clone(store),
        900,
        Limits::default(),
    )
}

fn scope(session: &str) -> Scope {
    Scope {
        tenant: "acme".into(),
        session: session.into(),
        exam: Some("physics".into()),
    }
}

/// The batches stored for `scope` follow each other from 0 and hold the
/// first `held` records of `s` exactly once; a fresh replica loads them.
async fn one_chain(
    data: &std::path::Path,
    store: &Arc<dyn ObjectStore>,
    scope: &Scope,
    s: &Session,
    held: u64,
) {
    let fresh = replica(data, store);
    let batches = fresh.session_store(scope).record_batches().await.unwrap();
    let mut next = 0;
    let mut records = Vec::new();
    for (first, end, framed) in &batches {
        assert_eq!(*first, next, "batches {batches:?}");
        next = *end;
        records.extend(
            parse_all(framed, FileKind::Log)
                .0
                .into_iter()
                .map(|f| f.payload),
        );
    }
    assert_eq!(
        records,
        s.records[..held as usize],
        "every record once, in order"
    );
    let log = fresh.load(scope).await.unwrap();
    assert_eq!(log.size(), held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_through_two_replicas_in_turn_and_at_once_keep_one_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    BackendKeys::init(
        &data,
        "ingest.test",
        &["acme".to_owned()],
        Some(&tenant().public()),
    )
    .unwrap();
    let root = tmp.path().join("store");
    std::fs::create_dir_all(&root).unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(&root).unwrap());
    let (a, b) = (replica(&data, &store), replica(&data, &store));
    let s = session();
    let upto = s.checkpoints.len();
    assert!(upto >= 3, "the test session has {upto} checkpoints");

    // In turn: each batch through the other replica, so each finds its
    // memory behind the store and reads it again.
    let in_turn = scope("s-1");
    let mut first = 0;
    for i in 0..upto {
        let r = if i % 2 == 0 { &a } else { &b };
        first = r
            .checkpoints(&in_turn, batch(&s, first, i))
            .await
            .unwrap()
            .records;
    }
    // Everything under the last checkpoint (records after it are not sent).
    let signed = first;
    assert!(signed > 0 && signed <= s.records.len() as u64);
    // A resend of the first batch through either changes nothing (the
    // answer may be what that replica last knew: at least the batch, at
    // most what is stored).
    let first_batch = batch(&s, 0, 0).records.len() as u64;
    for r in [&a, &b] {
        let again = r.checkpoints(&in_turn, batch(&s, 0, 0)).await.unwrap();
        assert!((first_batch..=signed).contains(&again.records));
    }
    one_chain(&data, &store, &in_turn, &s, signed).await;

    // At once: the same batches reach both replicas together; one stores
    // each, the other has it already or is told to ask and send again
    // (409), as a client's retry does.
    let at_once = scope("s-2");
    let s2 = crate::log::tests::session_named("s-2");
    let mut first = 0;
    let mut conflicts = 0;
    for i in 0..upto {
        let (ra, rb) = tokio::join!(
            a.checkpoints(&at_once, batch(&s2, first, i)),
            b.checkpoints(&at_once, batch(&s2, first, i))
        );
        let mut held = Vec::new();
        for r in [ra, rb] {
            match r {
                Ok(answer) => held.push(answer.records),
                Err(IngestError::Conflict { .. }) => conflicts += 1,
                Err(e) => panic!("batch {i}: {e}"),
            }
        }
        assert!(!held.is_empty(), "batch {i}: neither replica stored it");
        first = held[0];
    }
    eprintln!(
        "{conflicts} of {upto} simultaneous appends lost the race and were told to send again"
    );
    one_chain(&data, &store, &at_once, &s2, first).await;
}
