//! The command line's grammar (docs/cli.md), checked on the command tree
//! `paraakh grammar tree --json` prints: one meaning per flag name, `--json`
//! everywhere, one duration syntax, old spellings that still mean the same
//! and say so on stderr only, and docs/cli.md listing all of it.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use serde_json::Value;

use super::{json, paraakh, repo_file, stderr};

/// Samples every duration flag's own parser is run on, and what each must give.
const DURATIONS: &[(&str, Option<f64>)] = &[
    ("90s", Some(90.0)),
    ("90", Some(90.0)),
    ("0.5", Some(0.5)),
    ("10m", Some(600.0)),
    ("10min", Some(600.0)),
    ("2h", Some(7200.0)),
    ("1.5h", Some(5400.0)),
    ("14d", Some(1_209_600.0)),
    (" 2h ", Some(7200.0)),
    ("10x", None),
    ("-5s", None),
    ("+5s", None),
    ("", None),
    ("1e3", None),
    ("5ms", None),
    ("inf", None),
    ("3651d", None),
];

/// One argument of one subcommand, as the tree shows it.
#[derive(Debug, Clone)]
struct Flag {
    command: String,
    long: String,
    takes_value: bool,
    value_name: String,
    value_type: String,
    hidden: bool,
    deprecated: bool,
    aliases: Vec<String>,
    required: bool,
    positional: bool,
    help: String,
    probe: Option<Value>,
}

struct Tree {
    /// Visible leaf subcommands ("verify", "ingest serve", ...).
    leaves: Vec<String>,
    /// Every argument of every visible leaf.
    args: Vec<Flag>,
}

fn tree_from(out: &Output) -> Tree {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    let doc = json(out);
    let mut leaves = Vec::new();
    let mut args = Vec::new();
    for c in doc["commands"].as_array().unwrap() {
        if c["hidden"] == true || c["leaf"] != true {
            continue;
        }
        let command = c["path"].as_str().unwrap().to_owned();
        leaves.push(command.clone());
        for a in c["args"].as_array().unwrap() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            args.push(Flag {
                command: command.clone(),
                long: text(&a["long"]),
                takes_value: a["takes_value"] == true,
                value_name: a["value_names"]
                    .as_array()
                    .and_then(|v| v.first())
                    .map(text)
                    .unwrap_or_default(),
                value_type: text(&a["value_type"]),
                hidden: a["hidden"] == true,
                deprecated: a["deprecated"] == true,
                aliases: a["aliases"].as_array().unwrap().iter().map(text).collect(),
                required: a["required"] == true,
                positional: a["positional"] == true,
                help: text(&a["help"]),
                probe: a.get("probe").cloned(),
            });
        }
    }
    Tree { leaves, args }
}

fn tree() -> Tree {
    let mut cmd = vec!["grammar", "tree", "--json"];
    let probes: Vec<String> = DURATIONS
        .iter()
        .map(|(s, _)| format!("--probe={s}"))
        .collect();
    cmd.extend(probes.iter().map(String::as_str));
    tree_from(&paraakh(&cmd))
}

/// The flags a person sees: not positional, not hidden.
fn visible(tree: &Tree) -> impl Iterator<Item = &Flag> {
    tree.args.iter().filter(|f| !f.positional && !f.hidden)
}

/// What kind of value a value name stands for: paths are paths whether a
/// file or a directory is meant.
fn value_kind(name: &str) -> &str {
    match name {
        "FILE" | "DIR" | "PATH" => "path",
        other => other,
    }
}

/// The clashes among flags: one name with two meanings.
fn clashes(tree: &Tree) -> Vec<String> {
    let mut by_name: BTreeMap<&str, Vec<&Flag>> = BTreeMap::new();
    for f in visible(tree) {
        by_name.entry(&f.long).or_default().push(f);
    }
    let mut found = Vec::new();
    for (name, uses) in by_name {
        let meaning = |f: &Flag| {
            if f.takes_value {
                format!("{} {}", value_kind(&f.value_name), f.value_type)
            } else {
                "a switch".to_owned()
            }
        };
        let meanings: BTreeSet<String> = uses.iter().map(|f| meaning(f)).collect();
        if meanings.len() > 1 {
            let each: Vec<String> = uses
                .iter()
                .map(|f| format!("`{}` takes {}", f.command, meaning(f)))
                .collect();
            found.push(format!("--{name} has two meanings: {}", each.join("; ")));
        }
    }
    found
}

