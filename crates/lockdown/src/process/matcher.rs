//! Deciding whether a process is a prohibited program: the catalogue plus
//! the tenant's list, minus the allowlist and assistive technology.

use std::path::Path;

use paraakh_policy::model::ProcessLayer;
use serde::Serialize;

use super::ProcessInfo;
use super::catalog::{ASSISTIVE, Category, DEFAULT_BLOCKLIST, Program, TERMINALS};
use super::content::ContentScanner;

/// How a process was recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "value")]
#[non_exhaustive]
pub enum MatchedBy {
    /// Its executable, process or script name.
    Name(String),
    /// A fragment of its executable's or script's path.
    Path(String),
    /// Bytes inside its executable (a renamed copy).
    Content(String),
}

impl std::fmt::Display for MatchedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatchedBy::Name(n) => write!(f, "named \"{n}\""),
            MatchedBy::Path(p) => write!(f, "its path contains \"{p}\""),
            MatchedBy::Content(m) => write!(f, "its executable contains \"{m}\""),
        }
    }
}

/// A prohibited program recognised in a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The program's id in the catalogue (or the tenant's entry).
    pub program_id: String,
    /// The program for people.
    pub program: String,
    /// Why it is prohibited.
    pub category: Category,
    /// How it was recognised.
    pub matched_by: MatchedBy,
}

/// One program the matcher looks for.
#[derive(Debug, Clone)]
struct Rule {
    id: String,
    name: String,
    category: Category,
    executables: Vec<String>,
    paths: Vec<String>,
    markers: Vec<String>,
    only_with_args: Vec<String>,
}

impl From<&Program> for Rule {
    fn from(p: &Program) -> Self {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Self {
            id: p.id.to_owned(),
            name: p.name.to_owned(),
            category: p.category,
            executables: own(p.executables),
            paths: own(p.paths),
            markers: p
                .markers
                .iter()
                .map(|m| m.chars().rev().collect())
                .collect(),
            only_with_args: own(p.only_with_args),
        }
    }
}

/// A name or path fragment from a list in the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Name(String),
    Path(String),
}

impl Pattern {
    fn parse(entry: &str) -> Option<Self> {
        let e = entry.trim().to_lowercase();
        if e.is_empty() {
            None
        } else if e.contains('/') || e.contains('\\') {
            Some(Pattern::Path(e))
        } else {
            Some(Pattern::Name(normalise(&e)))
        }
    }
}

/// Recognises prohibited programs.
#[derive(Debug, Clone)]
pub struct Matcher {
    rules: Vec<Rule>,
    allow: Vec<Pattern>,
    markers: Vec<String>,
}

/// A name as compared: lower case, without a Windows `.exe`.
fn normalise(name: &str) -> String {
    let lower = name.to_lowercase();
    lower
        .strip_suffix(".exe")
        .map_or(lower.clone(), str::to_owned)
}

fn file_name(path: &str) -> Option<String> {
    let path = path.strip_suffix(" (deleted)").unwrap_or(path);
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .map(normalise)
}

/// Interpreters whose first argument is the program that really runs.
fn is_interpreter(name: &str) -> bool {
    name.starts_with("python")
        || name.starts_with("perl")
        || name.starts_with("ruby")
        || name.starts_with("wine")
        || matches!(
            name,
            "node" | "nodejs" | "sh" | "bash" | "dash" | "zsh" | "fish" | "gjs" | "java" | "mono"
        )
}

/// The names and paths a process can be recognised by.
struct Identity {
    names: Vec<String>,
    /// Truncated process name (Linux keeps 15 bytes).
    short_name: Option<String>,
    paths: Vec<String>,
    args: Vec<String>,
}

impl Identity {
    fn of(p: &ProcessInfo) -> Self {
        let mut names = Vec::new();
        let mut paths = Vec::new();
        let mut short_name = None;
        if let Some(exe) = p.exe.as_ref().and_then(|e| e.to_str()) {
            names.extend(file_name(exe));
            paths.push(exe.to_lowercase());
        }
        let comm = normalise(&p.name);
        if comm.len() == 15 {
            short_name = Some(comm.clone());
        }
        if !comm.is_empty() {
            names.push(comm);
        }
        let mut args = p.cmdline.iter();
        if let Some(argv0) = args.next() {
            names.extend(file_name(argv0));
        }
        // `python3 /usr/bin/autokey-gtk`: the script is the program.
        if names.first().is_some_and(|n| is_interpreter(n))
            && let Some(script) = p.cmdline.iter().skip(1).find(|a| !a.starts_with('-'))
        {
            names.extend(file_name(script));
            paths.push(script.to_lowercase());
        }
        names.dedup();
        Self {
            names,
            short_name,
            paths,
            args: p.cmdline.iter().skip(1).map(|a| a.to_lowercase()).collect(),
        }
    }

