//! Join links (single use, revocation online and offline), the managed
//! configuration that a user cannot override, and tenant isolation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_policy::config::{InstallConfig, Source};
use paraakh_policy::envelope::Envelope;
use paraakh_policy::jwt::{Claims, JwtKey, Role, ed25519_key, sign_eddsa};
use paraakh_policy::links::{
    LinkError, LinkTrust, REVOCATIONS_TYPE, RevocationCheck, RevocationList, UsedTokens,
    accept_join_link, parse_join_link,
};
use paraakh_policy::tenants::{DataRoot, TenantError};

const NOW: i64 = 1_790_000_000;

fn claims(jti: &str) -> Claims {
    Claims {
        iss: "https://exams.acme.example".into(),
        sub: None,
        aud: vec!["paraakh-client".into()],
        exp: NOW + 3600,
        nbf: None,
        iat: NOW,
        jti: jti.into(),
        role: Role::Candidate,
        tenant: "acme".into(),
        exam: Some("physics-101".into()),
        session: None,
    }
}

struct Setup {
    tenant_key: NoteSigner,
    token_key: NoteSigner,
    pinned: Vec<JwtKey>,
    tmp: tempfile::TempDir,
}

fn setup() -> Setup {
    let token_key = NoteSigner::generate("tokens", SIG_TYPE_ED25519).unwrap();
    Setup {
        tenant_key: NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap(),
        pinned: vec![ed25519_key("k1", "https://exams.acme.example", &token_key)],
        token_key,
        tmp: tempfile::tempdir().unwrap(),
    }
}

fn link(s: &Setup, jti: &str) -> String {
    format!(
        "paraakh://join?tenant=acme&token={}",
        sign_eddsa(&claims(jti), "k1", &s.token_key)
    )
}

fn revocations(s: &Setup, revoked: &[&str], next_update: i64) -> Vec<u8> {
    let list = serde_json::json!({
        "format": "paraakh-revocations/1", "tenant": "acme", "issued_at": NOW - 60,
        "next_update": next_update, "revoked": revoked,
    });
    Envelope::sign(
        REVOCATIONS_TYPE,
        list.to_string().into_bytes(),
        &s.tenant_key,
    )
    .to_json()
    .into_bytes()
}

fn accept(s: &Setup, text: &str, check: RevocationCheck<'_>) -> Result<Claims, LinkError> {
    let trust = LinkTrust {
        keys: &s.pinned,
        audience: "paraakh-client",
        max_lifetime_secs: 14 * 86_400,
    };
    let used = UsedTokens::new(s.tmp.path().join("used"));
    accept_join_link(&parse_join_link(text)?, &trust, check, &used, NOW)
}

#[test]
fn a_link_starts_one_exam_once() {
    let s = setup();
    let l = link(&s, "jti-1");
    let c = accept(&s, &l, RevocationCheck::Online { revoked: false }).unwrap();
    assert_eq!(c.exam.as_deref(), Some("physics-101"));
    let again = accept(&s, &l, RevocationCheck::Online { revoked: false }).unwrap_err();
    assert!(matches!(again, LinkError::Replayed(_)), "{again}");
    // Another link works; the https form is accepted too.
    let https = link(&s, "jti-2").replace("paraakh://join?", "https://exams.acme.example/join?");
    accept(&s, &https, RevocationCheck::Online { revoked: false }).unwrap();
}

#[test]
fn revoked_links_are_refused_online_and_offline() {
    let s = setup();
    let online = accept(
        &s,
        &link(&s, "jti-3"),
        RevocationCheck::Online { revoked: true },
    )
    .unwrap_err();
    assert!(online.to_string().contains("was revoked"), "{online}");

    let list = RevocationList::load(
        &revocations(&s, &["jti-4"], NOW + 3600),
        &[s.tenant_key.verifier()],
        "acme",
        NOW,
    )
    .unwrap();
    let offline = accept(&s, &link(&s, "jti-4"), RevocationCheck::Offline(&list)).unwrap_err();
    assert!(matches!(offline, LinkError::Revoked(_)), "{offline}");
    accept(&s, &link(&s, "jti-5"), RevocationCheck::Offline(&list)).unwrap();
}

