//! The backend scaled out and spread over regions, as real processes:
//! two `paraakh ingest serve` replicas sharing one PostgreSQL index and one
//! S3 store (each with its own copy of the keys and nothing else), and
//! tenants whose evidence must stay in their own store, on two S3 servers.

use std::path::Path;
use std::process::{Command, Output};

use paraakh_test_rig::postgres::Postgres;
use reqwest::StatusCode;

use super::roles::{access_chain_head, get, post, staff};
use super::sync::{Backend, S3Server, record_as, sync, walk};
use super::{BIN, json, p, paraakh, stderr};

/// `paraakh ingest ARGS --data DATA STORE…` with the S3 settings (every
/// test here has its stores on S3 servers).
fn ingest(data: &Path, args: &[&str], store: &[&str]) -> Output {
    let out = Command::new(BIN)
        .arg("ingest")
        .args(args)
        .args(["--data", p(data)])
        .args(store)
        .envs(S3Server::env_of(&["s3://"]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

/// Uploads session `session` of `tenant` through the backend at `url`.
fn upload(t: &Path, data: &Path, store: &[&str], url: &str, tenant: &str, session: &str) {
    let dir = record_as(t, tenant, session, 2, "100-2000", &[]);
    let tokens = t.join(format!("token-{session}.json"));
    ingest(
        data,
        &[
            "token",
            "--tenant",
            tenant,
            "--session",
            session,
            "--exam",
            "physics",
            "--out",
            p(&tokens),
        ],
        store,
    );
    let out = sync(&dir, url, &tokens, &[]);
    assert!(out.status.success(), "{session}: {}", stderr(&out));
    let report = super::sync::report(&out);
    assert_eq!(report["complete"], true, "{session}: {report:#}");
}

/// `n` replicas started with `serve` in `t/replica-0`, `t/replica-1`, …:
/// the first makes the keys, the others get a copy of its data directory
/// and nothing else of it.
fn replicas(t: &Path, n: usize, serve: &[&str]) -> Vec<Backend> {
    let first = t.join("replica-0");
    let mut started = vec![Backend::start_with(&first, serve)];
    for i in 1..n {
        let data = t.join(format!("replica-{i}"));
        std::fs::create_dir_all(&data).unwrap();
        let copied = Command::new("cp")
            .args(["-a", &format!("{}/.", p(&first)), p(&data)])
            .status()
            .unwrap();
        assert!(copied.success());
        started.push(Backend::start_with(&data, serve));
    }
    started
}

/// What `paraakh verify` says of a session directory.
fn verified(dir: &Path, data: &Path) -> serde_json::Value {
    json(&paraakh(&[
        "verify",
        p(dir),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--accept-machine-attested",
        "--json",
    ]))
}

#[test]
fn two_replicas_share_one_postgres_index_and_one_s3_store() {
    if !Postgres::available() {
        paraakh_test_rig::skip("replicas on PostgreSQL: postgresql-15 is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(_s3) = S3Server::start(&t.join("s3")) else {
        return;
    };
    let pg = Postgres::start().unwrap();
    let index = pg.database("paraakh").unwrap();
    let (data_a, data_b) = (t.join("replica-0"), t.join("replica-1"));
    let shared = ["--store", "s3://evidence/prod"];
    let serve = ["--store", "s3://evidence/prod", "--index", index.as_str()];
    let mut started = replicas(t, 2, &serve);
    assert!(!data_b.join("index.sqlite").exists());
    let b = started.pop().unwrap();
    let a = started.pop().unwrap();
    let urls = [a.url(), b.url()];

    // Four candidates, two through each replica.
    for i in 0..4 {
        let data = if i % 2 == 0 { &data_a } else { &data_b };
        upload(t, data, &shared, &urls[i % 2], "acme", &format!("s-{i}"));
    }
    // Either replica lists all four from the shared index.
    let reviewer = staff(&data_a, "acme", "reviewer", "alice@acme.example", "15m");
    for url in &urls {
        let (status, list) = get(&format!("{url}/v1/review/sessions"), Some(&reviewer));
        assert_eq!(status, StatusCode::OK, "{list}");
        let ids: Vec<_> = list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, ["s-0", "s-1", "s-2", "s-3"], "{url}: {list:#}");
    }
    // Session s-1 came through replica B; its serious events are decided
    // half through A and half through B, and both see it reviewed.
    let pending: Vec<u64> = verified(&t.join("s-1"), &data_a)["review"]["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert!(pending.len() >= 2, "{pending:?}");
    for (n, seq) in pending.iter().enumerate() {
        let (status, body) = post(
            &format!("{}/v1/review/sessions/s-1/decisions", urls[n % 2]),
            &reviewer,
            serde_json::json!({"event_seq": seq, "verdict": "dismissed", "note": "checked"}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["position"].as_u64(), Some(n as u64), "{body}");
    }
    for url in &urls {
        let (_, row) = get(&format!("{url}/v1/review/sessions/s-1"), Some(&reviewer));
        assert_eq!(row["review"], "reviewed", "{url}: {row}");
    }
    // The backend's copy, exported by either side, verifies with the
    // decisions of both replicas in one review log.
    let copy = t.join("copy");
    ingest(
        &data_b,
        &[
            "export",
            "--tenant",
            "acme",
            "--session",
            "s-1",
            "--out",
            p(&copy),
        ],
        &shared,
    );
    let report = verified(&copy, &data_a);
    assert_eq!(report["status"], "intact", "{report:#}");
    assert_eq!(report["review"]["outcome"], "reviewed", "{report:#}");
    // One access log, appended by both replicas, one unbroken chain.
    let auditor = staff(&data_b, "acme", "auditor", "audit@acme.example", "15m");
    let (_, log) = get(&format!("{}/v1/access-log", urls[1]), Some(&auditor));
    let entries = log["entries"].as_array().unwrap();
    access_chain_head("acme", entries);
    let decides = entries.iter().filter(|e| e["action"] == "decide").count();
    let lists = entries
        .iter()
        .filter(|e| e["action"] == "list_sessions")
        .count();
    assert_eq!((decides, lists), (pending.len(), 2), "{log:#}");
    // A replica killed: the other goes on alone.
    a.kill();
    upload(t, &data_b, &shared, &urls[1], "acme", "s-4");
    let (_, list) = get(&format!("{}/v1/review/sessions", urls[1]), Some(&reviewer));
    assert_eq!(list["sessions"].as_array().unwrap().len(), 5);
    drop(b);
}

#[test]
fn each_tenants_evidence_stays_in_its_own_store_on_two_s3_servers() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(eu) = S3Server::start(&t.join("s3-eu")) else {
        return;
    };
    let Some(india) = S3Server::start(&t.join("s3-in")) else {
        return;
    };
    let data = t.join("backend");
    let acme = format!(
        "acme=s3://evidence/acme?endpoint=http://127.0.0.1:{}&allow_http=true&region=eu-central-1",
        eu.port
    );
    let other = format!(
        "other=s3://evidence/other?endpoint=http://127.0.0.1:{}&allow_http=true&region=ap-south-1",
        india.port
    );
    let stores = [
        "--tenant-store",
        acme.as_str(),
        "--tenant-store",
        other.as_str(),
    ];
    let backend = Backend::start_with(&data, &stores);
    let url = backend.url();
    upload(t, &data, &stores, &url, "acme", "s-eu");
    upload(t, &data, &stores, &url, "other", "s-in");

    // Every object of each tenant is in its own server, none in the other's,
    // none in the default store.
    let objects = |root: &Path| -> Vec<String> {
        walk(root)
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let in_eu = objects(&t.join("s3-eu/evidence"));
    let in_india = objects(&t.join("s3-in/evidence"));
    assert!(
        in_eu.iter().any(|o| o.contains("sessions/s-eu/")),
        "{in_eu:?}"
    );
    assert!(
        in_india.iter().any(|o| o.contains("sessions/s-in/")),
        "{in_india:?}"
    );
    assert!(
        in_eu.iter().all(|o| o.starts_with("acme/tenants/acme/")),
        "{in_eu:?}"
    );
    assert!(
        in_india
            .iter()
            .all(|o| o.starts_with("other/tenants/other/")),
        "{in_india:?}"
    );
    let default_store = data.join("store");
    assert!(
        !default_store.exists() || objects(&default_store).is_empty(),
        "{:?}",
        objects(&default_store)
    );

    // The stores are remembered: export (no store flags) finds each
    // tenant's session where it is, and the copies verify.
    for (tenant, session) in [("acme", "s-eu"), ("other", "s-in")] {
        let copy = t.join(format!("copy-{session}"));
        ingest(
            &data,
            &[
                "export",
                "--tenant",
                tenant,
                "--session",
                session,
                "--out",
                p(&copy),
            ],
            &[],
        );
        assert_eq!(verified(&copy, &data)["status"], "intact", "{session}");
    }
    // A signed evidence URL of tenant other's blob points at its own server.
    let sha = std::fs::read_dir(t.join("s-in/blobs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .into_owned();
    let reviewer = staff(&data, "other", "reviewer", "ravi@other.example", "15m");
    let res = super::join::client()
        .post(format!("{url}/v1/review/sessions/s-in/evidence/{sha}"))
        .bearer_auth(&reviewer)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let grant: serde_json::Value = res.json().unwrap();
    let signed = grant["url"].as_str().unwrap();
    assert!(
        signed.starts_with(&format!("http://127.0.0.1:{}/evidence/other/", india.port)),
        "{signed}"
    );
    let fetched = super::join::client().get(signed).send().unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    drop(backend);
}

/// The scale-out test: three replicas on one PostgreSQL index and one S3
/// store, `paraakh ingest load` with 200 candidates uploading through them
/// in turn, and one replica killed mid-load and restarted on its address.
/// Every session ends complete, reads back from the store and verifies
/// with every record under a receipt, no record batch twice.
#[test]
fn three_replicas_under_load_with_one_killed_and_restarted_lose_and_duplicate_nothing() {
    if !Postgres::available() {
        paraakh_test_rig::skip("replicas on PostgreSQL: postgresql-15 is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(_s3) = S3Server::start(&t.join("s3")) else {
        return;
    };
    let pg = Postgres::start().unwrap();
    let index = pg.database("paraakh").unwrap();
    let shared = ["--store", "s3://evidence/prod"];
    let serve = ["--store", "s3://evidence/prod", "--index", index.as_str()];
    let first = t.join("replica-0");
    let mut replicas = replicas(t, 3, &serve);
    let urls: Vec<String> = replicas.iter().map(Backend::url).collect();
    let keys = super::sync::tenant_keys(t);
    let mut load = Command::new(BIN);
    load.args(["ingest", "load", "--data-dir", p(&first)])
        .args(shared)
        .envs(S3Server::env_of(&["s3://"]))
        .args(["--tenant", "acme", "--exam", "physics"])
        .args(["--encryption-key", p(&keys.join("encryption.pub"))])
        .args(["--candidates", "200", "--duration", "40s", "--ramp", "20s"])
        .args(["--every", "5s", "--grace", "90s", "--workers", "16"])
        .args(["--events", "80", "--blobs", "1", "--blob-size", "2000-8000"])
        .args(["--checkpoint-records", "16", "--json"]);
    for url in &urls {
        load.args(["--server", url]);
    }
    let running = load
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Mid-load: replica 1 killed (whatever it was doing), then back on
    // its address.
    std::thread::sleep(std::time::Duration::from_secs(25));
    let killed = replicas.remove(1);
    let addr = killed.addr.to_string();
    killed.kill();
    std::thread::sleep(std::time::Duration::from_secs(8));
    replicas.insert(1, Backend::start_on(&t.join("replica-1"), &addr, &serve));
    let out = running.wait_with_output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        )
    });
    eprintln!("{doc:#}");
    assert_eq!(doc["load"]["complete"], 200, "{doc:#}");
    assert_eq!(doc["check"]["verified"], 200, "{doc:#}");
    assert_eq!(doc["ok"], true, "{doc:#}");
    assert_eq!(out.status.code(), Some(0));
    // The kill was felt: some rounds failed and were done again elsewhere.
    assert!(
        doc["load"]["failed_rounds"].as_u64().unwrap() > 0
            || doc["load"]["retries"].as_u64().unwrap() > 0,
        "{doc:#}"
    );
    drop(replicas);
}
