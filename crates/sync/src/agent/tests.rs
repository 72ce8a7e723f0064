//! The agent against the reference backend (`paraakh-ingest`, in this
//! process on a free port): each outcome, and what is never touched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519, TenantPublicKey, TenantSecretKey};
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{SessionParams, SessionWriter, SystemClock};
use paraakh_ingest::{Backend, BackendKeys, Limits, open_store};

use super::*;

const TENANT: &str = "acme";
const EXAM: &str = "physics";

/// `paraakh-ingest` serving on a free port of loopback until dropped.
struct TestBackend {
    url: String,
    data: tempfile::TempDir,
    key: NoteVerifier,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestBackend {
    fn start(tenant_key: &TenantPublicKey) -> Self {
        let data = tempfile::tempdir().unwrap();
        BackendKeys::init(
            data.path(),
            "ingest.test",
            &[TENANT.to_owned()],
            Some(tenant_key),
        )
        .unwrap();
        let keys = BackendKeys::load(data.path()).unwrap();
        let key = keys.cosigner.verifier();
        let store = open_store(data.path(), None).unwrap();
        let backend = Arc::new(Backend::new(keys, store, 900, Limits::default()));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(paraakh_ingest::serve(backend, listener, async {
                    let _ = stopped.await;
                }))
                .unwrap();
        });
        Self {
            url,
            data,
            key,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// An upload token file for `session`, as `paraakh ingest token` writes it.
    fn token(&self, session: &str, out: &Path) -> PathBuf {
        let keys = BackendKeys::load(self.data.path()).unwrap();
        let store = open_store(self.data.path(), None).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let tokens = runtime
            .block_on(paraakh_ingest::tokens::issue(
                &keys, &store, TENANT, session, EXAM, 900, 86_400,
            ))
            .unwrap();
        let path = out.join(format!("token-{session}.json"));
        write_private(&path, &serde_json::to_vec(&tokens).unwrap()).unwrap();
        path
    }
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An installation's data directory, the tenant's evidence key, and a place for token files.
struct Install {
    data: tempfile::TempDir,
    tenant_key: TenantSecretKey,
}

impl Install {
    fn new() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            tenant_key: TenantSecretKey::generate("acme.example").unwrap(),
        }
    }

    fn tenant(&self) -> TenantDir {
        DataRoot::new(self.data.path()).tenant(TENANT).unwrap()
    }

    /// A finished session recorded offline into the data layout (one hour ago).
    fn record(&self, session: &str) -> PathBuf {
        let dir = self.tenant().session_dir(session).unwrap();
        let start = now_secs().saturating_sub(3600) as i64 * 1_000_000_000;
        let mut opts = SimulateOptions::new(self.tenant_key.public(), start);
        opts.offline = true;
        opts.events = 40;
        opts.blobs = 2;
        opts.blob_size = (100, 3000);
        opts.questions = 2;
        opts.checkpoint_every = 16;
        opts.clock_jump = false;
        opts.tenant_id = TENANT.into();
        opts.exam_id = EXAM.into();
        opts.session_id = Some(session.into());
        simulate(&dir, &opts).unwrap();
        dir
    }

    /// A session still open in a writer: one answer saved, one checkpoint signed.
    fn open_session(&self, session: &str) -> (PathBuf, SessionWriter) {
        let dir = self.tenant().session_dir(session).unwrap();
        let defaults = SimulateOptions::new(self.tenant_key.public(), 0);
        let params = SessionParams {
            session_id: session.into(),
            exam_id: EXAM.into(),
            tenant_id: TENANT.into(),
            policy_sha256: defaults.policy_sha256,
            client: defaults.client,
            tenant_key: self.tenant_key.public(),
            backend_key: None,
            statement: None,
        };
        let device = NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519).unwrap();
        let mut writer =
            SessionWriter::create(&dir, params, &device, Arc::new(SystemClock)).unwrap();
        writer.save_answer("q1", b"A").unwrap();
        writer.checkpoint().unwrap();
        (dir, writer)
    }
}

fn context(server: &str, tokens: &Path, key: Option<&NoteVerifier>, keep: u32) -> UploadContext {
    UploadContext {
        server: server.to_owned(),
        tokens: tokens.to_owned(),
        backend_key: key.cloned(),
        retention: Retention {
            keep_after_receipt_days: keep,
            alert_unsynced_after_days: 7,
        },
    }
}

fn options() -> AgentOptions {
    AgentOptions {
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            give_up_after: Duration::from_secs(1),
        },
        ..AgentOptions::default()
    }
}

fn run(install: &Install, opts: &AgentOptions) -> Vec<SessionOutcome> {
    let mut seen = 0;
    let out = sync_all(install.data.path(), opts, &mut |_| seen += 1).unwrap();
    assert_eq!(seen, out.len(), "every outcome is reported as it happens");
    out
}

