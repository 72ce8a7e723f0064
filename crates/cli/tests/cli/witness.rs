//! Witnessed evidence against `paraakh ingest serve`, tried as the
//! candidate who holds the machine would: another computer's device key, a
//! session re-signed with a fresh key, cutting and resuming after an upload,
//! a foreign tenant key, a revoked link, and a backend starved of
//! connections, time and memory. And what the honest candidate gets: a
//! joined session that verifies witnessed from the first record to the last.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use paraakh_evidence::keys::{SIG_TYPE_ED25519, load_or_create_signer};

use super::join::{add_exam, client, join, link, package};
use super::sync::{Backend, record, sync, tenant_keys, token};
use super::{json, p, paraakh, stderr};

/// A device key file and its verifier key (what a computer sends at join).
fn device(tmp: &Path, name: &str) -> (PathBuf, String) {
    let path = tmp.join(format!("{name}.key"));
    let (key, _) = load_or_create_signer(&path, "paraakh-device", SIG_TYPE_ED25519).unwrap();
    (path, key.verifier().encode())
}

fn verify(dir: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = paraakh(&[&["verify", p(dir), "--json"][..], extra].concat());
    (out.status.code(), json(&out))
}

fn kinds(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The backend's copy of `session`, exported into a new directory.
fn export(data: &Path, tmp: &Path, session: &str) -> PathBuf {
    let copy = tmp.join(format!("export-{session}-{}", rand_suffix()));
    super::sync::export(data, session, &copy);
    copy
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Joins an open exam by link from the computer whose verifier key is
/// `device_vkey`; returns the session id, its token file and the join's body.
fn joined(tmp: &Path, data: &Path, url: &str, device_vkey: &str) -> (String, PathBuf, String) {
    let (keys, pkg) = package(tmp, "physics-open", "2026-01-01T00:00:00Z");
    let added = add_exam(data, &pkg, &keys.join("signing.pub"), None);
    assert!(added.status.success(), "{}", stderr(&added));
    let (link_token, token_id) = link(data, "physics-open");
    let (status, body) = join(url, &link_token, device_vkey);
    assert_eq!(status, 200, "{body}");
    let session = body["session_id"].as_str().unwrap().to_owned();
    let tokens = tmp.join("joined-tokens.json");
    std::fs::write(&tokens, body["tokens"].to_string()).unwrap();
    assert!(
        body["statement"]
            .as_str()
            .unwrap()
            .starts_with("paraakh.app/session-statement/v1\ntenant acme\nexam physics-open\n"),
        "{body}"
    );
    (session, tokens, token_id)
}

fn store_has_records(data: &Path, session: &str) -> bool {
    data.join("store/tenants/acme/sessions")
        .join(session)
        .join("records")
        .exists()
}

#[test]
fn a_joined_session_is_witnessed_and_another_computers_evidence_is_refused_unstored() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let (key_a, vkey_a) = device(t, "device-a");
    let (key_b, _) = device(t, "device-b");
    let (session, tokens, _) = joined(t, &data, &backend.url(), &vkey_a);
    let backend_pub = data.join("backend.pub");

    // Another computer asks for a statement for the session: refused.
    let (out, _) = simulate(
        t,
        "b1",
        &session,
        "physics-open",
        &[
            "--device-key",
            p(&key_b),
            "--server",
            &backend.url(),
            "--tokens",
            p(&tokens),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("another computer"),
        "{}",
        stderr(&out)
    );
    // It records anyway and uploads with the session's tokens: refused, nothing stored.
    let forged = record_as(t, "b2", &session, &key_b, &[]);
    let out = sync(&forged, &backend.url(), &tokens, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("only the computer it is bound to"),
        "{}",
        stderr(&out)
    );
    assert!(!store_has_records(&data, &session));

    // The computer that joined: a fresh statement, recorded, uploaded, witnessed.
    let dir = record_as(
        t,
        "a",
        &session,
        &key_a,
        &[
            "--server",
            &backend.url(),
            "--tokens",
            p(&tokens),
            "--backend-key",
            p(&backend_pub),
        ],
    );
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let copy = export(&data, t, &session);
    assert!(copy.join("statement").is_file());
    let (code, report) = verify(&copy, &["--backend-key", p(&backend_pub)]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["trust"]["statement"]["event"], "start");
    assert_eq!(report["trust"]["parts"][0]["vouched_by"], "witnessed");
    assert_eq!(report["trust"]["parts"].as_array().unwrap().len(), 1);
}

/// `paraakh session simulate --offline` of session `session` of tenant
/// `acme` into `tmp/name`, encrypted to the tenant's key unless `extra`
/// names another (small: 120 events, 3 blobs).
fn simulate(
    tmp: &Path,
    name: &str,
    session: &str,
    exam: &str,
    extra: &[&str],
) -> (std::process::Output, PathBuf) {
    let dir = tmp.join(name);
    let tenant_key = tenant_keys(tmp).join("encryption.pub");
    let mut args = vec![
        "session",
        "simulate",
        "--offline",
        "--out",
        p(&dir),
        "--tenant",
        "acme",
        "--exam",
        exam,
        "--session-id",
        session,
        "--events",
        "120",
        "--blobs",
        "3",
        "--blob-size",
        "1000-20000",
        "--checkpoint-every",
        "16",
    ];
    if !extra.contains(&"--tenant-key") {
        args.extend(["--tenant-key", p(&tenant_key)]);
    }
    args.extend_from_slice(extra);
    (paraakh(&args), dir)
}

/// Records session `session` of exam physics-open with the device key at `key`.
fn record_as(tmp: &Path, name: &str, session: &str, key: &Path, extra: &[&str]) -> PathBuf {
    let (out, dir) = simulate(
        tmp,
        name,
        session,
        "physics-open",
        &[&["--device-key", p(key)][..], extra].concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn a_token_issued_for_a_registered_computer_takes_evidence_from_that_computer_only() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let (centre_pc, _) = device(t, "centre-pc");
    let shown = paraakh(&["keys", "device", "--device-key", p(&centre_pc)]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let registered = t.join("centre-pc.pub");
    std::fs::write(&registered, &shown.stdout).unwrap();
    let tokens = t.join("tokens.json");
    let out = paraakh(&[
        "ingest",
        "token",
        "--data",
        p(&data),
        "--tenant",
        "acme",
        "--session",
        "s-centre",
        "--exam",
        "physics",
        "--device-key",
        p(&registered),
        "--out",
        p(&tokens),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (laptop, _) = device(t, "laptop");
    let (out, dir) = simulate(
        t,
        "laptop",
        "s-centre",
        "physics",
        &["--device-key", p(&laptop)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("only the computer it is bound to"),
        "{}",
        stderr(&out)
    );
    let (out, dir) = simulate(
        t,
        "pc",
        "s-centre",
        "physics",
        &["--device-key", p(&centre_pc)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_session_re_signed_with_a_fresh_device_key_is_only_ever_machine_attested() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let real = super::sync::joined_session(t, &backend, &data, "s-real", 2, "1000-5000");
    let out = sync(
        &real,
        &backend.url(),
        &t.join("token-acme-s-real.json"),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let backend_pub = data.join("backend.pub");
    let (code, _) = verify(&real, &["--backend-key", p(&backend_pub)]);
    assert_eq!(code, Some(0));

    // The keyless attacker records "the same" session again with a fresh device key.
    let forged = record(t, "s-forged", 2, "1000-5000", &[]);
    for extra in [&[][..], &["--backend-key", p(&backend_pub)][..]] {
        let (code, report) = verify(&forged, extra);
        assert_eq!(code, Some(1), "{report:#}");
        assert_eq!(report["status"], "not_witnessed");
        assert_eq!(kinds(&report), ["not_witnessed"]);
    }
    let out = paraakh(&[
        "verify",
        p(&forged),
        "--backend-key",
        p(&backend_pub),
        "--accept-machine-attested",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("machine-attested"), "{text}");
    assert!(text.contains("statement    none"), "{text}");
}

#[test]
fn cutting_after_an_upload_and_resuming_is_refused_kept_as_a_fork_and_found_by_against() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let (key, _) = device(t, "device");
    let tokens = token(&data, t, "acme", "s-fork");
    let backend_pub = data.join("backend.pub");
    let (out, dir) = simulate(
        t,
        "s-fork",
        "s-fork",
        "physics",
        &[
            "--device-key",
            p(&key),
            "--server",
            &backend.url(),
            "--tokens",
            p(&tokens),
            "--backend-key",
            p(&backend_pub),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Back to the second checkpoint, then on again with the same device key.
    let keep = cut_back(&dir, 2);
    let commands = t.join("commands.jsonl");
    std::fs::write(&commands, "{\"submit\":true}\n").unwrap();
    let out = paraakh(&[
        "session",
        "run",
        "--preset",
        "standard",
        "--out",
        p(&dir),
        "--tenant-key",
        p(&tenant_keys(t).join("encryption.pub")),
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--session-id",
        "s-fork",
        "--device-key",
        p(&key),
        "--no-detection",
        "--no-lockdown",
        "--commands",
        p(&commands),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, alone) = verify(&dir, &["--backend-key", p(&backend_pub)]);
    assert_eq!(code, Some(1));
    assert_eq!(alone["segments"].as_array().unwrap().len(), 2, "{alone:#}");

    // The backend refuses the new history and keeps the attempt.
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the attempt is recorded"),
        "{}",
        stderr(&out)
    );
    let copy = export(&data, t, "s-fork");
    assert!(copy.join("conflicts").is_file());
    let (code, report) = verify(&copy, &["--backend-key", p(&backend_pub)]);
    assert_eq!(code, Some(1));
    assert!(kinds(&report).contains(&"fork".to_owned()), "{report:#}");
    // The candidate's copy against the backend's: a fork from the cut.
    let (code, report) = verify(
        &dir,
        &["--backend-key", p(&backend_pub), "--against", p(&copy)],
    );
    assert_eq!(code, Some(1));
    assert!(kinds(&report).contains(&"fork".to_owned()), "{report:#}");
    assert_eq!(report["against"]["diverges_at"], keep);
}

/// Cuts a session back to its `n`th checkpoint (log, checkpoints and
/// receipts), as someone with the files would. Returns the records kept.
fn cut_back(dir: &Path, n: usize) -> u64 {
    use paraakh_evidence::frame::{FileKind, encode_frame, parse_all};
    use paraakh_evidence::note::{CheckpointBody, SignedNote};
    let read =
        |kind: FileKind| parse_all(&std::fs::read(dir.join(kind.file_name())).unwrap(), kind).0;
    let size = |payload: &[u8]| {
        CheckpointBody::parse(SignedNote::parse(payload).unwrap().text())
            .unwrap()
            .size
    };
    let keep = size(&read(FileKind::Checkpoints)[n - 1].payload);
    let write = |kind: FileKind, payloads: Vec<Vec<u8>>| {
        let mut out = kind.magic().to_vec();
        for payload in payloads {
            out.extend(encode_frame(&payload));
        }
        std::fs::write(dir.join(kind.file_name()), out).unwrap();
    };
    let log: Vec<Vec<u8>> = read(FileKind::Log)
        .into_iter()
        .take(keep as usize)
        .map(|f| f.payload)
        .collect();
    write(FileKind::Log, log);
    for kind in [FileKind::Checkpoints, FileKind::Receipts] {
        let kept = read(kind)
            .into_iter()
            .map(|f| f.payload)
            .filter(|payload| size(payload) <= keep)
            .collect();
        write(kind, kept);
    }
    keep
}

#[test]
fn a_session_encrypted_to_another_key_than_the_tenants_is_refused_unstored() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let tokens = token(&data, t, "acme", "s-foreign");
    let foreign = t.join("foreign-keys");
    assert!(
        paraakh(&["keys", "generate", "--out", p(&foreign)])
            .status
            .success()
    );
    let (out, dir) = simulate(
        t,
        "s-foreign",
        "s-foreign",
        "physics",
        &["--tenant-key", p(&foreign.join("encryption.pub"))],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sync(&dir, &backend.url(), &tokens, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not to the tenant's evidence key"),
        "{}",
        stderr(&out)
    );
    assert!(!store_has_records(&data, "s-foreign"));
}

#[test]
fn revoking_a_link_after_it_joined_ends_the_sessions_rights() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let url = backend.url();
    let (key, vkey) = device(t, "device");
    let (session, tokens, token_id) = joined(t, &data, &url, &vkey);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
    let access = file["access_token"].as_str().unwrap().to_owned();
    let refresh = file["refresh_token"].as_str().unwrap().to_owned();
    let key_release = |url: &str| {
        client()
            .post(format!("{url}/v1/sessions/{session}/exam-key"))
            .bearer_auth(&access)
            .send()
            .unwrap()
    };
    let released = key_release(&url);
    assert_eq!(released.status().as_u16(), 200);
    let body: serde_json::Value = released.json().unwrap();
    assert!(
        body["statement"]
            .as_str()
            .unwrap()
            .contains("event exam-key"),
        "{body}"
    );

    let out = paraakh(&[
        "ingest",
        "revoke",
        "--data",
        p(&data),
        "--tenant",
        "acme",
        "--token-id",
        &token_id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&session),
        "the revocation names the session it ended"
    );
    let refused = key_release(&url);
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        refused.json::<serde_json::Value>().unwrap()["error"],
        "revoked"
    );
    let renewal = client()
        .post(format!("{url}/v1/token"))
        .json(&serde_json::json!({ "refresh_token": refresh }))
        .send()
        .unwrap();
    assert_eq!(renewal.status().as_u16(), 403);
    let dir = record_as(t, "after", &session, &key, &[]);
    let out = sync(&dir, &url, &tokens, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("revoked"), "{}", stderr(&out));
    assert!(!store_has_records(&data, &session));
}

/// Sends raw bytes and returns the head of the backend's answer (or "" when
/// it closed the connection without a word), and how long it took.
fn raw(addr: std::net::SocketAddr, request: &[u8], wait: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    (
        String::from_utf8_lossy(&buf).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn the_backend_checks_the_token_before_any_body_and_cuts_off_slow_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start_with(&data, &["--header-timeout", "1", "--body-timeout", "2"]);
    let tokens = token(&data, t, "acme", "s-limits");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
    let access = file["access_token"].as_str().unwrap();
    let wait = Duration::from_secs(30);

    // 32 MiB announced without a token: refused on its headers, no body read.
    let (answer, _) = raw(
        backend.addr,
        b"POST /v1/sessions/s-limits/checkpoints HTTP/1.1\r\nHost: x\r\nContent-Length: 33554432\r\n\r\n",
        wait,
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    // More than a request may carry, with a valid token: refused before reading it.
    let (answer, _) = raw(
        backend.addr,
        format!(
            "POST /v1/sessions/s-limits/checkpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {access}\r\nContent-Length: 40000000\r\n\r\n"
        )
        .as_bytes(),
        wait,
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // A body that stops coming: 408 after the body time limit.
    let (answer, took) = raw(
        backend.addr,
        format!(
            "POST /v1/sessions/s-limits/checkpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {access}\r\nContent-Length: 1000\r\n\r\n{{\"first_seq\""
        )
        .as_bytes(),
        wait,
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took >= Duration::from_secs(2), "{took:?}");
    // Headers that never finish: the connection is closed.
    let (answer, took) = raw(backend.addr, b"GET /healthz HTT", wait);
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < wait, "a half-open connection was kept for {took:?}");

    // Many copies of one checkpoint in one request: refused before any work.
    let (out, dir) = simulate(t, "s-limits", "s-limits", "physics", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    use paraakh_evidence::frame::{FileKind, parse_all};
    let notes = parse_all(
        &std::fs::read(dir.join("checkpoints")).unwrap(),
        FileKind::Checkpoints,
    )
    .0;
    let note = String::from_utf8(notes[0].payload.clone()).unwrap();
    let response = client()
        .post(format!(
            "{}/v1/sessions/s-limits/checkpoints",
            backend.url()
        ))
        .bearer_auth(access)
        .json(&serde_json::json!({"first_seq": 0, "records": [], "checkpoints": vec![note; 500]}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[test]
fn what_the_backend_and_the_client_keep_secret_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let (_, vkey) = device(t, "device");
    let (session, tokens, _) = joined(t, &data, &backend.url(), &vkey);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let exam = data.join("store/tenants/acme/exams/physics-open/exam.json");
    assert_eq!(mode(&exam), 0o600, "the exam's content key");
    assert_eq!(mode(&data.join("backend.key")), 0o600);
    assert_eq!(mode(&data.join("tenants/acme/token.key")), 0o600);
    let binding = data
        .join("store/tenants/acme/sessions")
        .join(&session)
        .join("binding");
    assert_eq!(mode(&binding), 0o600);
    let issued = token(&data, t, "acme", "s-other");
    assert_eq!(mode(&issued), 0o600);
    let _ = tokens;
    let dir = record(t, "s-private", 1, "1000-2000", &[]);
    for name in ["log", "checkpoints", "receipts"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("blobs")), 0o700);
}