#[test]
fn one_flag_name_has_one_meaning_across_subcommands() {
    let tree = tree();
    assert!(tree.leaves.len() >= 10, "{:?}", tree.leaves);
    let found = clashes(&tree);
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The old clashes stay fixed: each name now means one thing.
    let takes = |name: &str| -> BTreeSet<String> {
        visible(&tree)
            .filter(|f| f.long == name)
            .map(|f| f.value_type.clone())
            .collect()
    };
    if tree.leaves.iter().any(|l| l == "check") {
        assert!(!takes("listen").contains("Duration"));
        assert!(takes("checkpoint-every").is_empty());
        assert_eq!(takes("listen-for"), BTreeSet::from(["Duration".to_owned()]));
    }
    // An old spelling is never shown, and never shadows a flag of its own subcommand.
    for f in &tree.args {
        for alias in &f.aliases {
            assert!(
                !tree
                    .args
                    .iter()
                    .any(|g| g.command == f.command && g.long == *alias),
                "--{alias} in `{}` is both a flag and an old spelling",
                f.command
            );
        }
    }
}

#[test]
fn the_clash_check_itself_finds_a_flag_with_two_meanings() {
    // A tree as it was before: --listen seconds in `check`, an address in
    // `ingest serve`; --checkpoint-every records and seconds.
    let flag = |command: &str, long: &str, value_name: &str, value_type: &str| Flag {
        command: command.into(),
        long: long.into(),
        takes_value: true,
        value_name: value_name.into(),
        value_type: value_type.into(),
        hidden: false,
        deprecated: false,
        aliases: Vec::new(),
        required: false,
        positional: false,
        help: String::new(),
        probe: None,
    };
    let old = Tree {
        leaves: vec!["check".into(), "ingest serve".into()],
        args: vec![
            flag("check", "listen", "LISTEN", "f64"),
            flag("ingest serve", "listen", "ADDR", "SocketAddr"),
            flag("session simulate", "checkpoint-every", "N", "u64"),
            flag("session run", "checkpoint-every", "N", "f64"),
            flag("sign exam", "out", "FILE", "PathBuf"),
            flag("keys generate", "out", "DIR", "PathBuf"),
        ],
    };
    let found = clashes(&old);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("--checkpoint-every has two meanings"));
    assert!(found[1].starts_with("--listen has two meanings"));
}

#[test]
fn every_subcommand_has_json() {
    let tree = tree();
    let missing: Vec<&String> = tree
        .leaves
        .iter()
        .filter(|leaf| {
            !visible(&tree).any(|f| {
                f.command == **leaf && f.long == "json" && !f.takes_value && f.value_type == "bool"
            })
        })
        .collect();
    assert!(missing.is_empty(), "no --json in: {missing:?}");
}

#[test]
fn every_time_is_a_duration_and_durations_parse_the_same_everywhere() {
    let tree = tree();
    let mut durations = 0;
    let mut reference: Option<(String, Value)> = None;
    for f in visible(&tree).filter(|f| f.takes_value) {
        let name = format!("`{}` --{}", f.command, f.long);
        let is_duration = f.value_type == "Duration";
        assert_eq!(
            is_duration,
            f.value_name == "DURATION",
            "{name}: a DURATION value name if and only if it parses a duration ({} {})",
            f.value_name,
            f.value_type
        );
        assert!(
            ![
                "SECONDS", "SECS", "S", "MINUTES", "MIN", "HOURS", "DAYS", "MS"
            ]
            .contains(&f.value_name.as_str()),
            "{name} takes a bare number of {}: make it a DURATION",
            f.value_name
        );
        let numeric = ["u8", "u32", "u64", "usize", "i32", "i64", "f32", "f64"]
            .contains(&f.value_type.as_str());
        let help = f.help.to_lowercase();
        assert!(
            !(numeric
                && ["second", "minute", " hours", " days", "in days"]
                    .iter()
                    .any(|w| help.contains(w))),
            "{name} speaks of time but takes a bare number ({}): make it a DURATION",
            f.help
        );
        if !is_duration {
            continue;
        }
        durations += 1;
        let probe = f
            .probe
            .clone()
            .unwrap_or_else(|| panic!("{name} not probed"));
        for (sample, want) in DURATIONS {
            let got = &probe[*sample];
            match want {
                Some(secs) => assert_eq!(
                    got["seconds"].as_f64(),
                    Some(*secs),
                    "{name} {sample:?}: {got}"
                ),
                None => assert!(
                    got.get("error").is_some(),
                    "{name} accepted {sample:?}: {got}"
                ),
            }
        }
        match &reference {
            None => reference = Some((name, probe)),
            Some((first, seen)) => {
                assert_eq!(&probe, seen, "{name} parses differently from {first}")
            }
        }
    }
    if tree.leaves.iter().any(|l| l == "ingest serve") {
        assert!(durations >= 15, "only {durations} duration flags");
    }
}

