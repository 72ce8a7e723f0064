//! `paraakh sync` against `paraakh ingest serve`, as real processes: a
//! session recorded offline, the backend started later, uploads through a
//! network that cuts, delays and refuses, a backend killed and restarted
//! mid-upload, and tokens that expire or belong to someone else. After each,
//! the backend's copy must verify with every record under a receipt, and the
//! store must hold every record and blob exactly once.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use paraakh_test_rig::proxy::{FaultPlan, FaultProxy};

use super::{BIN, json, p, paraakh, stderr};

/// `paraakh ingest serve` on a free port; killed when dropped.
pub(super) struct Backend {
    child: Child,
    pub(super) addr: SocketAddr,
}

impl Backend {
    pub(super) fn start(data: &Path) -> Self {
        Self::start_with(data, &[])
    }

    /// With extra arguments (`--store URL`); S3 settings come from [`S3Server::env_of`].
    /// Both tenants' evidence key is the key set beside `data` (`tenant-keys`).
    pub(super) fn start_with(data: &Path, extra: &[&str]) -> Self {
        Self::start_on(data, "127.0.0.1:0", extra)
    }

    /// On a given address (a replica restarted where its load balancer
    /// sends it requests).
    pub(super) fn start_on(data: &Path, listen: &str, extra: &[&str]) -> Self {
        let keys = tenant_keys(data.parent().unwrap());
        let mut child = Command::new(BIN)
            .args(["ingest", "serve", "--data", p(data), "--listen", listen])
            .args(["--tenant", "acme", "--tenant", "other"])
            .args(["--encryption-key", p(&keys.join("encryption.pub"))])
            .args(extra)
            .envs(S3Server::env_of(extra))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("the backend did not print its address: {line:?}"));
        Self { child, addr }
    }

    pub(super) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no chance to finish anything.
    pub(super) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// s3s-fs, a real S3-compatible server (crates.io), on a free port.
pub(super) struct S3Server {
    child: Child,
    pub(super) port: u16,
}

thread_local! {
    static S3_PORT: std::cell::Cell<u16> = const { std::cell::Cell::new(0) };
}

impl S3Server {
    pub(super) fn start(root: &Path) -> Option<Self> {
        let Some(bin) = std::env::var_os("PARAAKH_S3S_FS") else {
            paraakh_test_rig::skip("PARAAKH_S3S_FS not set (./scripts/test installs s3s-fs)");
            return None;
        };
        // The bucket is a directory of the server's root.
        std::fs::create_dir_all(root.join("evidence")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                "paraakh-test",
                "--secret-key",
                "paraakh-test-secret",
            ])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        S3_PORT.with(|p| p.set(port));
        Some(Self { child, port })
    }

    /// The `AWS_*` settings for a command whose arguments use an `s3://` store.
    pub(super) fn env_of(args: &[&str]) -> Vec<(&'static str, String)> {
        if !args.iter().any(|a| a.contains("s3://")) {
            return Vec::new();
        }
        let port = S3_PORT.with(std::cell::Cell::get);
        vec![
            ("AWS_ENDPOINT", format!("http://127.0.0.1:{port}")),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "paraakh-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "paraakh-test-secret".into()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.port;
    }
}