#[test]
fn revocation_lists_must_be_signed_fresh_and_for_this_tenant() {
    let s = setup();
    let trusted = [s.tenant_key.verifier()];
    let stale =
        RevocationList::load(&revocations(&s, &[], NOW - 1), &trusted, "acme", NOW).unwrap_err();
    assert!(
        stale.to_string().contains("the revocation list expired"),
        "{stale}"
    );
    let other_tenant =
        RevocationList::load(&revocations(&s, &[], NOW + 60), &trusted, "other", NOW).unwrap_err();
    assert!(
        other_tenant.to_string().contains("not \"other\""),
        "{other_tenant}"
    );
    let stranger = NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap();
    let untrusted = RevocationList::load(
        &revocations(&s, &[], NOW + 60),
        &[stranger.verifier()],
        "acme",
        NOW,
    )
    .unwrap_err();
    assert!(
        untrusted.to_string().contains("does not trust"),
        "{untrusted}"
    );
}

#[test]
fn malformed_links_are_refused_with_the_problem_named() {
    let s = setup();
    let token = sign_eddsa(&claims("x"), "k1", &s.token_key);
    let cases: Vec<(&str, String, &str)> = vec![
        ("not a link", "hello".into(), "starts with paraakh://join?"),
        (
            "another scheme",
            format!("http://exams.acme.example/join?tenant=acme&token={token}"),
            "starts with",
        ),
        (
            "another path",
            format!("https://exams.acme.example/login?tenant=acme&token={token}"),
            "its path is not /join",
        ),
        (
            "bad host",
            format!("https://EVIL/join?tenant=acme&token={token}"),
            "is not a host name",
        ),
        (
            "no tenant",
            format!("paraakh://join?token={token}"),
            "names no tenant",
        ),
        (
            "no token",
            "paraakh://join?tenant=acme".into(),
            "carries no token",
        ),
        (
            "parameter twice",
            format!("paraakh://join?tenant=acme&tenant=evil&token={token}"),
            "appears twice",
        ),
        (
            "unknown parameter",
            format!("paraakh://join?tenant=acme&token={token}&redirect=x"),
            "unexpected parameter \"redirect\"",
        ),
        (
            "tenant with a path",
            format!("paraakh://join?tenant=..%2Fother&token={token}"),
            "is not a tenant id",
        ),
        (
            "broken escape",
            format!("paraakh://join?tenant=acme%2&token={token}"),
            "incomplete",
        ),
        (
            "oversize",
            format!("paraakh://join?tenant=acme&token={}", "a".repeat(11_000)),
            "too long",
        ),
        (
            "link for another tenant than its token",
            format!("paraakh://join?tenant=other&token={token}"),
            "belongs to tenant \"acme\"",
        ),
    ];
    for (name, input, expect) in cases {
        let err = accept(&s, &input, RevocationCheck::Online { revoked: false })
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(expect),
            "{name}: the message\n{err}\ndoes not contain {expect:?}"
        );
    }
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn tenant_toml(id: &str, key: &NoteSigner) -> String {
    format!(
        "[tenants.{id}]\nname = \"{id}\"\nsigning_keys = [\"{}\"]\n",
        key.verifier().encode()
    )
}