/// A value for a flag, good enough for its parser.
fn sample(f: &Flag) -> &'static str {
    match f.value_name.as_str() {
        "DURATION" => "90",
        "N" | "BYTES" | "MIB" | "PIXELS" => "3",
        "URL" => "http://127.0.0.1:9",
        "ADDR" => "127.0.0.1:0",
        "DEVICE" | "SRC" => "0",
        "FRACTION" => "0.5",
        "FILE" | "DIR" | "PATH" => "/nonexistent/x",
        _ => "x",
    }
}

/// The words that make `command` parse: its required arguments, less `skip`.
fn required(tree: &Tree, command: &str, skip: &str) -> Vec<String> {
    let mut words: Vec<String> = command.split(' ').map(str::to_owned).collect();
    for f in tree
        .args
        .iter()
        .filter(|f| f.command == command && f.required && f.long != skip)
    {
        if f.positional {
            words.push(sample(f).to_owned());
        } else {
            words.extend([format!("--{}", f.long), sample(f).to_owned()]);
        }
    }
    words
}

/// `paraakh grammar parse -- WORDS`: what the words mean, and the notes.
fn parsed(words: &[String]) -> (String, Vec<String>) {
    let mut args = vec!["grammar", "parse", "--json", "--"];
    args.extend(words.iter().map(String::as_str));
    let doc = json(&paraakh(&args));
    assert_eq!(doc["ok"], true, "{words:?}: {doc}");
    let notes = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    (doc["parsed"].as_str().unwrap().to_owned(), notes)
}

/// Flags of their own that take an old unit: (subcommand, old, value, new, value).
const CONVERTED: &[(&str, &str, &str, &str, &str)] = &[
    ("check", "minutes", "10", "exam-length", "10m"),
    ("ingest serve", "refresh-days", "2", "refresh-ttl", "2d"),
    ("ingest token", "refresh-days", "2", "refresh-ttl", "2d"),
];

#[test]
fn old_spellings_mean_what_the_new_ones_do_and_only_say_so_on_stderr() {
    let tree = tree();
    let mut checked = 0;
    for f in &tree.args {
        for alias in &f.aliases {
            let mut old = required(&tree, &f.command, &f.long);
            let mut new = old.clone();
            if f.takes_value {
                old.extend([format!("--{alias}"), sample(f).to_owned()]);
                new.extend([format!("--{}", f.long), sample(f).to_owned()]);
            } else {
                old.push(format!("--{alias}"));
                new.push(format!("--{}", f.long));
            }
            let (old_meaning, old_notes) = parsed(&old);
            let (new_meaning, new_notes) = parsed(&new);
            assert_eq!(old_meaning, new_meaning, "{old:?} and {new:?}");
            assert!(new_notes.is_empty(), "{new:?}: {new_notes:?}");
            assert_eq!(old_notes.len(), 1, "{old:?}: {old_notes:?}");
            assert!(
                old_notes[0].starts_with(&format!(
                    "--{alias} is deprecated in `paraakh {}`: use --{}",
                    f.command, f.long
                )),
                "{}",
                old_notes[0]
            );
            // The same with `--old=value`.
            if f.takes_value {
                let mut joined = required(&tree, &f.command, &f.long);
                joined.push(format!("--{alias}={}", sample(f)));
                let (meaning, notes) = parsed(&joined);
                assert_eq!(meaning, new_meaning);
                assert_eq!(notes.len(), 1, "{joined:?}: {notes:?}");
            }
            checked += 1;
        }
    }
    let deprecated: BTreeSet<(String, String)> = tree
        .args
        .iter()
        .filter(|f| f.deprecated)
        .map(|f| (f.command.clone(), f.long.clone()))
        .collect();
    for (command, old, old_value, new, new_value) in CONVERTED {
        if !tree.leaves.iter().any(|l| l == command) {
            continue;
        }
        assert!(
            deprecated.contains(&((*command).to_owned(), (*old).to_owned())),
            "--{old} in `{command}` is not a deprecated flag"
        );
        let base = required(&tree, command, "");
        let with = |flag: &str, value: &str| {
            let mut w = base.clone();
            w.extend([format!("--{flag}"), value.to_owned()]);
            parsed(&w)
        };
        let (old_meaning, old_notes) = with(old, old_value);
        let (new_meaning, new_notes) = with(new, new_value);
        assert_eq!(old_meaning, new_meaning, "`{command}` --{old} {old_value}");
        assert!(new_notes.is_empty());
        assert_eq!(old_notes.len(), 1, "{old_notes:?}");
        assert!(
            old_notes[0].contains(&format!("use --{new}")),
            "{old_notes:?}"
        );
        checked += 1;
    }
    for (command, old) in &deprecated {
        assert!(
            CONVERTED.iter().any(|c| c.0 == command && c.1 == old),
            "--{old} in `{command}` is deprecated but not checked here"
        );
    }
    if tree.leaves.iter().any(|l| l == "ingest serve") {
        assert!(checked >= 20, "only {checked} old spellings");
    }
}

