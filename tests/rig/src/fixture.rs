//! Files one side of a contract writes for the other side's tests (the
//! UI's fixtures under `ui/src/test/`): compared on every run, written anew
//! only when asked (`PARAAKH_UPDATE_FIXTURES=1`).

use std::path::Path;

use serde_json::Value;

fn updating() -> bool {
    std::env::var_os("PARAAKH_UPDATE_FIXTURES").is_some_and(|v| v == "1")
}

/// Fails unless the file at `path` is exactly `want`; with
/// `PARAAKH_UPDATE_FIXTURES=1` writes it instead. `regenerate` is the
/// command that does that, for the failure message.
///
/// # Panics
/// When the file differs or cannot be read or written.
pub fn check_text(path: &Path, want: &str, regenerate: &str) {
    if updating() {
        if let Err(e) = std::fs::write(path, want) {
            panic!("cannot write {}: {e}", path.display());
        }
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what this side generates: if the change is meant, regenerate it with\n    PARAAKH_UPDATE_FIXTURES=1 {regenerate}\nand make the other side match it",
        path.display()
    );
}

/// [`check_text`] for JSON (pretty-printed, one newline at the end); a
/// failure names each place where the file and `want` differ.
///
/// # Panics
/// When the file differs or cannot be read or written.
pub fn check_json(path: &Path, want: &Value, regenerate: &str) {
    let text = match serde_json::to_string_pretty(want) {
        Ok(text) => format!("{text}\n"),
        Err(e) => panic!("the fixture for {} is not JSON: {e}", path.display()),
    };
    if updating() {
        return check_text(path, &text, regenerate);
    }
    let have: Value = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    if &have == want {
        return check_text(path, &text, regenerate);
    }
    let mut diff = Vec::new();
    differences("$", &have, want, &mut diff);
    panic!(
        "{} differs from what this side sends:\n{}\nIf the change is meant, regenerate it with\n    PARAAKH_UPDATE_FIXTURES=1 {regenerate}\nand make the other side match it",
        path.display(),
        diff.join("\n")
    );
}

/// The JSON paths where `have` and `want` differ (at most 20).
fn differences(at: &str, have: &Value, want: &Value, out: &mut Vec<String>) {
    if out.len() >= 20 || have == want {
        return;
    }
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => {
            let keys: std::collections::BTreeSet<&String> = h.keys().chain(w.keys()).collect();
            for key in keys {
                let (h, w) = (h.get(key), w.get(key));
                differences(
                    &format!("{at}.{key}"),
                    h.unwrap_or(&Value::Null),
                    w.unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(h), Value::Array(w)) => {
            for i in 0..h.len().max(w.len()) {
                differences(
                    &format!("{at}[{i}]"),
                    h.get(i).unwrap_or(&Value::Null),
                    w.get(i).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ => out.push(format!("  {at}:\n    file: {have}\n    sent: {want}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn differences_name_the_paths() {
        let have = serde_json::json!({"a": [1, {"b": 2}], "c": "x"});
        let want = serde_json::json!({"a": [1, {"b": 3}], "d": true});
        let mut out = Vec::new();
        super::differences("$", &have, &want, &mut out);
        let paths: Vec<&str> = out
            .iter()
            .map(|d| d.trim_start().split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(paths, ["$.a[1].b", "$.c", "$.d"]);
    }
}