#[test]
fn a_managed_configuration_cannot_be_overridden_by_the_user() {
    let s = setup();
    let managed = s.tmp.path().join("etc/paraakh/config.toml");
    let user = s.tmp.path().join("home/.config/paraakh/config.toml");
    let impostor = NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap();
    write(
        &managed,
        &format!(
            "data_dir = \"/var/lib/paraakh\"\n{}",
            tenant_toml("acme", &s.tenant_key)
        ),
    );
    write(
        &user,
        &format!(
            "data_dir = \"/tmp/mine\"\n{}{}",
            tenant_toml("acme", &impostor),
            tenant_toml("hobby", &impostor)
        ),
    );

    let c = InstallConfig::load(&managed, Some(&user), s.tmp.path()).unwrap();
    assert_eq!(
        c.tenant("acme").unwrap().signing_keys,
        vec![s.tenant_key.verifier()],
        "the user replaced a managed tenant's key"
    );
    assert_eq!(c.tenant("acme").unwrap().source, Source::Managed);
    assert_eq!(c.tenant("hobby").unwrap().source, Source::User);
    assert_eq!(c.data_dir, std::path::PathBuf::from("/var/lib/paraakh"));
    assert_eq!(c.ignored.len(), 2, "{:?}", c.ignored);

    // Locked: the user's file is ignored entirely.
    write(
        &managed,
        &format!("lock = true\n{}", tenant_toml("acme", &s.tenant_key)),
    );
    let c = InstallConfig::load(&managed, Some(&user), s.tmp.path()).unwrap();
    assert!(c.locked && c.tenant("hobby").is_none());
    assert!(
        c.ignored[0].contains("managed and locked"),
        "{:?}",
        c.ignored
    );

    // Without a managed file the user's configuration applies.
    let c =
        InstallConfig::load(&s.tmp.path().join("none.toml"), Some(&user), s.tmp.path()).unwrap();
    assert_eq!(
        c.tenant("acme").unwrap().signing_keys,
        vec![impostor.verifier()]
    );
    assert_eq!(c.data_dir, std::path::PathBuf::from("/tmp/mine"));
}

#[test]
fn invalid_configurations_list_every_problem() {
    let s = setup();
    let path = s.tmp.path().join("config.toml");
    write(
        &path,
        "[tenants.\"../x\"]\nname = \"x\"\nsigning_keys = []\n\n[tenants.acme]\nname = \"a\"\nsigning_keys = [\"nope\"]\nbackend_url = \"http://exams.acme.example\"\nmax_link_lifetime_days = 0\n",
    );
    let err = InstallConfig::load(&path, None, s.tmp.path())
        .unwrap_err()
        .to_string();
    for expect in [
        "tenants.../x: not a valid tenant id",
        "at least one signing key",
        "tenants.acme.signing_keys[0]",
        "tenants.acme.backend_url",
        "max_link_lifetime_days: must be 1 to 365",
    ] {
        assert!(err.contains(expect), "{expect:?} missing from:\n{err}");
    }
    write(
        &path,
        "[tenants.acme]\nname = \"a\"\nsigning_keys = []\ncolour = 1\n",
    );
    assert!(
        InstallConfig::load(&path, None, s.tmp.path())
            .unwrap_err()
            .to_string()
            .contains("unknown field `colour`")
    );
    let user = s.tmp.path().join("user.toml");
    write(&user, "lock = true\n");
    let err =
        InstallConfig::load(&s.tmp.path().join("none"), Some(&user), s.tmp.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("only the managed configuration can lock"),
        "{err}"
    );
}