fn only(outcomes: &[SessionOutcome], session: &str) -> SessionOutcome {
    outcomes
        .iter()
        .find(|o| o.session_id.as_deref() == Some(session))
        .unwrap_or_else(|| panic!("no outcome for {session}: {outcomes:#?}"))
        .clone()
}

/// Nothing listens on port 9 of loopback.
const NOBODY: &str = "http://127.0.0.1:9";

#[test]
fn the_context_is_private_beside_the_sessions_and_verify_does_not_see_it() {
    let install = Install::new();
    let dir = install.record("s-ctx");
    let tokens = install.data.path().join("t.json");
    let key = NoteSigner::generate("b", paraakh_evidence::keys::SIG_TYPE_COSIGNATURE_V1)
        .unwrap()
        .verifier();
    let ctx = context("https://exams.example/", &tokens, Some(&key), 30);
    let path = remember(&dir, &ctx).unwrap();
    assert_eq!(
        path,
        install.tenant().path().join("upload").join("s-ctx.json")
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let back = recall(&dir).unwrap().unwrap();
    assert_eq!(back.server, "https://exams.example");
    assert_eq!(back.backend_key, Some(key));
    assert_eq!(back.retention, ctx.retention);
    // The session directory holds nothing it did not hold before.
    let report =
        paraakh_evidence::verify(&dir, &paraakh_evidence::VerifyOptions::default()).unwrap();
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.kind == paraakh_evidence::FindingKind::UnexpectedFile),
        "{:?}",
        report.findings
    );
    // A relative token path is stored as an absolute one.
    let relative = context("http://b.example", Path::new("tokens.json"), None, 0);
    remember(&dir, &relative).unwrap();
    assert!(recall(&dir).unwrap().unwrap().tokens.is_absolute());
    // A directory outside a data layout has no place for one.
    let stray = tempfile::tempdir().unwrap();
    assert!(remember(stray.path(), &ctx).is_err());
    assert!(remember(&dir, &context("ftp://x", &tokens, None, 0)).is_err());
    forget(&dir).unwrap();
    assert_eq!(recall(&dir).unwrap(), None);
    forget(&dir).unwrap();
}

#[test]
fn a_session_without_upload_details_waits_and_is_never_deleted() {
    let install = Install::new();
    let dir = install.record("s-none");
    let before = std::fs::read(dir.join("log")).unwrap();
    let mut opts = options();
    // Even a year later.
    opts.now = Some(now_secs() + 365 * DAY_SECS);
    let out = run(&install, &opts);
    assert_eq!(out.len(), 1);
    let o = only(&out, "s-none");
    assert_eq!(o.state, State::Waiting);
    assert_eq!(o.waiting_for, Some(Wait::NoUploadDetails));
    assert!(
        o.reason.contains("started without a backend"),
        "{}",
        o.reason
    );
    assert_eq!(std::fs::read(dir.join("log")).unwrap(), before);
}

