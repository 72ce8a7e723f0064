//! The tenant's side of `paraakh ingest serve` over HTTP, as real
//! processes: each role's token against each route (allowed, or refused
//! with the reason), another tenant's staff seeing nothing, tokens that are
//! missing, altered or expired, and the access log holding every attempt.

use std::path::Path;

use reqwest::StatusCode;

use super::join::client;
use super::sync::{Backend, offline_session, sync, token};
use super::{json, p, paraakh, stderr};

/// A staff member's access token from `paraakh ingest token --role`.
pub(super) fn staff(data: &Path, tenant: &str, role: &str, subject: &str, ttl: &str) -> String {
    let out = paraakh(&[
        "ingest",
        "token",
        "--data",
        p(data),
        "--tenant",
        tenant,
        "--role",
        role,
        "--subject",
        subject,
        "--access-ttl",
        ttl,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tokens = json(&out);
    assert!(
        tokens.get("refresh_token").is_none_or(|r| r.is_null()),
        "{tokens}"
    );
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// A reviewer's token of tenant acme that expired two minutes ago (past
/// the one-minute leeway for clocks), signed with the tenant's real key.
fn expired(data: &Path) -> String {
    use paraakh_ingest::config::{AUDIENCE, token_kid};
    use paraakh_policy::jwt::{Claims, Role, sign_eddsa};
    let keys = paraakh_ingest::BackendKeys::load(data).unwrap();
    let tenant = keys.tenant("acme").unwrap();
    let now = paraakh_ingest::tokens::now_secs();
    let claims = Claims {
        iss: tenant.key.issuer.clone(),
        sub: Some("alice@acme.example".into()),
        aud: vec![AUDIENCE.into()],
        exp: now - 120,
        nbf: None,
        iat: now - 900,
        jti: "expired-1".into(),
        role: Role::Reviewer,
        tenant: "acme".into(),
        exam: None,
        session: None,
    };
    sign_eddsa(&claims, &token_kid("acme"), &tenant.signer)
}

pub(super) fn get(url: &str, token: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().unwrap();
    let status = res.status();
    (status, res.json().unwrap_or(serde_json::Value::Null))
}

#[test]
fn each_role_reaches_its_routes_only_and_every_attempt_is_in_the_access_log() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let url = backend.url();
    // A staff token names its holder and no session.
    let d = p(&data);
    let out = paraakh(&[
        "ingest", "token", "--data", d, "--tenant", "acme", "--role", "reviewer",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--subject"), "{}", stderr(&out));
    let out = paraakh(&[
        "ingest",
        "token",
        "--data",
        d,
        "--tenant",
        "acme",
        "--role",
        "auditor",
        "--subject",
        "a",
        "--session-id",
        "s-a1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is for the tenant, not one session"),
        "{}",
        stderr(&out)
    );
    // Two sessions of tenant acme, uploaded by their candidates.
    let mut candidate_tokens = Vec::new();
    for session in ["s-a1", "s-a2"] {
        let dir = offline_session(t, session, 2, "100-2000");
        let tokens = token(&data, t, "acme", session);
        let out = sync(&dir, &url, &tokens, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
        candidate_tokens.push(doc["access_token"].as_str().unwrap().to_owned());
    }
    let tokens = [
        ("candidate", candidate_tokens[0].clone()),
        (
            "proctor",
            staff(&data, "acme", "proctor", "pat@acme.example", "15m"),
        ),
        (
            "reviewer",
            staff(&data, "acme", "reviewer", "alice@acme.example", "15m"),
        ),
        (
            "auditor",
            staff(&data, "acme", "auditor", "aud@acme.example", "15m"),
        ),
        (
            "admin",
            staff(&data, "acme", "admin", "root@acme.example", "15m"),
        ),
    ];
    let routes = [
        (
            "/v1/review/sessions",
            ["proctor", "reviewer", "auditor", "admin"].as_slice(),
        ),
        (
            "/v1/review/sessions/s-a1",
            ["reviewer", "auditor", "admin"].as_slice(),
        ),
        ("/v1/access-log", ["auditor", "admin"].as_slice()),
        (
            "/v1/sessions/s-a1",
            ["candidate", "proctor", "reviewer", "auditor", "admin"].as_slice(),
        ),
    ];
    for (route, allowed) in routes {
        for (role, token) in &tokens {
            let (status, body) = get(&format!("{url}{route}"), Some(token));
            if allowed.contains(role) {
                assert_eq!(status, StatusCode::OK, "{role} {route}: {body}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {route}: {body}");
                let why = body["message"].as_str().unwrap();
                assert!(why.contains(&format!("{role} token may not")), "{why}");
                assert!(why.contains("it takes a"), "{why}");
            }
        }
    }
    // A candidate's token reaches its own session only.
    let (status, body) = get(&format!("{url}/v1/sessions/s-a2"), Some(&tokens[0].1));
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // What the reviewer sees: both sessions, their records, the filters.
    let reviewer = &tokens[2].1;
    let (_, list) = get(&format!("{url}/v1/review/sessions"), Some(reviewer));
    let ids: Vec<_> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].clone())
        .collect();
    assert_eq!(ids, ["s-a1", "s-a2"]);
    let (_, one) = get(&format!("{url}/v1/review/sessions/s-a1"), Some(reviewer));
    assert_eq!(one["ended"], true, "{one}");
    assert_eq!(one["exam_id"], "physics");
    assert!(one["records"].as_u64().unwrap() > 300, "{one}");
    let (status, page) = get(&format!("{url}/v1/review/sessions?limit=1"), Some(reviewer));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["next_after"], "s-a1");
    let (status, _) = get(
        &format!("{url}/v1/review/sessions?min_severity=critical&ended=true"),
        Some(reviewer),
    );
    assert_eq!(status, StatusCode::OK);
    let (status, body) = get(
        &format!("{url}/v1/review/sessions?review=failed"),
        Some(reviewer),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("query is not understood"),
        "{body}"
    );

    // Another tenant's reviewer sees nothing of acme, not even that it exists.
    let theirs = staff(&data, "other", "reviewer", "mallory@other.example", "15m");
    let (status, list) = get(&format!("{url}/v1/review/sessions"), Some(&theirs));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["sessions"], serde_json::json!([]));
    let (status, _) = get(&format!("{url}/v1/review/sessions/s-a1"), Some(&theirs));
    assert_eq!(status, StatusCode::NOT_FOUND);

    // No token, an altered one, an expired one: 401, and no entry.
    let (status, _) = get(&format!("{url}/v1/review/sessions"), None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut altered = reviewer.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, _) = get(&format!("{url}/v1/review/sessions"), Some(&altered));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(&format!("{url}/v1/review/sessions"), Some(&expired(&data)));
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    // The access log: every attempt with a valid token, allowed or refused,
    // in order, chained; the other tenant's attempts are in its own log.
    let auditor = &tokens[3].1;
    let (status, log) = get(&format!("{url}/v1/access-log"), Some(auditor));
    assert_eq!(status, StatusCode::OK);
    let entries = log["entries"].as_array().unwrap();
    let refused: Vec<_> = entries.iter().filter(|e| e["allowed"] == false).collect();
    let allowed: Vec<_> = entries.iter().filter(|e| e["allowed"] == true).collect();
    // 3 tenant routes × 5 roles = 15 attempts, 9 of them allowed; then the
    // reviewer's 6 reads (one refused for its query before any entry), and
    // this read.
    assert_eq!(refused.len(), 6, "{log:#}");
    assert!(allowed.iter().any(|e| e["actor"] == "alice@acme.example"
        && e["role"] == "reviewer"
        && e["action"] == "view_session"
        && e["target"] == "s-a1"));
    assert!(
        refused
            .iter()
            .any(|e| e["actor"] == "candidate of s-a1" && e["action"] == "list_sessions")
    );
    let last = entries.last().unwrap();
    assert_eq!(
        (last["actor"].as_str(), last["action"].as_str()),
        (Some("aud@acme.example"), Some("read_access_log"))
    );
    assert!(
        entries
            .windows(2)
            .all(|w| w[1]["seq"].as_u64() == w[0]["seq"].as_u64().map(|s| s + 1))
    );
    assert!(
        !entries
            .iter()
            .any(|e| e["actor"] == "mallory@other.example")
    );
    // The chain recomputes from the first entry, and its head is cosigned
    // by the backend's key.
    let previous = access_chain_head("acme", entries);
    let note =
        paraakh_evidence::note::SignedNote::parse(log["checkpoint"].as_str().unwrap().as_bytes())
            .unwrap();
    assert_eq!(
        note.text(),
        format!(
            "paraakh access log v1\ntenant acme\nsize {}\nhead {previous}\n",
            entries.len()
        )
    );
    let backend_key = paraakh_evidence::NoteVerifier::parse(
        std::fs::read_to_string(data.join("backend.pub"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert!(note.verify_cosignature(&backend_key).is_ok());
    // The auditor's offline check of the saved log: intact; one refusal
    // turned into an allowed access afterwards is found.
    let saved = tmp.path().join("access-log.json");
    std::fs::write(&saved, log.to_string()).unwrap();
    let backend_pub = data.join("backend.pub");
    let out = paraakh(&[
        "review",
        "access-log",
        p(&saved),
        "--backend-key",
        p(&backend_pub),
        "--json",
    ]);
    let checked = json(&out);
    assert_eq!(out.status.code(), Some(0), "{checked:#}");
    assert_eq!(checked["entries"], entries.len(), "{checked:#}");
    assert_eq!(checked["vouched_size"], entries.len(), "{checked:#}");
    let refused = entries.iter().position(|e| e["allowed"] == false).unwrap();
    let mut altered = log.clone();
    altered["entries"][refused]["allowed"] = true.into();
    std::fs::write(&saved, altered.to_string()).unwrap();
    let out = paraakh(&[
        "review",
        "access-log",
        p(&saved),
        "--backend-key",
        p(&backend_pub),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("entry {refused}")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (_, theirs_log) = get(
        &format!("{url}/v1/access-log"),
        Some(&staff(&data, "other", "admin", "root@other.example", "15m")),
    );
    assert_eq!(
        theirs_log["entries"].as_array().unwrap().len(),
        3,
        "{theirs_log:#}"
    );
}

/// Recomputes a tenant's access log chain from its first entry (each
/// entry's hash must be the one recomputed); returns the head.
pub(super) fn access_chain_head(tenant: &str, entries: &[serde_json::Value]) -> String {
    let mut previous = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"].as_u64(), Some(i as u64), "a gap or repeat at {e}");
        let entry = paraakh_ingest::index::NewAccess {
            tenant: tenant.into(),
            at: e["at"].as_i64().unwrap(),
            actor: e["actor"].as_str().unwrap().into(),
            role: e["role"].as_str().unwrap().into(),
            action: e["action"].as_str().unwrap().into(),
            target: e["target"].as_str().unwrap().into(),
            allowed: e["allowed"].as_bool().unwrap(),
        };
        let hash = entry.chain_hash(&previous, i as u64);
        assert_eq!(e["hash"].as_str().unwrap(), hash);
        previous = hash;
    }
    previous
}

pub(super) fn post(
    url: &str,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let res = client()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .unwrap();
    let status = res.status();
    (status, res.json().unwrap_or(serde_json::Value::Null))
}

/// A decision made through the API: only a reviewer's token makes one; it
/// names the event by its record's hash, is signed with the reviewer's key,
/// cosigned by the backend, kept beside the evidence, counted in the index,
/// and verifies in the export an auditor receives.
#[test]
fn a_reviewers_decision_through_the_api_is_signed_cosigned_and_in_the_export() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let url = backend.url();
    let local = offline_session(t, "s-d1", 2, "100-2000");
    let out = sync(&local, &url, &token(&data, t, "acme", "s-d1"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&paraakh(&[
        "verify",
        p(&local),
        "--accept-machine-attested",
        "--json",
    ]));
    let serious: Vec<u64> = report["review"]["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert!(serious.len() >= 2, "{report:#}");
    let decisions = format!("{url}/v1/review/sessions/s-d1/decisions");
    let reviewer = staff(&data, "acme", "reviewer", "alice@acme.example", "15m");
    let decide = |token: &str, seq: u64, verdict: &str| {
        post(
            &decisions,
            token,
            serde_json::json!({"event_seq": seq, "verdict": verdict, "note": "checked the snapshot"}),
        )
    };

    // Auditors and admins read; they do not decide.
    for role in ["auditor", "admin"] {
        let token = staff(&data, "acme", role, &format!("{role}@acme.example"), "15m");
        let (status, body) = decide(&token, serious[0], "dismissed");
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("it takes a reviewer token"),
            "{body}"
        );
    }
    // Record 0 is not an event; a hash from another copy is refused.
    let (status, body) = decide(&reviewer, 0, "dismissed");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = post(
        &decisions,
        &reviewer,
        serde_json::json!({"event_seq": serious[0], "verdict": "confirmed", "event_hash": "00".repeat(32)}),
    );
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = decide(&reviewer, serious[0], "failed");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Every serious event decided: the first confirmed, then changed.
    let (status, first) = decide(&reviewer, serious[0], "second_review");
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["position"].as_u64(), first["reviewer"].as_str()),
        (Some(0), Some("alice@acme.example"))
    );
    let (_, row) = get(&format!("{url}/v1/review/sessions/s-d1"), Some(&reviewer));
    assert_eq!(row["review"], "pending_review", "{row}");
    for &seq in &serious {
        let (status, body) = decide(&reviewer, seq, "dismissed");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, row) = get(&format!("{url}/v1/review/sessions/s-d1"), Some(&reviewer));
    assert_eq!(row["review"], "reviewed", "{row}");
    assert_eq!(row["serious_decided"], serious.len());
    let (_, list) = get(
        &format!("{url}/v1/review/sessions?review=reviewed"),
        Some(&reviewer),
    );
    assert_eq!(list["sessions"][0]["session_id"], "s-d1");

    // The export verifies with the review log in it, cosigned by the backend.
    let copy = t.join("copy");
    super::sync::export(&data, "s-d1", &copy);
    assert!(copy.join("review").exists());
    let out = paraakh(&[
        "verify",
        p(&copy),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--accept-machine-attested",
        "--json",
    ]);
    let verified = json(&out);
    assert_eq!(verified["status"], "intact", "{verified:#}");
    let review = &verified["review"];
    assert_eq!(review["outcome"], "reviewed");
    assert_eq!(
        review["decisions"].as_array().unwrap().len(),
        serious.len() + 1
    );
    assert_eq!(review["decisions"][0]["superseded_by"], 1);
    assert!(
        review["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["backend_cosigned_at"].is_u64() && d["reviewer"] == "alice@acme.example")
    );
    // Alice's key (as the backend signs for her) can be pinned by an auditor.
    let alice = t.join("alice.pub");
    std::fs::write(&alice, first["reviewer_key"].as_str().unwrap()).unwrap();
    let out = paraakh(&[
        "verify",
        p(&copy),
        "--backend-key",
        p(&data.join("backend.pub")),
        "--accept-machine-attested",
        "--reviewer-key",
        p(&alice),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The access log has each decision with its target.
    let auditor = staff(&data, "acme", "auditor", "aud@acme.example", "15m");
    let (_, log) = get(&format!("{url}/v1/access-log"), Some(&auditor));
    let decided: Vec<_> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "decide" && e["allowed"] == true)
        .collect();
    assert_eq!(decided.len(), serious.len() + 4, "{log:#}");
    assert!(
        decided
            .iter()
            .any(|e| e["target"] == format!("s-d1 record {}: second_review", serious[0]))
    );
}

/// Evidence leaves a file-system store only through the backend's own
/// signed URLs: one object, a few minutes, the holder named; expired,
/// altered and other-tenant URLs are refused; issuing and downloading are
/// both in the access log.
#[test]
fn evidence_urls_are_signed_for_one_object_and_a_few_minutes() {
    use paraakh_ingest::evidence_url::{Grant, UrlKey};
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let data = t.join("backend");
    let backend = Backend::start(&data);
    let url = backend.url();
    let local = offline_session(t, "s-u1", 2, "100-2000");
    let out = sync(&local, &url, &token(&data, t, "acme", "s-u1"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let blob = std::fs::read_dir(local.join("blobs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let sha = blob.file_name().to_string_lossy().into_owned();
    let issue = |token: &str, session: &str, sha: &str| {
        let res = client()
            .post(format!(
                "{url}/v1/review/sessions/{session}/evidence/{sha}?ttl=60"
            ))
            .bearer_auth(token)
            .send()
            .unwrap();
        let status = res.status();
        (status, res.json::<serde_json::Value>().unwrap_or_default())
    };
    let reviewer = staff(&data, "acme", "reviewer", "alice@acme.example", "15m");
    let (status, signed) = issue(&reviewer, "s-u1", &sha);
    assert_eq!(status, StatusCode::OK, "{signed}");
    let path = signed["url"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with(&format!(
            "/v1/evidence/acme/s-u1/{sha}?by=alice%40acme.example&expires="
        )),
        "{path}"
    );
    let fetched = client().get(format!("{url}{path}")).send().unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(
        fetched.bytes().unwrap().as_ref(),
        std::fs::read(blob.path()).unwrap()
    );

    // Altered (another blob, another holder, another tenant, a later end),
    // expired: refused.
    let other_blob = "ab".repeat(32);
    let sig_at = path.find("&sig=").unwrap();
    for altered in [
        path.replace(&sha, &other_blob),
        path.replace("by=alice", "by=mallory"),
        path.replace("/acme/", "/other/"),
        path.replace("expires=", "expires=9"),
        format!("{}&sig={}", &path[..sig_at], "00".repeat(32)),
        path[..sig_at].to_owned(),
    ] {
        let res = client().get(format!("{url}{altered}")).send().unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{altered}");
    }
    let keys = paraakh_ingest::BackendKeys::load(&data).unwrap();
    let past = u64::try_from(paraakh_ingest::tokens::now_secs()).unwrap() - 5;
    let expired = UrlKey::of(&keys.cosigner).url(&Grant {
        tenant: "acme",
        session: "s-u1",
        sha256: &sha,
        by: "alice@acme.example",
        expires: past,
    });
    let res = client().get(format!("{url}{expired}")).send().unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    // Who may ask: not a proctor; another tenant's reviewer finds nothing.
    let proctor = staff(&data, "acme", "proctor", "pat@acme.example", "15m");
    assert_eq!(issue(&proctor, "s-u1", &sha).0, StatusCode::FORBIDDEN);
    let theirs = staff(&data, "other", "reviewer", "mallory@other.example", "15m");
    assert_eq!(issue(&theirs, "s-u1", &sha).0, StatusCode::NOT_FOUND);
    assert_eq!(
        issue(&reviewer, "s-u1", &other_blob).0,
        StatusCode::NOT_FOUND
    );

    // Both the issue and the download are in the tenant's log.
    let auditor = staff(&data, "acme", "auditor", "aud@acme.example", "15m");
    let (_, log) = get(&format!("{url}/v1/access-log"), Some(&auditor));
    let entries = log["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "fetch_evidence"
        && e["actor"] == "alice@acme.example"
        && e["target"] == format!("s-u1 blob {sha}")));
    let downloads: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "download_evidence")
        .collect();
    assert_eq!(downloads.len(), 1, "{log:#}");
    assert_eq!(downloads[0]["actor"], "alice@acme.example");
}
