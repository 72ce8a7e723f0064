//! Output helpers: stdout for results, stderr for notes, numbers for people.

#![allow(clippy::print_stdout, clippy::print_stderr)] // this module is where the CLI prints

use std::io::Write;

/// A reader that closed the pipe early (`paraakh verify --json | head`) is not an error.
fn ignore_closed_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Prints one JSON document on stdout.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    out(&text)
}

/// Prints report text on stdout.
pub(crate) fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    ignore_closed_pipe(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

/// Prints a note for the person at the terminal on stderr.
pub(crate) fn note(text: &str) {
    eprintln!("paraakh: note: {text}");
}

/// Says on stderr why a command made nothing ("not signed: ..."); the
/// command then exits 1, and with `--json` says it on stdout as well.
pub(crate) fn refusal(text: &str) {
    eprintln!("paraakh: {text}");
}

/// Writes a file atomically: a temporary file beside it, synced, then renamed.
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    paraakh_evidence::keys::write_public(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a secret file readable by the owner only (atomically).
pub(crate) fn write_secret(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    paraakh_evidence::keys::write_private(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// 12345678 -> "12,345,678".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units, as disks and networks count them.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1500), "1.5 kB");
        assert_eq!(bytes(512_300_000), "512.3 MB");
    }
}