#[test]
fn an_unreachable_backend_leaves_sessions_waiting_offline_and_is_tried_once() {
    let install = Install::new();
    let tokens = install.data.path().join("t.json");
    std::fs::write(&tokens, r#"{"access_token":"x","expires_in":1}"#).unwrap();
    for s in ["s-off1", "s-off2"] {
        let dir = install.record(s);
        remember(&dir, &context(NOBODY, &tokens, None, 0)).unwrap();
    }
    let mut opts = options();
    // Recorded ten days ago as far as the policy's alert is concerned.
    opts.now = Some(now_secs() + 10 * DAY_SECS);
    let started = std::time::Instant::now();
    let out = run(&install, &opts);
    assert_eq!(out.len(), 2);
    for o in &out {
        assert_eq!(o.state, State::Waiting, "{o:#?}");
        assert_eq!(o.waiting_for, Some(Wait::Offline), "{o:#?}");
        assert!(o.reason.contains("could not be reached"), "{}", o.reason);
        assert!(o.alert, "overdue by the policy: {o:#?}");
        assert!(o.dir.join("log").exists());
    }
    assert!(out[1].reason.contains("in this run"), "{}", out[1].reason);
    // The second session did not wait for the same backend again.
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn a_refused_token_waits_with_the_reason() {
    let install = Install::new();
    let backend = TestBackend::start(&install.tenant_key.public());
    let dir = install.record("s-token");
    let tokens = install.data.path().join("t.json");
    // Not the backend's, and nothing to renew it with.
    std::fs::write(
        &tokens,
        r#"{"access_token":"eyJhbGciOiJFZERTQSJ9.e30.c2ln","expires_in":1}"#,
    )
    .unwrap();
    remember(&dir, &context(&backend.url, &tokens, Some(&backend.key), 0)).unwrap();
    let o = only(&run(&install, &options()), "s-token");
    assert_eq!(o.waiting_for, Some(Wait::TokenRefused), "{o:#?}");
    assert!(dir.join("log").exists());
    // A token file that is not there is bad upload details.
    remember(
        &dir,
        &context(
            &backend.url,
            &install.data.path().join("gone.json"),
            None,
            0,
        ),
    )
    .unwrap();
    let o = only(&run(&install, &options()), "s-token");
    assert_eq!(o.waiting_for, Some(Wait::BadUploadDetails), "{o:#?}");
}

#[test]
fn a_session_sent_completely_is_kept_until_its_date_then_deleted() {
    let install = Install::new();
    let backend = TestBackend::start(&install.tenant_key.public());
    let dir = install.record("s-keep");
    let tokens = backend.token("s-keep", install.data.path());
    let ctx_path = remember(
        &dir,
        &context(&backend.url, &tokens, Some(&backend.key), 30),
    )
    .unwrap();

    let before = now_secs();
    let o = only(&run(&install, &options()), "s-keep");
    let after = now_secs();
    assert_eq!(o.state, State::Kept, "{o:#?}");
    let report = o.report.as_ref().unwrap();
    assert!(report.complete && report.records_sent > 0 && report.blobs_sent == 2);
    assert!(report.receipt_stored);
    let dates = [
        utc_date(before + 30 * DAY_SECS),
        utc_date(after + 30 * DAY_SECS),
    ];
    assert!(
        dates.contains(o.delete_after.as_ref().unwrap()),
        "{:?} {dates:?}",
        o.delete_after
    );
    assert!(o.reason.contains("on or after"), "{}", o.reason);
    assert!(dir.join("log").exists());

    // 31 days on: nothing is sent again, and the copy goes.
    let mut later = options();
    later.now = Some(after + 31 * DAY_SECS);
    let o = only(&run(&install, &later), "s-keep");
    assert_eq!(o.state, State::Purged, "{o:#?}");
    assert_eq!(o.report.as_ref().unwrap().records_sent, 0);
    assert!(!dir.exists());
    assert!(!ctx_path.exists(), "the upload details went with it");
    assert!(run(&install, &later).is_empty());
}

#[test]
fn with_no_keep_period_a_session_is_sent_and_deleted_in_one_pass() {
    let install = Install::new();
    let backend = TestBackend::start(&install.tenant_key.public());
    let dir = install.record("s-zero");
    let tokens = backend.token("s-zero", install.data.path());
    // The backend's key is not pinned: it is fetched, and receipts are checked under it.
    remember(&dir, &context(&backend.url, &tokens, None, 0)).unwrap();
    let o = only(&run(&install, &options()), "s-zero");
    assert_eq!(o.state, State::Purged, "{o:#?}");
    assert!(
        o.reason.contains("the backend holds everything"),
        "{}",
        o.reason
    );
    assert!(!dir.exists());
}

#[test]
fn an_open_session_is_left_alone_and_an_unfinished_one_is_sent_but_kept() {
    let install = Install::new();
    let backend = TestBackend::start(&install.tenant_key.public());
    let (dir, writer) = install.open_session("s-live");
    let tokens = backend.token("s-live", install.data.path());
    remember(&dir, &context(&backend.url, &tokens, Some(&backend.key), 0)).unwrap();
    let files =
        |d: &Path| ["log", "checkpoints", "receipts"].map(|f| std::fs::read(d.join(f)).unwrap());
    let before = files(&dir);

    let o = only(&run(&install, &options()), "s-live");
    assert_eq!(o.waiting_for, Some(Wait::BeingRecorded), "{o:#?}");
    assert_eq!(o.report, None, "nothing was sent");
    assert_eq!(files(&dir), before, "the open session was not touched");

    // The app crashed: the session never ended. What is signed is sent;
    // the copy stays whatever the policy says, until the session is finished.
    drop(writer);
    let o = only(&run(&install, &options()), "s-live");
    assert_eq!(o.state, State::Sent, "{o:#?}");
    assert!(o.reason.contains("has not ended"), "{}", o.reason);
    assert!(o.report.as_ref().unwrap().records_sent > 0);
    assert!(dir.join("log").exists());
}

#[test]
fn a_session_filed_under_another_tenant_is_not_sent_from_there() {
    let install = Install::new();
    let dir = install.record("s-moved");
    let other = DataRoot::new(install.data.path()).tenant("other").unwrap();
    let moved = other.session_dir("s-moved").unwrap();
    std::fs::rename(&dir, &moved).unwrap();
    let tokens = install.data.path().join("t.json");
    remember(&moved, &context(NOBODY, &tokens, None, 0)).unwrap();
    let o = only(&run(&install, &options()), "s-moved");
    assert_eq!(o.tenant, "other");
    assert_eq!(o.waiting_for, Some(Wait::Unreadable), "{o:#?}");
    assert!(o.reason.contains("tenant \"acme\""), "{}", o.reason);
}

#[test]
fn dates_are_utc_calendar_days() {
    assert_eq!(utc_date(0), "1970-01-01");
    assert_eq!(utc_date(951_782_400), "2000-02-29");
    assert_eq!(utc_date(1_790_000_000), "2026-09-21");
    assert_eq!(utc_date(4_102_444_799), "2099-12-31");
}
