//! The command line's grammar (docs/cli.md): the one duration syntax, the
//! notes for old spellings, and `paraakh grammar` (hidden), which shows the
//! command tree and how a command line parses, for the grammar test.

use std::any::TypeId;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args, Command, CommandFactory as _, Subcommand};
use serde_json::{Value, json};

/// The longest duration any flag takes (ten years): beyond it a number is a mistake.
const MAX_SECONDS: f64 = 3650.0 * 86_400.0;

/// The one duration syntax: a number and a unit, `s`, `m` (or `min`), `h`
/// or `d`, like `90s`, `10m`, `1.5h`, `14d`; a plain number is seconds.
/// Each flag says which range it accepts; the syntax is the same everywhere.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{text:?} is not a duration: write a number and a unit, like 90s, 10m, 2h or 14d (a plain number is seconds)"
        )
    };
    let s = text.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = (s[..split].trim(), &s[split..]);
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let n: f64 = number.parse().map_err(|_| bad())?;
    let unit_seconds = match unit {
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(bad()),
    };
    let seconds = n * unit_seconds;
    if !(seconds.is_finite() && seconds <= MAX_SECONDS) {
        return Err(format!("{text:?} is too long: at most 3650d"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A duration as a command prints it back: whole seconds, or with a fraction.
// The auditor's build (no capture, no check) has no flag with a range to enforce.
#[cfg_attr(not(any(feature = "check", feature = "capture")), allow(dead_code))]
pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// Whether an argument is an old spelling kept working: a flag that is not
/// an alias but still parses (its help starts with "Deprecated").
fn is_deprecated_arg(arg: &Arg) -> bool {
    arg.is_hide_set()
        && arg
            .get_help()
            .is_some_and(|h| h.to_string().starts_with("Deprecated"))
}

/// The leaf subcommand a command line reached, its path and its matches.
fn leaf<'a>(
    cmd: &'a Command,
    matches: &'a ArgMatches,
) -> (Vec<String>, &'a Command, &'a ArgMatches) {
    let mut path = vec![cmd.get_name().to_owned()];
    let (mut cmd, mut matches) = (cmd, matches);
    while let Some((name, sub)) = matches.subcommand() {
        let Some(next) = cmd.find_subcommand(name) else {
            break;
        };
        path.push(name.to_owned());
        cmd = next;
        matches = sub;
    }
    (path, cmd, matches)
}

/// One line for each old spelling the command line used (hidden aliases
/// and deprecated flags): what to write instead. They go to stderr only.
pub(crate) fn deprecations(cmd: &Command, matches: &ArgMatches, raw: &[OsString]) -> Vec<String> {
    let (path, leaf, matches) = leaf(cmd, matches);
    // The words as typed, up to `--` (after it nothing is a flag).
    let words: Vec<&str> = raw
        .iter()
        .skip(1)
        .take_while(|w| *w != "--")
        .filter_map(|w| w.to_str())
        .collect();
    let typed = |name: &str| {
        let flag = format!("--{name}");
        words
            .iter()
            .any(|w| *w == flag || w.strip_prefix(&flag).is_some_and(|r| r.starts_with('=')))
    };
    let mut notes = Vec::new();
    for arg in leaf.get_arguments() {
        let id = arg.get_id().as_str();
        if matches.try_contains_id(id).is_err()
            || matches.value_source(id) != Some(ValueSource::CommandLine)
        {
            continue;
        }
        let Some(long) = arg.get_long() else {
            continue;
        };
        if is_deprecated_arg(arg) {
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let instead = help.trim_start_matches("Deprecated:").trim();
            notes.push(format!(
                "--{long} is deprecated in `{}`: {instead}",
                path.join(" ")
            ));
            continue;
        }
        for alias in arg.get_all_aliases().unwrap_or_default() {
            if typed(alias) {
                notes.push(format!(
                    "--{alias} is deprecated in `{}`: use --{long} (docs/cli.md)",
                    path.join(" ")
                ));
            }
        }
    }
    notes
}

#[derive(Debug, Subcommand)]
pub(crate) enum GrammarCommand {
    /// Every subcommand and flag, as one JSON document.
    Tree(TreeArgs),
    /// Parse a command line as `paraakh` would and print what it means (nothing runs).
    Parse(ParseArgs),
    /// Write the manual pages (one per subcommand) into a directory.
    Man(crate::manual::ManArgs),
    /// Write the bash, zsh and fish completions into a directory.
    Completions(crate::manual::CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TreeArgs {
    /// A value to parse with every duration flag's own parser (repeatable).
    #[arg(long = "probe", value_name = "VALUE", allow_hyphen_values = true)]
    probes: Vec<String>,
    /// Print one JSON document (the only form).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ParseArgs {
    /// The command line after `paraakh`, after `--`.
    #[arg(last = true)]
    args: Vec<OsString>,
    /// Print one JSON document (the only form).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: GrammarCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        GrammarCommand::Tree(args) => {
            let mut root = crate::Cli::command();
            root.build();
            let mut commands = Vec::new();
            walk(&root, &mut Vec::new(), false, &args.probes, &mut commands);
            crate::render::print_json(&json!({ "commands": commands }))?;
        }
        GrammarCommand::Man(args) => return crate::manual::man(&args),
        GrammarCommand::Completions(args) => return crate::manual::completions(&args),
        GrammarCommand::Parse(args) => {
            let mut raw = vec![OsString::from("paraakh")];
            raw.extend(args.args);
            let doc = match crate::parse(&raw) {
                Ok((cli, notes)) => json!({
                    "ok": true,
                    "parsed": format!("{:?}", cli.command),
                    "notes": notes,
                }),
                Err(e) => json!({
                    "ok": false,
                    "exit_code": e.exit_code(),
                    "error": e.to_string(),
                }),
            };
            crate::render::print_json(&doc)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each command under `cmd` (itself first), hidden if it or one above is.
fn walk(
    cmd: &Command,
    path: &mut Vec<String>,
    hidden_above: bool,
    probes: &[String],
    out: &mut Vec<Value>,
) {
    let hidden = hidden_above || cmd.is_hide_set();
    let leaf = !cmd.has_subcommands();
    out.push(json!({
        "path": path.join(" "),
        "hidden": hidden,
        "leaf": leaf,
        "about": cmd.get_about().map(|a| a.to_string()),
        "args": cmd
            .get_arguments()
            .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
            .map(|a| describe(a, probes))
            .collect::<Vec<_>>(),
    }));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        path.push(sub.get_name().to_owned());
        walk(sub, path, hidden, probes, out);
        path.pop();
    }
}

/// The name of the type an argument's parser makes, for the types the CLI uses.
fn value_type(arg: &Arg) -> &'static str {
    let id = arg.get_value_parser().type_id();
    let known: [(TypeId, &'static str); 15] = [
        (TypeId::of::<bool>(), "bool"),
        (TypeId::of::<String>(), "String"),
        (TypeId::of::<PathBuf>(), "PathBuf"),
        (TypeId::of::<OsString>(), "OsString"),
        (TypeId::of::<u8>(), "u8"),
        (TypeId::of::<u32>(), "u32"),
        (TypeId::of::<u64>(), "u64"),
        (TypeId::of::<usize>(), "usize"),
        (TypeId::of::<i64>(), "i64"),
        (TypeId::of::<f32>(), "f32"),
        (TypeId::of::<f64>(), "f64"),
        (TypeId::of::<Duration>(), "Duration"),
        (TypeId::of::<SocketAddr>(), "SocketAddr"),
        (TypeId::of::<(u64, u64)>(), "ByteRange"),
        (TypeId::of::<i32>(), "i32"),
    ];
    known
        .iter()
        .find(|(t, _)| id == *t)
        .map_or("other", |(_, name)| name)
}

fn describe(arg: &Arg, probes: &[String]) -> Value {
    let kind = value_type(arg);
    let mut doc = json!({
        "id": arg.get_id().as_str(),
        "long": arg.get_long(),
        "short": arg.get_short().map(String::from),
        "positional": arg.is_positional(),
        "takes_value": arg.get_action().takes_values(),
        "value_names": arg.get_value_names().map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>()),
        "value_type": kind,
        "required": arg.is_required_set(),
        "hidden": arg.is_hide_set(),
        "deprecated": is_deprecated_arg(arg),
        "aliases": arg.get_all_aliases().unwrap_or_default(),
        "defaults": arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "help": arg.get_help().map(|h| h.to_string()),
    });
    if kind == "Duration" && !probes.is_empty() {
        let parser = arg.get_value_parser().clone();
        let results: serde_json::Map<String, Value> = probes
            .iter()
            .map(|p| (p.clone(), probe(&parser, p)))
            .collect();
        doc["probe"] = Value::Object(results);
    }
    doc
}

/// What an argument's own parser makes of `value`: seconds, or the error.
fn probe(parser: &clap::builder::ValueParser, value: &str) -> Value {
    let cmd = Command::new("probe").arg(Arg::new("v").long("v").value_parser(parser.clone()));
    match cmd.try_get_matches_from(["probe", &format!("--v={value}")]) {
        Ok(m) => match m.get_one::<Duration>("v") {
            Some(d) => json!({ "seconds": d.as_secs_f64() }),
            None => json!({ "error": "no value" }),
        },
        Err(e) => json!({ "error": e.to_string().trim() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_duration_syntax() {
        let ok = |s: &str| duration(s).map(|d| d.as_secs_f64());
        assert_eq!(ok("90s"), Ok(90.0));
        assert_eq!(ok("90"), Ok(90.0));
        assert_eq!(ok("0.5"), Ok(0.5));
        assert_eq!(ok("10m"), Ok(600.0));
        assert_eq!(ok("10min"), Ok(600.0));
        assert_eq!(ok("1.5h"), Ok(5400.0));
        assert_eq!(ok("14d"), Ok(14.0 * 86_400.0));
        assert_eq!(ok(" 2h "), Ok(7200.0));
        assert_eq!(ok("0s"), Ok(0.0));
        for bad in [
            "", "s", "10x", "-5s", "+5s", "1e3", "inf", "nan", "1.2.3s", "10 ms", "3651d",
        ] {
            assert!(duration(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