    fn has_name(&self, wanted: &str) -> bool {
        self.names.iter().any(|n| n == wanted)
            || self
                .short_name
                .as_ref()
                .is_some_and(|s| wanted.len() > 15 && wanted.as_bytes().starts_with(s.as_bytes()))
    }

    fn path_with(&self, fragment: &str) -> bool {
        self.paths.iter().any(|p| p.contains(fragment))
    }

    fn matches(&self, pattern: &Pattern) -> bool {
        match pattern {
            Pattern::Name(n) => self.has_name(n),
            Pattern::Path(f) => self.path_with(f),
        }
    }
}

impl Matcher {
    /// The matcher an exam policy asks for.
    pub fn from_policy(layer: &ProcessLayer) -> Self {
        let mut rules: Vec<Rule> = Vec::new();
        if layer.use_default_blocklist {
            rules.extend(DEFAULT_BLOCKLIST.iter().map(Rule::from));
        }
        if layer.block_terminals {
            rules.extend(TERMINALS.iter().map(Rule::from));
        }
        for entry in &layer.block {
            let (executables, paths) = match Pattern::parse(entry) {
                Some(Pattern::Name(n)) => (vec![n], vec![]),
                Some(Pattern::Path(p)) => (vec![], vec![p]),
                None => continue,
            };
            rules.push(Rule {
                id: format!("tenant:{}", entry.trim()),
                name: entry.trim().to_owned(),
                category: Category::TenantBlocked,
                executables,
                paths,
                markers: vec![],
                only_with_args: vec![],
            });
        }
        // An allow entry naming a catalogue program switches it off; any
        // other is a name or path that is always allowed.
        let mut allow = Vec::new();
        for entry in &layer.allow {
            let id = entry.trim().to_lowercase();
            let before = rules.len();
            rules.retain(|r| r.id != id);
            if rules.len() == before {
                allow.extend(Pattern::parse(entry));
            }
        }
        allow.extend(ASSISTIVE.iter().map(|a| Pattern::Name((*a).to_owned())));
        let markers = rules.iter().flat_map(|r| r.markers.clone()).collect();
        Self {
            rules,
            allow,
            markers,
        }
    }

    /// Every marker of every rule (what a [`ContentScanner`] looks for).
    pub fn markers(&self) -> &[String] {
        &self.markers
    }

    /// The programs looked for, by id.
    pub fn program_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }

    /// Whether `process` is allowed whatever else it matches (the allowlist
    /// and assistive technology).
    pub fn is_allowed(&self, process: &ProcessInfo) -> bool {
        let id = Identity::of(process);
        self.allow.iter().any(|a| id.matches(a))
    }

    /// The prohibited program `process` is, if any. `content` reads the
    /// executable for markers when names and paths say nothing.
    pub fn check(
        &self,
        process: &ProcessInfo,
        content: Option<&mut ContentScanner>,
    ) -> Option<Match> {
        let id = Identity::of(process);
        if self.allow.iter().any(|a| id.matches(a)) {
            return None;
        }
        let by_name_or_path = self.rules.iter().find_map(|r| {
            let how = r
                .executables
                .iter()
                .find(|e| id.has_name(e))
                .map(|e| MatchedBy::Name(e.clone()))
                .or_else(|| {
                    r.paths
                        .iter()
                        .find(|f| id.path_with(f))
                        .map(|f| MatchedBy::Path(f.clone()))
                })?;
            args_allow(r, &id).then_some((r, how))
        });
        let (rule, how) = match by_name_or_path {
            Some(found) => found,
            None => {
                let found = content?.markers_in(process)?;
                self.rules.iter().find_map(|r| {
                    let marker = r.markers.iter().find(|m| found.contains(m))?;
                    args_allow(r, &id).then(|| (r, MatchedBy::Content(marker.clone())))
                })?
            }
        };
        Some(Match {
            program_id: rule.id.clone(),
            program: rule.name.clone(),
            category: rule.category,
            matched_by: how,
        })
    }
}

