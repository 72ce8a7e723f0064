//! JWT verification: published signature vectors for each allowed algorithm,
//! then a table of bad tokens, each refused with the problem named.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_policy::jwt::{
    Claims, Expected, JwtKey, PublicKey, Role, TOKEN_TYPE, ed25519_key, sign_eddsa, verify,
    verify_signature,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

/// RFC 8037 Appendix A.1 and A.4: the Ed25519 key and the signature of
/// "Example of Ed25519 signing" under the header {"alg":"EdDSA"}.
#[test]
fn rfc_8037_ed25519_vector() {
    let key = PublicKey::from_jwk(&serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    }))
    .unwrap();
    let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    let sig = B64URL
        .decode("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
        .unwrap();
    assert!(key.verify(input, &sig));
    assert!(!key.verify(
        b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmd",
        &sig
    ));
    // The same signature from the RFC's private key, signed here: Ed25519 is deterministic.
    let seed: [u8; 32] = B64URL
        .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
        .unwrap()
        .try_into()
        .unwrap();
    let signer = NoteSigner::from_seed("rfc8037", SIG_TYPE_ED25519, &seed).unwrap();
    assert_eq!(signer.sign(input).to_vec(), sig);
}

const RFC7515_INPUT: &[u8] = b"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

/// RFC 7515 Appendix A.3: the ES256 example key and signature.
#[test]
fn rfc_7515_es256_vector() {
    let key = PublicKey::from_jwk(&serde_json::json!({
        "kty": "EC", "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    }))
    .unwrap();
    let mut sig = B64URL
        .decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q")
        .unwrap();
    assert!(key.verify(RFC7515_INPUT, &sig));
    sig[10] ^= 1;
    assert!(!key.verify(RFC7515_INPUT, &sig));
}

const RFC7515_A2_N: &str = concat!(
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs",
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV",
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
);
const RFC7515_A2_SIG: &str = concat!(
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQj",
    "bKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZE",
    "Sc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
);

/// RFC 7515 Appendix A.2: the RS256 example key and signature.
#[test]
fn rfc_7515_rs256_vector() {
    let key =
        PublicKey::from_jwk(&serde_json::json!({"kty": "RSA", "n": RFC7515_A2_N, "e": "AQAB"}))
            .unwrap();
    let input = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let sig = B64URL.decode(RFC7515_A2_SIG).unwrap();
    assert!(key.verify(input, &sig));
    assert!(!key.verify(RFC7515_INPUT, &sig));
}

#[test]
fn the_rfc_tokens_are_refused_as_they_lack_kid_and_typ() {
    // Valid signatures, but no explicit typing and no key id: RFC 8725 says refuse.
    let key = JwtKey {
        kid: "2011-04-29".into(),
        issuer: "joe".into(),
        key: PublicKey::from_jwk(
            &serde_json::json!({"kty": "RSA", "n": RFC7515_A2_N, "e": "AQAB"}),
        )
        .unwrap(),
    };
    let token = format!(
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.{RFC7515_A2_SIG}"
    );
    let err = verify_signature(&token, &[key]).unwrap_err();
    assert!(err.to_string().contains("no \"typ\""), "{err}");
}

fn rsa_pinned() -> JwtKey {
    JwtKey {
        kid: "rsa-1".into(),
        issuer: "https://exams.example.org".into(),
        key: PublicKey::from_jwk(
            &serde_json::json!({"kty": "RSA", "n": RFC7515_A2_N, "e": "AQAB"}),
        )
        .unwrap(),
    }
}

const NOW: i64 = 1_790_000_000;

fn claims() -> Claims {
    Claims {
        iss: "https://exams.example.org".into(),
        sub: Some("candidate-42".into()),
        aud: vec!["paraakh-client".into()],
        exp: NOW + 3600,
        nbf: Some(NOW - 10),
        iat: NOW - 10,
        jti: "link-7f3a".into(),
        role: Role::Candidate,
        tenant: "acme-university".into(),
        exam: Some("physics-101-final".into()),
        session: None,
    }
}

fn expected() -> Expected<'static> {
    Expected {
        typ: TOKEN_TYPE,
        audience: "paraakh-client",
        tenant: "acme-university",
        roles: &[Role::Candidate],
        exam: Some("physics-101-final"),
        session: None,
        now: NOW,
        max_lifetime_secs: 7 * 24 * 3600,
    }
}

struct Keys {
    ed: NoteSigner,
    ec: EcdsaKeyPair,
    pinned: Vec<JwtKey>,
}

fn keys() -> Keys {
    let ed = NoteSigner::generate("tenant", SIG_TYPE_ED25519).unwrap();
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let ec =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let pinned = vec![
        ed25519_key("ed-1", "https://exams.example.org", &ed),
        JwtKey {
            kid: "ec-1".into(),
            issuer: "https://exams.example.org".into(),
            key: PublicKey::P256(ec.public_key().as_ref().to_vec()),
        },
        rsa_pinned(),
    ];
    Keys { ed, ec, pinned }
}

/// A token with any header and claims, signed with the Ed25519 or P-256 key.
fn token(k: &Keys, header: serde_json::Value, claims: &serde_json::Value, with: &str) -> String {
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let sig = match with {
        "ed" => k.ed.sign(input.as_bytes()).to_vec(),
        "ec" => {
            k.ec.sign(&SystemRandom::new(), input.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec()
        }
        _ => b"not a signature".to_vec(),
    };
    format!("{input}.{}", B64URL.encode(sig))
}

fn claims_json() -> serde_json::Value {
    serde_json::to_value(claims()).unwrap()
}

fn with_claim(name: &str, value: serde_json::Value) -> serde_json::Value {
    let mut c = claims_json();
    if value.is_null() {
        c.as_object_mut().unwrap().remove(name);
    } else {
        c[name] = value;
    }
    c
}

fn ed_header() -> serde_json::Value {
    serde_json::json!({"alg": "EdDSA", "typ": TOKEN_TYPE, "kid": "ed-1"})
}

#[test]
fn good_eddsa_and_es256_tokens_verify() {
    let k = keys();
    let t = sign_eddsa(&claims(), "ed-1", &k.ed);
    assert_eq!(verify(&t, &k.pinned, &expected()).unwrap(), claims());
    let t = token(
        &k,
        serde_json::json!({"alg": "ES256", "typ": TOKEN_TYPE, "kid": "ec-1"}),
        &claims_json(),
        "ec",
    );
    assert_eq!(verify(&t, &k.pinned, &expected()).unwrap().jti, "link-7f3a");
    // An audience list that includes this client is fine.
    let t = token(
        &k,
        ed_header(),
        &with_claim("aud", serde_json::json!(["other", "paraakh-client"])),
        "ed",
    );
    assert!(verify(&t, &k.pinned, &expected()).is_ok());
}

#[test]
fn bad_tokens_are_refused_with_the_problem_named() {
    let k = keys();
    let good = sign_eddsa(&claims(), "ed-1", &k.ed);
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let flip = |part: &str| {
        let mut b = B64URL.decode(part).unwrap();
        b[5] ^= 1;
        B64URL.encode(b)
    };
    let hdr = |extra: serde_json::Value| {
        let mut h = ed_header();
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                h.as_object_mut().unwrap().remove(k);
            } else {
                h[k] = v.clone();
            }
        }
        h
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            format!(
                "{}.{p}.",
                B64URL.encode(r#"{"alg":"none","typ":"paraakh+jwt","kid":"ed-1"}"#)
            ),
            "unsigned (alg \"none\")",
        ),
        (
            "alg None in another case",
            token(
                &k,
                hdr(serde_json::json!({"alg": "None"})),
                &claims_json(),
                "ed",
            ),
            "unsigned",
        ),
        (
            "alg HS256 (HMAC with a public key as secret)",
            token(
                &k,
                hdr(serde_json::json!({"alg": "HS256"})),
                &claims_json(),
                "ed",
            ),
            "algorithm \"HS256\" is not allowed",
        ),
        (
            "alg confusion: ES256 claimed for the Ed25519 key",
            token(
                &k,
                hdr(serde_json::json!({"alg": "ES256"})),
                &claims_json(),
                "ec",
            ),
            "algorithm confusion",
        ),
        (
            "alg confusion: EdDSA claimed for the RSA key",
            token(
                &k,
                hdr(serde_json::json!({"kid": "rsa-1"})),
                &claims_json(),
                "ed",
            ),
            "algorithm confusion",
        ),
        (
            "embedded jwk",
            token(
                &k,
                hdr(serde_json::json!({"jwk": {"kty": "OKP"}})),
                &claims_json(),
                "ed",
            ),
            "header parameter \"jwk\" is refused",
        ),
        (
            "jku",
            token(
                &k,
                hdr(serde_json::json!({"jku": "https://evil.example/keys"})),
                &claims_json(),
                "ed",
            ),
            "\"jku\" is refused",
        ),
        (
            "x5u",
            token(
                &k,
                hdr(serde_json::json!({"x5u": "https://evil.example/cert"})),
                &claims_json(),
                "ed",
            ),
            "\"x5u\" is refused",
        ),
        (
            "crit",
            token(
                &k,
                hdr(serde_json::json!({"crit": ["exp"]})),
                &claims_json(),
                "ed",
            ),
            "\"crit\" is refused",
        ),
        (
            "no kid",
            token(
                &k,
                hdr(serde_json::json!({"kid": null})),
                &claims_json(),
                "ed",
            ),
            "no \"kid\"",
        ),
        (
            "unknown kid",
            token(
                &k,
                hdr(serde_json::json!({"kid": "someone-else"})),
                &claims_json(),
                "ed",
            ),
            "does not trust",
        ),
        (
            "no typ",
            token(
                &k,
                hdr(serde_json::json!({"typ": null})),
                &claims_json(),
                "ed",
            ),
            "no \"typ\"",
        ),
        (
            "another typ (an access token)",
            token(
                &k,
                hdr(serde_json::json!({"typ": "at+jwt"})),
                &claims_json(),
                "ed",
            ),
            "is required: it is a token for something else",
        ),
        (
            "altered payload",
            format!("{h}.{}.{s}", flip(p)),
            "signature does not match",
        ),
        (
            "altered signature",
            format!("{h}.{p}.{}", flip(s)),
            "signature does not match",
        ),
        (
            "signature from another key",
            sign_eddsa(
                &claims(),
                "ed-1",
                &NoteSigner::generate("x", SIG_TYPE_ED25519).unwrap(),
            ),
            "signature does not match",
        ),
        ("two parts", format!("{h}.{p}"), "exactly three"),
        ("four parts", format!("{good}.x"), "exactly three"),
        (
            "padded base64",
            format!("{h}=.{p}.{s}"),
            "header is not base64url",
        ),
        (
            "header not JSON",
            format!("{}.{p}.{s}", B64URL.encode("alg")),
            "not a JSON object",
        ),
        ("oversize", "a".repeat(9000), "limited to 8 KiB"),
        (
            "expired",
            token(
                &k,
                ed_header(),
                &with_claim("exp", (NOW - 120).into()),
                "ed",
            ),
            "expired",
        ),
        (
            "not yet valid",
            token(
                &k,
                ed_header(),
                &with_claim("nbf", (NOW + 600).into()),
                "ed",
            ),
            "not valid before",
        ),
        (
            "issued in the future",
            token(
                &k,
                ed_header(),
                &with_claim("iat", (NOW + 600).into()),
                "ed",
            ),
            "issued in the future",
        ),
        (
            "lifetime too long",
            token(
                &k,
                ed_header(),
                &with_claim("exp", (NOW + 30 * 24 * 3600).into()),
                "ed",
            ),
            "at most 604800 s",
        ),
        (
            "wrong issuer",
            token(
                &k,
                ed_header(),
                &with_claim("iss", "https://evil.example".into()),
                "ed",
            ),
            "signs only for",
        ),
        (
            "wrong audience",
            token(
                &k,
                ed_header(),
                &with_claim("aud", "another-app".into()),
                "ed",
            ),
            "meant for \"another-app\"",
        ),
        (
            "wrong tenant",
            token(
                &k,
                ed_header(),
                &with_claim("tenant", "other-university".into()),
                "ed",
            ),
            "belongs to tenant \"other-university\"",
        ),
        (
            "wrong role",
            token(&k, ed_header(), &with_claim("role", "proctor".into()), "ed"),
            "a proctor token cannot be used here",
        ),
        (
            "unknown role",
            token(
                &k,
                ed_header(),
                &with_claim("role", "superuser".into()),
                "ed",
            ),
            "claims are invalid",
        ),
        (
            "candidate without an exam",
            token(
                &k,
                ed_header(),
                &with_claim("exam", serde_json::Value::Null),
                "ed",
            ),
            "must name its exam",
        ),
        (
            "candidate token for another exam",
            token(
                &k,
                ed_header(),
                &with_claim("exam", "chemistry-201".into()),
                "ed",
            ),
            "a candidate token starts one exam only",
        ),
        (
            "no jti",
            token(
                &k,
                ed_header(),
                &with_claim("jti", serde_json::Value::Null),
                "ed",
            ),
            "claims are invalid",
        ),
        (
            "empty jti",
            token(&k, ed_header(), &with_claim("jti", "".into()), "ed"),
            "\"jti\" must be 1 to 128",
        ),
        (
            "exp as a string",
            token(&k, ed_header(), &with_claim("exp", "tomorrow".into()), "ed"),
            "claims are invalid",
        ),
    ];
    for (name, input, expect) in cases {
        let err = match verify(&input, &k.pinned, &expected()) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(expect),
            "{name}: the message\n{err}\ndoes not contain {expect:?}"
        );
    }
}