/// The tenant's key set (`tmp/tenant-keys`), made the first time.
pub(super) fn tenant_keys(tmp: &Path) -> PathBuf {
    let keys = tmp.join("tenant-keys");
    if !keys.exists() {
        let out = paraakh(&["keys", "generate", "--out", p(&keys)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    keys
}

/// A session recorded with no backend at all: tenant `acme`, exam `physics`.
pub(super) fn offline_session(tmp: &Path, session: &str, blobs: u32, blob_size: &str) -> PathBuf {
    record(tmp, session, blobs, blob_size, &[])
}

/// A session the backend bound to the computer before it started (its
/// statement is in the session), then recorded without the network and
/// uploaded later: every record can be witnessed.
pub(super) fn joined_session(
    tmp: &Path,
    backend: &Backend,
    data: &Path,
    session: &str,
    blobs: u32,
    blob_size: &str,
) -> PathBuf {
    let tokens = token(data, tmp, "acme", session);
    record(
        tmp,
        session,
        blobs,
        blob_size,
        &[
            "--server",
            &backend.url(),
            "--tokens",
            p(&tokens),
            "--backend-key",
            p(&data.join("backend.pub")),
        ],
    )
}

pub(super) fn record(
    tmp: &Path,
    session: &str,
    blobs: u32,
    blob_size: &str,
    extra: &[&str],
) -> PathBuf {
    record_as(tmp, "acme", session, blobs, blob_size, extra)
}

/// A session of `tenant` (exam `physics`), recorded as [`record`] does.
pub(super) fn record_as(
    tmp: &Path,
    tenant: &str,
    session: &str,
    blobs: u32,
    blob_size: &str,
    extra: &[&str],
) -> PathBuf {
    let key = tenant_keys(tmp).join("encryption.pub");
    let dir = tmp.join(session);
    let blobs = blobs.to_string();
    let mut args = vec![
        "session",
        "simulate",
        "--offline",
        "--out",
        p(&dir),
        "--tenant",
        tenant,
        "--exam",
        "physics",
        "--session-id",
        session,
        "--tenant-key",
        p(&key),
        "--blobs",
        &blobs,
        "--blob-size",
        blob_size,
        "--events",
        "300",
        "--checkpoint-every",
        "40",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = paraakh(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["receipts"],
        0,
        "an offline session has no receipts"
    );
    dir
}

pub(super) fn token(data: &Path, tmp: &Path, tenant: &str, session: &str) -> PathBuf {
    let path = tmp.join(format!("token-{tenant}-{session}.json"));
    let out = paraakh(&[
        "ingest",
        "token",
        "--data",
        p(data),
        "--tenant",
        tenant,
        "--session",
        session,
        "--exam",
        "physics",
        "--out",
        p(&path),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    path
}

pub(super) fn sync(dir: &Path, url: &str, tokens: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "sync",
        p(dir),
        "--server",
        url,
        "--tokens",
        p(tokens),
        "--json",
    ];
    args.extend_from_slice(extra);
    paraakh(&args)
}

pub(super) fn records_in(dir: &Path) -> u64 {
    let out = paraakh(&["verify", p(dir), "--json"]);
    json(&out)["records"].as_u64().unwrap()
}

/// `paraakh ingest export` of session `session` of tenant `acme` into `out`.
pub(super) fn export(data: &Path, session: &str, out: &Path) {
    let done = paraakh(&[
        "ingest",
        "export",
        "--data",
        p(data),
        "--tenant",
        "acme",
        "--session",
        session,
        "--out",
        p(out),
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
}

/// Who vouches for a session the backend holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Vouched {
    /// The backend bound the device before the start and cosigned everything.
    Witnessed,
    /// Recorded before the backend knew of it: cosigned, but only the
    /// candidate's machine vouches for what it recorded.
    MachineOnly,
}

/// Exports the backend's copy and verifies it under the pinned backend key:
/// every record covered by a receipt, witnessed or (for a session recorded
/// before the backend knew of it) intact once machine-attested is accepted.
fn backend_copy_verifies(data: &Path, tmp: &Path, session: &str, records: u64, vouched: Vouched) {
    let copy = tmp.join(format!("copy-{session}"));
    export(data, session, &copy);
    let (backend_key, tenant_key) = (
        data.join("backend.pub"),
        tmp.join("tenant-keys/encryption.key"),
    );
    let args = [
        "verify",
        p(&copy),
        "--backend-key",
        p(&backend_key),
        "--tenant-key",
        p(&tenant_key),
        "--json",
    ];
    let report = json(&paraakh(&args));
    assert_eq!(report["records"], records);
    assert_eq!(report["receipts"]["cosigned_size"], records, "{report:#}");
    match vouched {
        Vouched::Witnessed => {
            assert_eq!(report["status"], "intact", "{report:#}");
            assert_eq!(report["trust"]["device_key_bound"], true, "{report:#}");
            assert_eq!(
                report["client_attested_only"],
                serde_json::Value::Null,
                "{report:#}"
            );
        }
        Vouched::MachineOnly => {
            assert_eq!(report["status"], "not_witnessed", "{report:#}");
            assert_eq!(
                report["trust"]["parts"][0]["vouched_by"],
                "machine_attested"
            );
            let accepted = json(&paraakh(
                &[&args[..], &["--accept-machine-attested"]].concat(),
            ));
            assert_eq!(accepted["status"], "intact", "{accepted:#}");
        }
    }
}

/// The newest receipt the client stored is, byte for byte, one the backend issued.
fn receipts_match(local_session: &Path, copy: &Path) {
    let payloads = |path: &Path| -> Vec<Vec<u8>> {
        use paraakh_evidence::frame::{FileKind, parse_all};
        let (frames, _) = parse_all(&std::fs::read(path).unwrap(), FileKind::Receipts);
        frames.into_iter().map(|f| f.payload).collect()
    };
    let local = payloads(&local_session.join("receipts"));
    let issued = payloads(&copy.join("receipts"));
    let newest = local.last().expect("the client stored no receipt");
    assert!(
        issued.contains(newest),
        "the client's receipt is not one the backend issued"
    );
}

/// Every record and blob is stored exactly once: record batches follow each
/// other without overlap, one file per blob, no upload parts left behind.
fn stored_exactly_once(data: &Path, session: &str, records: u64, blobs: usize) {
    let root = data.join("store/tenants/acme/sessions").join(session);
    // Each batch is `records/<first>`, holding the records from there.
    let mut batches: Vec<(u64, u64)> = std::fs::read_dir(root.join("records"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let first: u64 = e.file_name().into_string().unwrap().parse().unwrap();
            let bytes = std::fs::read(e.path()).unwrap();
            let (frames, err) =
                paraakh_evidence::frame::parse_all(&bytes, paraakh_evidence::frame::FileKind::Log);
            assert!(err.is_none(), "a damaged batch at {first}: {err:?}");
            (first, first + frames.len() as u64)
        })
        .collect();
    batches.sort_unstable();
    let mut next = 0;
    for (first, end) in &batches {
        assert_eq!(
            *first, next,
            "record batches overlap or leave a gap: {batches:?}"
        );
        next = *end;
    }
    assert_eq!(next, records);
    // (A file system store's half-written object, from a kill mid-write,
    // has a '#' in its name and is never listed as an object.)
    let complete = std::fs::read_dir(root.join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().contains('#'))
        .count();
    assert_eq!(complete, blobs);
    let leftover = root.join("uploads");
    let parts = if leftover.exists() {
        walk(&leftover)
    } else {
        Vec::new()
    };
    assert!(parts.is_empty(), "upload parts left behind: {parts:?}");
}

pub(super) fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

pub(super) fn report(out: &std::process::Output) -> serde_json::Value {
    let doc = json(out);
    doc["sessions"][0]["report"].clone()
}

#[test]
fn a_session_recorded_offline_is_synced_later_and_the_backends_copy_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = offline_session(tmp.path(), "s-offline", 8, "1000-400000");
    let records = records_in(&dir);
    let data = tmp.path().join("backend");
    // The backend exists only now, after the exam.
    let backend = Backend::start(&data);
    let tokens = token(&data, tmp.path(), "acme", "s-offline");

    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = report(&out);
    assert_eq!(first["complete"], true, "{first:#}");
    assert_eq!(first["records_sent"], records);
    assert_eq!(first["blobs_sent"], 8);
    assert_eq!(first["bytes_resent"], 0);
    assert_eq!(first["receipt_stored"], true);
    assert_eq!(first["cosigned_size"], records);

    // Nothing acknowledged is sent again.
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = report(&out);
    assert_eq!(second["records_sent"], 0);
    assert_eq!(second["blobs_sent"], 0);
    assert_eq!(second["bytes_sent"], 0);

    // Recorded before the backend knew of it: cosigned, bound to its device
    // key from the first upload, but only the machine vouches for its content.
    backend_copy_verifies(
        &data,
        tmp.path(),
        "s-offline",
        records,
        Vouched::MachineOnly,
    );
    stored_exactly_once(&data, "s-offline", records, 8);
    // The local copy now holds the receipt too, checked under the pinned key.
    let out = paraakh(&[
        "verify",
        p(&dir),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--accept-machine-attested",
        "--json",
    ]);
    let local = json(&out);
    assert_eq!(local["status"], "intact", "{local:#}");
    assert_eq!(local["receipts"]["cosigned_size"], records);

    // The protocol's description is served by the backend itself.
    let served = std::process::Command::new("curl")
        .args(["-sf", &format!("{}/openapi.yaml", backend.url())])
        .output();
    if let Ok(served) = served {
        let ours = std::fs::read(super::repo_file("docs/openapi.yaml")).unwrap();
        assert_eq!(served.stdout, ours);
    }
}

#[test]
fn a_bad_network_loses_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let dir = joined_session(tmp.path(), &backend, &data, "s-faults", 12, "20000-700000");
    let records = records_in(&dir);
    let proxy = FaultProxy::start(backend.addr, FaultPlan::mixed(7)).unwrap();
    let tokens = tmp.path().join("token-acme-s-faults.json");

    let chunk = 64 << 10;
    let out = sync(
        &dir,
        &proxy.url(),
        &tokens,
        &["--chunk-size", &chunk.to_string(), "--give-up-after", "300"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = report(&out);
    assert_eq!(r["complete"], true, "{r:#}");
    let stats = proxy.stats();
    use std::sync::atomic::Ordering::Relaxed;
    let (cut_req, cut_resp, unavailable) = (
        stats.cut_requests.load(Relaxed),
        stats.cut_responses.load(Relaxed),
        stats.unavailable.load(Relaxed),
    );
    eprintln!(
        "faults: {} connections, {cut_req} requests cut, {cut_resp} responses cut, {} delayed, {unavailable} answered 503; report {r}",
        stats.connections.load(Relaxed),
        stats.delayed.load(Relaxed),
    );
    assert!(
        cut_req > 0 && cut_resp > 0 && unavailable > 0,
        "the proxy injected too few faults"
    );
    // Each interrupted request re-sends at most what it carried: one chunk
    // of a blob, or one batch of records.
    let retries = r["retries"].as_u64().unwrap();
    assert!(retries > 0);
    assert!(r["bytes_resent"].as_u64().unwrap() <= retries * (4 << 20));

    backend_copy_verifies(&data, tmp.path(), "s-faults", records, Vouched::Witnessed);
    receipts_match(&dir, &tmp.path().join("copy-s-faults"));
    stored_exactly_once(&data, "s-faults", records, 12);
    drop(proxy);
}

#[test]
fn the_backend_killed_mid_upload_and_restarted_loses_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let dir = joined_session(
        tmp.path(),
        &backend,
        &data,
        "s-restart",
        16,
        "500000-2000000",
    );
    let records = records_in(&dir);
    let proxy = FaultProxy::start(backend.addr, FaultPlan::none()).unwrap();
    let tokens = tmp.path().join("token-acme-s-restart.json");

    let child = Command::new(BIN)
        .args([
            "sync",
            p(&dir),
            "--server",
            &proxy.url(),
            "--tokens",
            p(&tokens),
        ])
        .args(["--chunk-size", "65536", "--give-up-after", "120", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until blob parts are arriving, then kill the backend mid-blob.
    let uploads = data.join("store/tenants/acme/sessions/s-restart/uploads");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !uploads.exists() || walk(&uploads).is_empty() {
        assert!(Instant::now() < deadline, "no blob upload started");
        std::thread::sleep(Duration::from_millis(2));
    }
    backend.kill();
    std::thread::sleep(Duration::from_millis(300));
    let restarted = Backend::start(&data);
    proxy.set_upstream(restarted.addr);

    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = report(&out);
    assert_eq!(r["complete"], true, "{r:#}");
    assert!(
        r["retries"].as_u64().unwrap() > 0,
        "the kill was not noticed: {r:#}"
    );
    eprintln!("restart: {r}");
    // Each repeated request re-sends at most the chunk it carried: the
    // upload resumes from the offset the restarted backend holds.
    let retries = r["retries"].as_u64().unwrap();
    assert!(
        r["bytes_resent"].as_u64().unwrap() <= retries * 65536,
        "{r:#}"
    );
    backend_copy_verifies(&data, tmp.path(), "s-restart", records, Vouched::Witnessed);
    receipts_match(&dir, &tmp.path().join("copy-s-restart"));
    stored_exactly_once(&data, "s-restart", records, 16);
}

#[test]
fn an_expired_token_is_renewed_and_tokens_of_others_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = offline_session(tmp.path(), "s-tokens", 2, "1000-5000");
    let records = records_in(&dir);
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);

    // A token for another session, and one of another tenant, change nothing.
    let wrong_session = token(&data, tmp.path(), "acme", "s-elsewhere");
    let out = sync(&dir, &backend.url(), &wrong_session, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("covers one session only"),
        "{}",
        stderr(&out)
    );
    let other_tenant = token(&data, tmp.path(), "other", "s-tokens");
    let out = sync(&dir, &backend.url(), &other_tenant, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("of tenant \"acme\""),
        "{}",
        stderr(&out)
    );
    assert!(!data.join("store/tenants/other/sessions").exists());

    // An access token the server no longer accepts is renewed with the
    // refresh token, and the renewed one is kept in the token file.
    let tokens = token(&data, tmp.path(), "acme", "s-tokens");
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
    file["access_token"] = "eyJhbGciOiJFZERTQSJ9.e30.c2ln".into();
    std::fs::write(&tokens, file.to_string()).unwrap();
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report(&out)["cosigned_size"], records);
    let renewed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
    assert_ne!(renewed["access_token"], file["access_token"]);
    assert_eq!(renewed["refresh_token"], file["refresh_token"]);
    // The renewed file still holds the refresh token: it stays owner-only.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&tokens).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the renewed token file is readable by others");

    // Without a refresh token, a refused access token is a clear error.
    let mut bare = renewed.clone();
    bare["access_token"] = "eyJhbGciOiJFZERTQSJ9.e30.c2ln".into();
    bare.as_object_mut().unwrap().remove("refresh_token");
    std::fs::write(&tokens, bare.to_string()).unwrap();
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no refresh token"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreachable_server_is_a_clear_error_that_keeps_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = offline_session(tmp.path(), "s-away", 1, "1000-2000");
    let before = std::fs::read(dir.join("log")).unwrap();
    let tokens = tmp.path().join("t.json");
    std::fs::write(&tokens, r#"{"access_token":"x","expires_in":1}"#).unwrap();
    // Nothing listens on port 9 of loopback.
    let out = sync(
        &dir,
        "http://127.0.0.1:9",
        &tokens,
        &["--give-up-after", "2"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("could not be reached") && err.contains("continues where this one stopped"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("log")).unwrap(), before);
}

#[test]
fn purge_deletes_only_what_the_backend_holds_and_the_policy_lets_go() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = offline_session(tmp.path(), "s-purge", 2, "1000-5000");
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let tokens = token(&data, tmp.path(), "acme", "s-purge");

    // Under the standard policy the copy stays 30 days after the receipt.
    let out = sync(
        &dir,
        &backend.url(),
        &tokens,
        &["--purge", "--preset", "standard"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    let retention = &doc["sessions"][0]["retention"];
    assert_eq!(retention["action"], "keep", "{doc:#}");
    assert!(retention["reason"].as_str().unwrap().contains("30 days"));
    assert!(dir.join("log").exists());

    // A tenant policy that keeps nothing after the receipt: deleted.
    let policy = tmp.path().join("policy.toml");
    std::fs::write(
        &policy,
        "preset = \"standard\"\nname = \"No local copies\"\n[retention]\nkeep_after_receipt_days = 0\n",
    )
    .unwrap();
    let out = sync(
        &dir,
        &backend.url(),
        &tokens,
        &["--purge", "--policy", p(&policy)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["sessions"][0]["retention"]["action"], "purge");
    assert!(!dir.exists(), "the session was not deleted");
    // The backend still has all of it.
    let probe = tmp.path().join("probe");
    export(&data, "s-purge", &probe);
    let records = records_in(&probe);
    backend_copy_verifies(&data, tmp.path(), "s-purge", records, Vouched::MachineOnly);
}

/// Online: the engine uploads after each checkpoint, records the receipts
/// in the log, and after the end the final checkpoint is cosigned too.
#[cfg(feature = "check")]
#[test]
fn an_online_session_is_uploaded_while_it_runs_with_receipts_in_its_log() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = tenant_keys(t);
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let tokens = token(&data, t, "acme", "s-online");
    let commands = t.join("commands.jsonl");
    std::fs::write(
        &commands,
        concat!(
            r#"{"save_answer":{"question":"q1","answer":"A"}}"#,
            "\n",
            r#"{"sleep":3.5}"#,
            "\n",
            r#"{"save_answer":{"question":"q2","answer":"B"}}"#,
            "\n",
            r#"{"sleep":1.5}"#,
            "\n",
            r#"{"submit":true}"#,
            "\n",
        ),
    )
    .unwrap();
    let dir = t.join("s-online");
    let out = paraakh(&[
        "session",
        "run",
        "--out",
        p(&dir),
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--session-id",
        "s-online",
        "--device-key",
        p(&t.join("device.key")),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--no-detection",
        "--no-lockdown",
        "--checkpoint-every",
        "1",
        "--commands",
        p(&commands),
        "--server",
        &backend.url(),
        "--tokens",
        p(&tokens),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"uploaded\""), "{stdout}");
    // Receipts arrived during the session and are referenced by the log.
    let log = std::fs::read(dir.join("log")).unwrap();
    assert!(
        log.windows(16).any(|w| w == b"\"type\":\"receipt\""),
        "no receipt record in the log"
    );
    let records = records_in(&dir);
    // The local copy: every record under a receipt of the pinned backend
    // key, recorded by the device key its statement binds.
    let out = paraakh(&[
        "verify",
        p(&dir),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--json",
    ]);
    let local = json(&out);
    assert_eq!(local["status"], "intact", "{local:#}");
    assert_eq!(local["receipts"]["cosigned_size"], records, "{local:#}");
    assert_eq!(local["trust"]["statement"]["event"], "start", "{local:#}");
    // The backend's copy verifies the same way.
    backend_copy_verifies(&data, t, "s-online", records, Vouched::Witnessed);
}

#[test]
fn the_backend_on_a_real_s3_server_stores_everything_once() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(s3) = S3Server::start(&tmp.path().join("s3")) else {
        return;
    };
    let dir = offline_session(tmp.path(), "s-s3", 6, "100000-1500000");
    let records = records_in(&dir);
    let data = tmp.path().join("backend");
    let store = ["--store", "s3://evidence/prod"];
    let backend = Backend::start_with(&data, &store);
    // Tokens are issued against the same store (the refresh grant lives there).
    let tokens = tmp.path().join("token.json");
    let out = Command::new(BIN)
        .args([
            "ingest",
            "token",
            "--data",
            p(&data),
            "--tenant",
            "acme",
            "--session",
            "s-s3",
        ])
        .args(["--exam", "physics", "--out", p(&tokens)])
        .args(store)
        .envs(S3Server::env_of(&store))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The access token is refused once, so the refresh goes through S3 too.
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
    file["access_token"] = "eyJhbGciOiJFZERTQSJ9.e30.c2ln".into();
    std::fs::write(&tokens, file.to_string()).unwrap();
    let out = sync(&dir, &backend.url(), &tokens, &["--chunk-size", "262144"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report(&out)["complete"], true);

    // Export from the S3 store and verify: intact, every record under a receipt.
    let copy = tmp.path().join("copy");
    let out = Command::new(BIN)
        .args([
            "ingest",
            "export",
            "--data",
            p(&data),
            "--tenant",
            "acme",
            "--session",
            "s-s3",
        ])
        .args(["--out", p(&copy)])
        .args(store)
        .envs(S3Server::env_of(&store))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // (Recorded before the backend knew of it: machine-attested, accepted here.)
    let out = paraakh(&[
        "verify",
        p(&copy),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--accept-machine-attested",
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(report["status"], "intact", "{report:#}");
    assert_eq!(report["receipts"]["cosigned_size"], records);
    // Objects live in the S3 server's bucket, under the prefix, each once.
    let root = tmp
        .path()
        .join("s3/evidence/prod/tenants/acme/sessions/s-s3");
    let blobs: Vec<_> = std::fs::read_dir(root.join("blobs"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(blobs.len(), 6);
    assert!(
        !data.join("store").exists(),
        "nothing went to the local store"
    );
    // Evidence leaves through the S3 server's own presigned URLs.
    let out = Command::new(BIN)
        .args(["ingest", "token", "--data", p(&data), "--tenant", "acme"])
        .args(["--role", "reviewer", "--subject", "alice@acme.example"])
        .args(store)
        .envs(S3Server::env_of(&store))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let reviewer = json(&out)["access_token"].as_str().unwrap().to_owned();
    let blob = &blobs[0];
    let name = blob.file_name().to_string_lossy().into_owned();
    let client = super::join::client();
    let signed: serde_json::Value = client
        .post(format!(
            "{}/v1/review/sessions/s-s3/evidence/{name}",
            backend.url()
        ))
        .bearer_auth(&reviewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let url = signed["url"].as_str().unwrap();
    let port = S3_PORT.with(std::cell::Cell::get);
    assert!(
        url.starts_with(&format!(
            "http://127.0.0.1:{port}/evidence/prod/tenants/acme/"
        )),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Expires=120") && url.contains("X-Amz-Signature="),
        "{url}"
    );
    let res = client.get(url).send().unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(
        res.bytes().unwrap().as_ref(),
        std::fs::read(blob.path()).unwrap()
    );
    // Altered: the store refuses it.
    let altered = url.replace("X-Amz-Expires=120", "X-Amz-Expires=99999");
    assert_eq!(
        client.get(&altered).send().unwrap().status(),
        reqwest::StatusCode::FORBIDDEN
    );
    drop(backend);
    drop(s3);
}

/// Upload figures for docs/benchmarks.md, in a release build:
/// `cargo test --release -p paraakh-cli --test cli upload_figures -- --ignored --nocapture`
#[test]
#[ignore = "a benchmark: run it in release with --ignored --nocapture"]
fn upload_figures() {
    use std::sync::atomic::Ordering::Relaxed;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = offline_session(t, "s-bench", 100, "1500000-2500000");
    let size: u64 = walk(&dir).iter().map(|f| f.metadata().unwrap().len()).sum();

    // Throughput over loopback, straight to the backend.
    let data = t.join("b1");
    let backend = Backend::start(&data);
    let tokens = token(&data, t, "acme", "s-bench");
    let started = Instant::now();
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    let secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = report(&out)["bytes_sent"].as_u64().unwrap();
    println!(
        "upload: {:.1} MB session, {:.1} MB sent in {secs:.2} s = {:.0} MB/s over loopback",
        size as f64 / 1e6,
        sent as f64 / 1e6,
        sent as f64 / 1e6 / secs
    );
    drop(backend);

    // Bytes on the wire for an uninterrupted upload through the proxy ...
    let wire = |name: &str, interrupt: bool| -> u64 {
        let data = t.join(name);
        let backend = Backend::start(&data);
        let proxy = FaultProxy::start(backend.addr, FaultPlan::none()).unwrap();
        let tokens = token(&data, t, "acme", "s-bench");
        if interrupt {
            let child = Command::new(BIN)
                .args([
                    "sync",
                    p(&dir),
                    "--server",
                    &proxy.url(),
                    "--tokens",
                    p(&tokens),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let blobs = data.join("store/tenants/acme/sessions/s-bench/blobs");
            while !blobs.exists() || std::fs::read_dir(&blobs).unwrap().count() < 40 {
                std::thread::sleep(Duration::from_millis(1));
            }
            // A few milliseconds later, in the middle of a chunk (1 MiB
            // takes about 8 ms on loopback).
            std::thread::sleep(Duration::from_millis(4));
            let mut child = child;
            child.kill().unwrap();
            child.wait().unwrap();
        }
        let out = sync(&dir, &proxy.url(), &tokens, &[]);
        assert!(
            out.status.success(),
            "{:?}: {}{}",
            out.status,
            stderr(&out),
            String::from_utf8_lossy(&out.stdout)
        );
        proxy.stats().bytes_up.load(Relaxed)
    };
    // ... and for one whose client is killed (SIGKILL) mid-blob and started again.
    let whole = wire("b2", false);
    let interrupted = wire("b3", true);
    println!(
        "resume: {:.1} MB on the wire uninterrupted, {:.1} MB with a SIGKILL and a restart: {} bytes sent again (chunk 1,048,576)",
        whole as f64 / 1e6,
        interrupted as f64 / 1e6,
        interrupted.saturating_sub(whole)
    );
}

/// Retention on a real S3 server: the sweep deletes exactly the sessions
/// whose review closed and that no legal hold keeps, records each deletion
/// in the access log, and a deleted session is not taken again.
#[test]
fn retention_deletes_exactly_the_closed_sessions_not_held_on_a_real_s3_server() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(s3) = S3Server::start(&t.join("s3")) else {
        return;
    };
    let data = t.join("backend");
    let store = ["--store", "s3://evidence/prod"];
    let backend = Backend::start_with(&data, &store);
    let url = backend.url();
    let ingest = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["ingest"])
            .args(args)
            .args(["--data", p(&data)])
            .args(store)
            .envs(S3Server::env_of(&store))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    };
    let staff = |role: &str| {
        let out = ingest(&[
            "token",
            "--tenant",
            "acme",
            "--role",
            role,
            "--subject",
            &format!("{role}@acme.example"),
        ]);
        json(&out)["access_token"].as_str().unwrap().to_owned()
    };
    let (reviewer, admin, auditor) = (staff("reviewer"), staff("admin"), staff("auditor"));
    let client = super::join::client();
    let mut token_files = Vec::new();
    for session in ["s-r1", "s-r2", "s-r3"] {
        let dir = offline_session(t, session, 2, "100-2000");
        let tokens = t.join(format!("token-{session}.json"));
        ingest(&[
            "token",
            "--tenant",
            "acme",
            "--session",
            session,
            "--exam",
            "physics",
            "--out",
            p(&tokens),
        ]);
        let out = sync(&dir, &url, &tokens, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        token_files.push((dir, tokens));
        if session == "s-r3" {
            continue; // left pending review
        }
        let report = json(&paraakh(&[
            "verify",
            p(&t.join(session)),
            "--accept-machine-attested",
            "--json",
        ]));
        for seq in report["review"]["pending"].as_array().unwrap() {
            let res = client
                .post(format!("{url}/v1/review/sessions/{session}/decisions"))
                .bearer_auth(&reviewer)
                .json(&serde_json::json!({"event_seq": seq, "verdict": "dismissed"}))
                .send()
                .unwrap();
            assert!(res.status().is_success(), "{}", res.text().unwrap());
        }
    }
    // A legal hold on s-r2 (an admin's; a reviewer may not).
    let hold = format!("{url}/v1/review/sessions/s-r2/hold");
    assert_eq!(
        client
            .put(&hold)
            .bearer_auth(&reviewer)
            .send()
            .unwrap()
            .status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let held: serde_json::Value = client
        .put(&hold)
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(held["held"], true, "{held}");
    assert!(held["closed_at"].is_i64(), "{held}");

    ingest(&["retention", "--tenant", "acme", "--keep", "0s"]);
    let swept = json(&ingest(&["sweep", "--json"]));
    let ids: Vec<_> = swept["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["session_id"].clone())
        .collect();
    assert_eq!(ids, ["s-r1"], "{swept:#}");
    let files_of = |session: &str| {
        let root = t.join(format!("s3/evidence/prod/tenants/acme/sessions/{session}"));
        if root.exists() { walk(&root).len() } else { 0 }
    };
    assert_eq!(
        files_of("s-r1"),
        0,
        "every object of s-r1 is gone from the S3 server"
    );
    assert!(files_of("s-r2") > 0 && files_of("s-r3") > 0);

    // A deleted session is not taken again.
    let out = sync(&token_files[0].0, &url, &token_files[0].1, &[]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        text.contains("deleted under the tenant's retention"),
        "{text}"
    );

    // The hold lifted: the next sweep takes s-r2; s-r3 (pending) stays.
    let res = client.delete(&hold).bearer_auth(&admin).send().unwrap();
    assert!(res.status().is_success());
    let swept = json(&ingest(&["sweep", "--json"]));
    assert_eq!(swept["deleted"][0]["session_id"], "s-r2", "{swept:#}");
    assert_eq!(files_of("s-r2"), 0);
    assert!(files_of("s-r3") > 0);

    // Each deletion, and the hold, are in the tenant's access log.
    let log: serde_json::Value = client
        .get(format!("{url}/v1/access-log"))
        .bearer_auth(&auditor)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let entries = log["entries"].as_array().unwrap();
    let deletions: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "delete_session")
        .collect();
    assert_eq!(deletions.len(), 2, "{log:#}");
    assert!(deletions.iter().all(|e| e["actor"] == "retention sweep"));
    assert!(entries.iter().any(|e| e["action"] == "manage_retention"
        && e["target"] == "s-r2: legal hold on"
        && e["allowed"] == true));
    drop(backend);
    drop(s3);
}
