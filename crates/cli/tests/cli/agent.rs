//! `paraakh sync --all`, the agent an installer runs as a service: sessions
//! in an installation's data directory, each with the upload details it
//! stored when it started, are sent when the backend can be reached and
//! deleted once the tenant's policy lets them go; nothing else is touched.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use paraakh_evidence::keys::NoteVerifier;
use paraakh_policy::model::Retention;
use paraakh_sync::agent::{UploadContext, remember, utc_date};

use super::sync::{Backend, export, tenant_keys, token};
use super::{json, p, paraakh, stderr};

/// Where the app keeps a tenant's session: `DATA/tenants/<tenant>/sessions/<id>`.
fn session_dir(install: &Path, session: &str) -> PathBuf {
    install.join("tenants/acme/sessions").join(session)
}

/// A session recorded into the data layout with no network (tenant `acme`,
/// exam `physics`); with `bound_by`, the backend's statement was fetched
/// first (as at join), so what is uploaded later can be witnessed.
fn record_offline(
    tmp: &Path,
    install: &Path,
    session: &str,
    bound_by: Option<(&Backend, &Path)>,
) -> PathBuf {
    let key = tenant_keys(tmp).join("encryption.pub");
    let dir = session_dir(install, session);
    let mut args = vec![
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
        p(&key),
        "--blobs",
        "3",
        "--blob-size",
        "1000-50000",
        "--events",
        "120",
        "--checkpoint-every",
        "40",
        "--json",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    if let Some((backend, data)) = bound_by {
        let tokens = token(data, tmp, "acme", session);
        args.extend([
            "--server".to_owned(),
            backend.url(),
            "--tokens".to_owned(),
            p(&tokens).to_owned(),
            "--backend-key".to_owned(),
            p(&data.join("backend.pub")).to_owned(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = paraakh(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out)["receipts"],
        0,
        "recorded offline: no receipts yet"
    );
    dir
}

fn backend_key(data: &Path) -> NoteVerifier {
    NoteVerifier::parse(
        std::fs::read_to_string(data.join("backend.pub"))
            .unwrap()
            .trim(),
    )
    .unwrap()
}

/// What the app stores when a session starts with a backend.
fn context(
    server: &str,
    tokens: &Path,
    key: Option<NoteVerifier>,
    keep_days: u32,
) -> UploadContext {
    UploadContext {
        server: server.to_owned(),
        tokens: tokens.to_owned(),
        backend_key: key,
        retention: Retention {
            keep_after_receipt_days: keep_days,
            alert_unsynced_after_days: 7,
        },
    }
}

fn sync_all(install: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sync", "--all", "--data-dir", p(install)];
    args.extend_from_slice(extra);
    paraakh(&args)
}

fn entry<'a>(doc: &'a serde_json::Value, session: &str) -> &'a serde_json::Value {
    doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == session)
        .unwrap_or_else(|| panic!("no entry for {session}: {doc:#}"))
}

/// Every record under a receipt of the pinned backend key, and every part
/// witnessed (late, when the receipt came long after the recording).
fn witnessed(dir: &Path, data: &Path) {
    let out = paraakh(&[
        "verify",
        p(dir),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(
        report["receipts"]["cosigned_size"], report["records"],
        "{report:#}"
    );
    assert_eq!(report["trust"]["device_key_bound"], true, "{report:#}");
    for part in report["trust"]["parts"].as_array().unwrap() {
        let by = part["vouched_by"].as_str().unwrap();
        assert!(by == "witnessed" || by == "witnessed_late", "{report:#}");
    }
    let findings: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        findings.iter().all(|k| *k == "witnessed_late"),
        "{report:#}"
    );
}

#[test]
fn sync_all_sends_sessions_recorded_offline_and_deletes_them_when_the_policy_lets_go() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let install = t.join("install");
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let key = backend_key(&data);
    // Bound at join, then the network went away for the whole exam.
    let zero = record_offline(t, &install, "s-zero", Some((&backend, &data)));
    let keep = record_offline(t, &install, "s-keep", Some((&backend, &data)));
    // The standard policy keeps the copy 30 days after the receipt; this
    // tenant's keeps nothing. Token files are the ones join wrote.
    let tokens = |s: &str| t.join(format!("token-acme-{s}.json"));
    let zero_ctx = remember(
        &zero,
        &context(&backend.url(), &tokens("s-zero"), Some(key.clone()), 0),
    )
    .unwrap();
    remember(
        &keep,
        &context(&backend.url(), &tokens("s-keep"), Some(key), 30),
    )
    .unwrap();
    assert_eq!(
        std::fs::metadata(&zero_ctx).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(zero_ctx, install.join("tenants/acme/upload/s-zero.json"));

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = sync_all(&install, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["waiting"], 0, "{doc:#}");
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 2, "{doc:#}");

    let z = entry(&doc, "s-zero");
    assert_eq!(z["tenant"], "acme");
    assert_eq!(z["state"], "purged", "{doc:#}");
    assert_eq!(z["report"]["complete"], true);
    assert_eq!(z["report"]["blobs_sent"], 3);
    assert!(!zero.exists(), "the local copy was not deleted");
    assert!(!zero_ctx.exists(), "its upload details stayed");
    // The backend holds it, and vouches for it.
    let copy = t.join("copy-s-zero");
    export(&data, "s-zero", &copy);
    witnessed(&copy, &data);

    let k = entry(&doc, "s-keep");
    assert_eq!(k["state"], "kept", "{doc:#}");
    assert_eq!(k["report"]["complete"], true);
    assert_eq!(k["report"]["receipt_stored"], true);
    let days = |n: u64| utc_date(before + n * 86_400);
    let date = k["delete_after"].as_str().unwrap();
    assert!(date == days(30) || date == days(31), "{date}");
    // The local copy holds the receipt: witnessed here too.
    witnessed(&keep, &data);

    // Again: nothing is sent twice, nothing waits; the deleted one is gone.
    let out = sync_all(&install, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("acme/s-keep: kept: the backend holds all of it")
            && text.contains(&format!("on or after {date} (UTC)")),
        "{text}"
    );
    assert!(!text.contains("s-zero"), "{text}");
    assert!(!text.contains("[sent"), "nothing is sent again: {text}");
    assert!(stderr(&out).contains("0 waiting"), "{}", stderr(&out));
    drop(backend);
}

#[test]
fn sync_all_with_an_unreachable_backend_waits_and_deletes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let install = t.join("install");
    let offline = record_offline(t, &install, "s-away", None);
    let bare = record_offline(t, &install, "s-bare", None);
    let tokens = t.join("t.json");
    std::fs::write(&tokens, r#"{"access_token":"x","expires_in":1}"#).unwrap();
    // Nothing listens on port 9 of loopback; a 0-day policy would delete at once.
    remember(&offline, &context("http://127.0.0.1:9", &tokens, None, 0)).unwrap();
    let logs = || [&offline, &bare].map(|d| std::fs::read(d.join("log")).unwrap());
    let before = logs();

    let out = sync_all(&install, &["--give-up-after", "2", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["waiting"], 2, "{doc:#}");
    let away = entry(&doc, "s-away");
    assert_eq!(away["state"], "waiting");
    assert_eq!(away["waiting_for"], "offline");
    assert!(
        away["reason"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{doc:#}"
    );
    assert_eq!(away["delete_after"], serde_json::Value::Null);
    // Started without a backend: nothing knows where it goes, it is never deleted.
    let b = entry(&doc, "s-bare");
    assert_eq!(b["state"], "waiting");
    assert_eq!(b["waiting_for"], "no_upload_details");
    assert_eq!(logs(), before, "a waiting session was changed");

    // The text report says the same.
    let out = sync_all(&install, &["--give-up-after", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("acme/s-away: waiting (offline)"), "{text}");
    assert!(
        text.contains("acme/s-bare: waiting (no upload details)"),
        "{text}"
    );
    assert_eq!(logs(), before);

    // --all takes its sessions and servers from the data directory only.
    for bad in [
        &["sync", "--all", p(&offline)][..],
        &["sync", "--all", "--server", "http://x.example"],
        &["sync", "--all", "--tokens", p(&tokens)],
        &["sync", "--data-dir", p(&install)],
        &["sync"],
    ] {
        let out = paraakh(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }
    // An empty installation: nothing waits.
    let out = sync_all(&t.join("empty"), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["sessions"], serde_json::json!([]));
}

/// `session run` with a backend stores its upload details; `sync --all`
/// then finds the session done and keeps it the policy's 30 days.
#[cfg(feature = "check")]
#[test]
fn session_run_with_a_backend_remembers_how_to_finish_the_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = tenant_keys(t);
    let install = t.join("install");
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let tokens = token(&data, t, "acme", "s-run");
    let commands = t.join("commands.jsonl");
    std::fs::write(
        &commands,
        concat!(
            r#"{"save_answer":{"question":"q1","answer":"A"}}"#,
            "\n",
            r#"{"sleep":1.5}"#,
            "\n",
            r#"{"submit":true}"#,
            "\n",
        ),
    )
    .unwrap();
    let dir = session_dir(&install, "s-run");
    let out = paraakh(&[
        "session",
        "run",
        "--preset",
        "standard",
        "--out",
        p(&dir),
        "--tenant-key",
        p(&keys.join("encryption.pub")),
        "--tenant",
        "acme",
        "--exam",
        "physics",
        "--session-id",
        "s-run",
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
    let stored = install.join("tenants/acme/upload/s-run.json");
    let ctx: serde_json::Value = serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
    assert_eq!(ctx["server"], backend.url());
    assert_eq!(ctx["keep_after_receipt_days"], 30);
    assert!(
        ctx["backend_key"].as_str().unwrap().starts_with("ingest."),
        "{ctx}"
    );

    let out = sync_all(&install, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let s = entry(&doc, "s-run");
    assert_eq!(s["state"], "kept", "{doc:#}");
    assert!(s["delete_after"].is_string());
    assert!(dir.join("log").exists());
}
