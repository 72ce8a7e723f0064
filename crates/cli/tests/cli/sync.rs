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
struct Backend {
    child: Child,
    addr: SocketAddr,
}

impl Backend {
    fn start(data: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args([
                "ingest",
                "serve",
                "--data",
                p(data),
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--tenant", "acme", "--tenant", "other"])
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

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(mut self) {
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

/// A session recorded with no backend: tenant `acme`, exam `physics`.
fn offline_session(tmp: &Path, session: &str, blobs: u32, blob_size: &str) -> PathBuf {
    let keys = tmp.join("tenant-keys");
    if !keys.exists() {
        let out = paraakh(&["keys", "generate", "--out", p(&keys)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let dir = tmp.join(session);
    let out = paraakh(&[
        "session",
        "simulate",
        "--offline",
        "--out",
        p(&dir),
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--session-id",
        session,
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--blobs",
        &blobs.to_string(),
        "--blob-size",
        blob_size,
        "--events",
        "300",
        "--checkpoint-every",
        "40",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["receipts"],
        0,
        "an offline session has no receipts"
    );
    dir
}

fn token(data: &Path, tmp: &Path, tenant: &str, session: &str) -> PathBuf {
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

fn sync(dir: &Path, url: &str, tokens: &Path, extra: &[&str]) -> std::process::Output {
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

fn records_in(dir: &Path) -> u64 {
    let out = paraakh(&["verify", p(dir), "--json"]);
    json(&out)["records"].as_u64().unwrap()
}

/// Exports the backend's copy and verifies it under the pinned backend key:
/// intact, and every record covered by a receipt.
fn backend_copy_verifies(data: &Path, tmp: &Path, session: &str, records: u64) {
    let copy = tmp.join(format!("copy-{session}"));
    let out = paraakh(&[
        "ingest",
        "export",
        "--data",
        p(data),
        "--tenant",
        "acme",
        "--session",
        session,
        "--out",
        p(&copy),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = paraakh(&[
        "verify",
        p(&copy),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--tenant-key",
        p(&tmp.join("tenant-keys/encryption.key")),
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(report["status"], "intact", "{report:#}");
    assert_eq!(report["records"], records);
    assert_eq!(report["receipts"]["cosigned_size"], records, "{report:#}");
    assert_eq!(
        report["client_attested_only"],
        serde_json::Value::Null,
        "{report:#}"
    );
}

/// Every record and blob is stored exactly once: record batches follow each
/// other without overlap, one file per blob, no upload parts left behind.
fn stored_exactly_once(data: &Path, session: &str, records: u64, blobs: usize) {
    let root = data.join("store/tenants/acme/sessions").join(session);
    let mut batches: Vec<(u64, u64)> = std::fs::read_dir(root.join("records"))
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let (a, b) = name.split_once('-').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
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
    assert_eq!(
        std::fs::read_dir(root.join("blobs")).unwrap().count(),
        blobs
    );
    let leftover = root.join("uploads");
    let parts = if leftover.exists() {
        walk(&leftover)
    } else {
        Vec::new()
    };
    assert!(parts.is_empty(), "upload parts left behind: {parts:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
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

fn report(out: &std::process::Output) -> serde_json::Value {
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

    backend_copy_verifies(&data, tmp.path(), "s-offline", records);
    stored_exactly_once(&data, "s-offline", records, 8);
    // The local copy now holds the receipt too, checked under the pinned key.
    let out = paraakh(&[
        "verify",
        p(&dir),
        "--backend-key",
        p(&data.join("backend.pub")),
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
    let dir = offline_session(tmp.path(), "s-faults", 12, "20000-700000");
    let records = records_in(&dir);
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let proxy = FaultProxy::start(backend.addr, FaultPlan::mixed(7)).unwrap();
    let tokens = token(&data, tmp.path(), "acme", "s-faults");

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

    backend_copy_verifies(&data, tmp.path(), "s-faults", records);
    stored_exactly_once(&data, "s-faults", records, 12);
    drop(proxy);
}

#[test]
fn the_backend_killed_mid_upload_and_restarted_loses_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = offline_session(tmp.path(), "s-restart", 16, "500000-2000000");
    let records = records_in(&dir);
    let data = tmp.path().join("backend");
    let backend = Backend::start(&data);
    let proxy = FaultProxy::start(backend.addr, FaultPlan::none()).unwrap();
    let tokens = token(&data, tmp.path(), "acme", "s-restart");

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
    backend_copy_verifies(&data, tmp.path(), "s-restart", records);
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
    backend_copy_verifies(&data, tmp.path(), "s-purge", {
        let copy = tmp.path().join("probe");
        let out = paraakh(&[
            "ingest",
            "export",
            "--data",
            p(&data),
            "--tenant",
            "acme",
            "--session",
            "s-purge",
            "--out",
            p(&copy),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        records_in(&copy)
    });
}