#[test]
fn docs_cli_md_lists_every_subcommand_flag_and_old_spelling() {
    let tree = tree();
    let doc = std::fs::read_to_string(repo_file("docs/cli.md")).unwrap();
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
    let mut missing = Vec::new();
    for leaf in &tree.leaves {
        if !rows
            .iter()
            .any(|r| r.starts_with(&format!("| `paraakh {leaf}` |")))
        {
            missing.push(format!("subcommand `paraakh {leaf}`"));
        }
    }
    let flag_row = |long: &str| {
        rows.iter().any(|r| {
            r.strip_prefix(&format!("| `--{long}"))
                .is_some_and(|rest| rest.starts_with('`') || rest.starts_with(' '))
        })
    };
    for f in visible(&tree) {
        if !flag_row(&f.long) {
            missing.push(format!("flag --{} (of `{}`)", f.long, f.command));
        }
    }
    let old_row = |command: &str, old: &str| {
        rows.iter()
            .any(|r| r.starts_with(&format!("| `paraakh {command}` | `--{old}` |")))
    };
    for f in &tree.args {
        for alias in &f.aliases {
            if !old_row(&f.command, alias) {
                missing.push(format!("old spelling --{alias} of `{}`", f.command));
            }
        }
        if f.deprecated && !old_row(&f.command, &f.long) {
            missing.push(format!("old spelling --{} of `{}`", f.long, f.command));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/cli.md lacks:\n{}",
        missing.join("\n")
    );
    // With every feature built, nothing in the page is stale either.
    if cfg!(all(
        feature = "detect",
        feature = "capture",
        feature = "check",
        feature = "sync",
        feature = "ingest"
    )) {
        let flags: BTreeSet<&str> = visible(&tree).map(|f| f.long.as_str()).collect();
        for r in &rows {
            if let Some(rest) = r.strip_prefix("| `--") {
                let name = rest.split(['`', ' ']).next().unwrap();
                assert!(
                    flags.contains(name),
                    "docs/cli.md lists --{name}, which no subcommand has"
                );
            }
        }
    }
}

#[test]
fn an_old_spelling_runs_as_before_with_one_note_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert!(
        paraakh(&["keys", "generate", "--out", super::p(&keys)])
            .status
            .success()
    );
    let args = |flag: &str, out: &str| {
        vec![
            "session".to_owned(),
            "simulate".to_owned(),
            "--out".to_owned(),
            tmp.path().join(out).to_str().unwrap().to_owned(),
            "--events".to_owned(),
            "20".to_owned(),
            "--blobs".to_owned(),
            "1".to_owned(),
            flag.to_owned(),
            keys.join("encryption.pub").to_str().unwrap().to_owned(),
            "--json".to_owned(),
        ]
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        paraakh(&a)
    };
    let old = run(args("--tenant-key", "old"));
    let new = run(args("--encryption-key", "new"));
    assert_eq!(old.status.code(), Some(0), "{}", stderr(&old));
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    // stdout is the same one JSON document; the note is on stderr only.
    let (o, n) = (json(&old), json(&new));
    assert_eq!(o["records"], n["records"]);
    assert!(!String::from_utf8_lossy(&old.stdout).contains("deprecated"));
    let notes: Vec<String> = stderr(&old)
        .lines()
        .filter(|l| l.contains("deprecated"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        notes,
        [
            "paraakh: note: --tenant-key is deprecated in `paraakh session simulate`: use --encryption-key (docs/cli.md)"
        ]
    );
    assert!(!stderr(&new).contains("deprecated"), "{}", stderr(&new));
}