/// A rule with `only_with_args` applies only when an argument has one.
fn args_allow(rule: &Rule, id: &Identity) -> bool {
    rule.only_with_args.is_empty()
        || id
            .args
            .iter()
            .any(|a| rule.only_with_args.iter().any(|w| a.contains(w.as_str())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn layer() -> ProcessLayer {
        let text = paraakh_policy::presets::text("standard").unwrap();
        paraakh_policy::parse(text).unwrap().processes
    }

    fn proc_(name: &str, exe: &str, cmdline: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid: 4242,
            parent: Some(1),
            name: name.to_owned(),
            exe: (!exe.is_empty()).then(|| exe.into()),
            cmdline: cmdline.iter().map(|s| (*s).to_owned()).collect(),
            uid: Some(1000),
            start_time: 0,
        }
    }

    fn id_of(m: &Matcher, p: &ProcessInfo) -> Option<String> {
        m.check(p, None).map(|m| m.program_id)
    }

    #[test]
    fn known_programs_are_recognised_by_name_path_and_script() {
        let m = Matcher::from_policy(&layer());
        let cases = [
            (
                proc_("anydesk", "/usr/bin/anydesk", &["/usr/bin/anydesk"]),
                "anydesk",
            ),
            // Renamed, but still where it was installed.
            (
                proc_("helper", "/opt/teamviewer/tv_bin/helper", &["helper"]),
                "teamviewer",
            ),
            (
                proc_("Zoom.exe", "C:\\Program Files\\Zoom\\bin\\Zoom.exe", &[]),
                "zoom",
            ),
            // A Python program: the script is what runs.
            (
                proc_(
                    "python3",
                    "/usr/bin/python3.11",
                    &["/usr/bin/python3", "/usr/bin/autokey-gtk"],
                ),
                "autokey",
            ),
            // Linux truncates process names to 15 bytes.
            (proc_("gnome-remote-de", "", &[]), "gnome-remote-desktop"),
            (
                proc_(
                    "ffmpeg",
                    "/usr/bin/ffmpeg",
                    &["ffmpeg", "-f", "x11grab", "-i", ":0", "out.mp4"],
                ),
                "ffmpeg-screen",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(id_of(&m, &p).as_deref(), Some(want), "{p:?}");
        }
    }

    #[test]
    fn ordinary_programs_and_general_tools_used_normally_are_left_alone() {
        let m = Matcher::from_policy(&layer());
        for p in [
            proc_("bash", "/usr/bin/bash", &["bash"]),
            proc_(
                "ffmpeg",
                "/usr/bin/ffmpeg",
                &["ffmpeg", "-i", "in.wav", "out.ogg"],
            ),
            proc_("firefox", "/usr/lib/firefox/firefox", &["firefox"]),
            proc_(
                "python3",
                "/usr/bin/python3",
                &["python3", "-m", "http.server"],
            ),
            // A terminal, when the policy does not block terminals.
            proc_("xterm", "/usr/bin/xterm", &["xterm"]),
        ] {
            assert_eq!(id_of(&m, &p), None, "{p:?}");
        }
    }

    #[test]
    fn the_policy_adds_removes_and_allows() {
        let mut l = layer();
        l.block = vec!["mygame".into(), "/opt/cheats/".into()];
        l.allow = vec!["zoom".into(), "xterm".into()];
        l.block_terminals = true;
        let m = Matcher::from_policy(&l);
        assert_eq!(
            id_of(&m, &proc_("mygame", "/usr/games/mygame", &[])).as_deref(),
            Some("tenant:mygame")
        );
        assert_eq!(
            id_of(&m, &proc_("x", "/opt/cheats/x", &[])).as_deref(),
            Some("tenant:/opt/cheats/")
        );
        // "zoom" is a catalogue id: switched off.
        assert_eq!(id_of(&m, &proc_("zoom", "/opt/zoom/zoom", &[])), None);
        assert!(!m.program_ids().any(|i| i == "zoom"));
        // "xterm" is not an id: allowed by name, other terminals still blocked.
        assert_eq!(id_of(&m, &proc_("xterm", "/usr/bin/xterm", &[])), None);
        assert_eq!(
            id_of(&m, &proc_("konsole", "/usr/bin/konsole", &[])).as_deref(),
            Some("terminal")
        );
    }

    #[test]
    fn assistive_technology_is_always_allowed() {
        let mut l = layer();
        l.block = vec!["orca".into()];
        let m = Matcher::from_policy(&l);
        let orca = proc_(
            "orca",
            "/usr/bin/python3.11",
            &["/usr/bin/python3", "/usr/bin/orca"],
        );
        assert!(m.is_allowed(&orca));
        assert_eq!(id_of(&m, &orca), None);
    }

    #[test]
    fn without_the_default_list_only_the_tenants_programs_count() {
        let mut l = layer();
        l.use_default_blocklist = false;
        l.block = vec!["anydesk".into()];
        let m = Matcher::from_policy(&l);
        assert_eq!(
            id_of(&m, &proc_("teamviewer", "/usr/bin/teamviewer", &[])),
            None
        );
        assert!(id_of(&m, &proc_("anydesk", "/usr/bin/anydesk", &[])).is_some());
    }
}
