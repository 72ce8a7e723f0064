use proptest::prelude::*;

use super::*;

fn reviewer() -> NoteSigner {
    NoteSigner::from_seed("alice@acme.example", SIG_TYPE_ED25519, &[7; 32]).unwrap()
}

fn decision(note: &str) -> Decision {
    Decision {
        origin: "paraakh.app/evidence/acme/s-1".into(),
        position: 2,
        previous_root: [1; 32],
        event_seq: 42,
        event_hash: [2; 32],
        verdict: Verdict::SecondReview,
        reviewer: reviewer().verifier(),
        time: 1_796_630_400,
        note: note.into(),
    }
}

#[test]
fn a_decision_reads_back_as_written_and_only_in_its_one_form() {
    let d = decision("Two people \"visible\"\nfor 40 s.\tSee the snapshot.");
    let text = d.to_text();
    assert!(text.starts_with(
        "paraakh review decision v1\norigin paraakh.app/evidence/acme/s-1\nposition 2\n"
    ));
    assert!(text.contains("\ndecision second_review\n"));
    assert_eq!(Decision::parse(&text).unwrap(), d);
    // Every other spelling of the same decision is refused.
    for other in [
        text.replace("position 2", "position 02"),
        text.replace("decision second_review", "decision second-review"),
        text.replace("time 1796630400", "time +1796630400"),
        text.replace("\nnote ", "\nnote  "),
        format!("{text}extra\n"),
        text.trim_end().to_owned(),
        text.replacen("origin", "Origin", 1),
    ] {
        assert!(Decision::parse(&other).is_err(), "{other}");
    }
}

#[test]
fn a_signed_decision_names_its_reviewer_and_refuses_another_signature() {
    let d = decision("ok");
    let signed = SignedNote::sign(&d.to_text(), &[&reviewer()]).unwrap();
    let parsed = SignedDecision::parse(signed.encode().as_bytes()).unwrap();
    assert_eq!(parsed.decision, d);
    // Signed by someone else than the key the decision names.
    let mallory = NoteSigner::from_seed("alice@acme.example", SIG_TYPE_ED25519, &[9; 32]).unwrap();
    let forged = SignedNote::sign(&d.to_text(), &[&mallory]).unwrap();
    assert!(matches!(
        SignedDecision::parse(forged.encode().as_bytes()),
        Err(ReviewError::Signature(_))
    ));
    // The verdict changed after signing.
    let altered = signed
        .encode()
        .replace("decision second_review", "decision dismissed");
    assert!(SignedDecision::parse(altered.as_bytes()).is_err());
}

#[test]
fn notes_are_plain_text_of_bounded_size() {
    assert!(check_note("").is_ok());
    assert!(check_note("line one\nline two\ttabbed, ünïcode").is_ok());
    assert!(check_note("bell\u{7}").is_err());
    assert!(check_note(&"x".repeat(MAX_NOTE_BYTES + 1)).is_err());
}

#[test]
fn verdict_names_are_stable() {
    let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(names, ["confirmed", "dismissed", "second_review"]);
    for v in Verdict::ALL {
        assert_eq!(Verdict::parse(v.as_str()), Some(v));
        assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
    }
    assert!(!Verdict::SecondReview.decides());
}

proptest! {
    #[test]
    fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,300}") {
        let _ = Decision::parse(&text);
        let _ = SignedDecision::parse(text.as_bytes());
    }

    #[test]
    fn any_note_round_trips(note in "[^\\p{Cc}]{0,200}") {
        let d = decision(&note);
        prop_assert_eq!(Decision::parse(&d.to_text()).unwrap(), d);
    }
}