#[test]
fn one_tenant_never_reads_or_lists_another_tenants_sessions() {
    let s = setup();
    let root = DataRoot::new(s.tmp.path().join("data"));
    let acme = root.tenant("acme").unwrap();
    let other = root.tenant("other").unwrap();
    std::fs::create_dir(acme.session_dir("s1").unwrap()).unwrap();
    std::fs::create_dir(other.session_dir("secret").unwrap()).unwrap();
    assert_eq!(acme.sessions().unwrap(), ["s1"]);
    assert_eq!(other.sessions().unwrap(), ["secret"]);

    // Ids cannot climb out of the tenant directory.
    for bad in ["../other", "..", ".", "a/b", ""] {
        assert!(
            matches!(acme.session_dir(bad), Err(TenantError::BadId { .. })),
            "{bad}"
        );
        assert!(
            matches!(root.tenant(bad), Err(TenantError::BadId { .. })),
            "{bad}"
        );
    }
    // A symlink planted in one tenant's sessions is neither listed nor followed.
    std::os::unix::fs::symlink(
        other.session_dir("secret").unwrap(),
        acme.path().join("sessions/stolen"),
    )
    .unwrap();
    assert_eq!(acme.sessions().unwrap(), ["s1"]);
    assert!(matches!(
        acme.session_dir("stolen"),
        Err(TenantError::Escapes(_))
    ));

    // Tenant directories are private to the user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(acme.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn symlinked_tenant_or_sessions_directories_are_refused() {
    let s = setup();
    let data = s.tmp.path().join("data");
    let root = DataRoot::new(&data);
    let victim = root.tenant("victim").unwrap();
    std::fs::create_dir(victim.session_dir("secret").unwrap()).unwrap();
    // A tenant directory that is a link to another tenant's.
    std::os::unix::fs::symlink(victim.path(), data.join("tenants/thief")).unwrap();
    assert!(matches!(root.tenant("thief"), Err(TenantError::Escapes(_))));
    // A sessions directory that is a link to another tenant's sessions.
    let other = root.tenant("other").unwrap();
    std::fs::remove_dir(other.path().join("sessions")).unwrap();
    std::os::unix::fs::symlink(
        victim.path().join("sessions"),
        other.path().join("sessions"),
    )
    .unwrap();
    assert!(matches!(other.sessions(), Err(TenantError::Escapes(_))));
    assert!(matches!(
        other.session_dir("secret"),
        Err(TenantError::Escapes(_))
    ));
    assert!(matches!(root.tenant("other"), Err(TenantError::Escapes(_))));
}

#[test]
fn a_user_cannot_move_the_data_directory_of_a_managed_installation() {
    let s = setup();
    let managed = s.tmp.path().join("managed.toml");
    let user = s.tmp.path().join("user.toml");
    write(&managed, &tenant_toml("acme", &s.tenant_key));
    write(&user, "data_dir = \"/tmp/elsewhere\"\n");
    let c = InstallConfig::load(&managed, Some(&user), s.tmp.path()).unwrap();
    assert_eq!(c.data_dir, s.tmp.path());
    assert!(
        c.ignored[0].contains("this installation is managed"),
        "{:?}",
        c.ignored
    );
}

#[test]
fn concurrent_uses_of_one_link_let_exactly_one_through() {
    let s = setup();
    let path = s.tmp.path().join("used");
    let results: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    UsedTokens::new(&path)
                        .use_once("same-jti", NOW + 60, NOW)
                        .is_ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    // Different links used at once are all recorded.
    std::thread::scope(|scope| {
        for i in 0..8 {
            let path = &path;
            scope.spawn(move || {
                UsedTokens::new(path)
                    .use_once(&format!("jti-{i}"), NOW + 60, NOW)
                    .unwrap()
            });
        }
    });
    for i in 0..8 {
        assert!(matches!(
            UsedTokens::new(&path).use_once(&format!("jti-{i}"), NOW + 60, NOW),
            Err(LinkError::Replayed(_))
        ));
    }
}

/// A candidate's own configuration cannot make their own key a centre key
/// (whose signed launch files may loosen the policy); the managed one can.
#[test]
fn only_the_managed_configuration_trusts_centre_keys() {
    let s = setup();
    let centre = NoteSigner::generate("centre.example", SIG_TYPE_ED25519).unwrap();
    let line = format!("centre_keys = [\"{}\"]\n", centre.verifier().encode());
    let user = s.tmp.path().join("user.toml");
    write(&user, &line);
    let err = InstallConfig::load(&s.tmp.path().join("none"), Some(&user), s.tmp.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("only the managed configuration"), "{err}");

    let managed = s.tmp.path().join("managed.toml");
    write(&managed, &line);
    let c = InstallConfig::load(&managed, None, s.tmp.path()).unwrap();
    assert_eq!(c.centre_keys, vec![centre.verifier()]);

    write(&managed, "centre_keys = [\"not a key\"]\n");
    let err = InstallConfig::load(&managed, None, s.tmp.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("centre_keys[0]"), "{err}");
}