#[test]
fn an_upload_token_is_for_its_own_session_only() {
    let k = keys();
    let for_session =
        |session: serde_json::Value| token(&k, ed_header(), &with_claim("session", session), "ed");
    let expect = Expected {
        session: Some("s-1"),
        ..expected()
    };
    assert!(verify(&for_session("s-1".into()), &k.pinned, &expect).is_ok());
    for (name, input) in [
        ("another session", for_session("s-2".into())),
        ("no session", for_session(serde_json::Value::Null)),
    ] {
        let err = verify(&input, &k.pinned, &expect).unwrap_err().to_string();
        assert!(
            err.contains("an upload token covers one session only"),
            "{name}: {err}"
        );
    }
    // Without a session expected, the claim is not required.
    assert!(
        verify(
            &for_session(serde_json::Value::Null),
            &k.pinned,
            &expected()
        )
        .is_ok()
    );
}

#[test]
fn pinned_keys_are_checked_when_read() {
    assert!(PublicKey::from_jwk(&serde_json::json!({"kty": "oct", "k": "AAAA"})).is_err());
    assert!(
        PublicKey::from_jwk(&serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}))
            .unwrap_err()
            .to_string()
            .contains("2048 bits")
    );
    assert!(PublicKey::from_jwk(&serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "x"
    }))
    .unwrap_err()
    .to_string()
    .contains("private key"));
}
