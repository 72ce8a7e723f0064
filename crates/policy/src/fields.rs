//! Reading TOML tables field by field, collecting every problem instead of
//! stopping at the first: a tenant admin fixes a policy in one pass.

use std::ops::RangeInclusive;

use toml::{Table, Value};

/// One problem in a policy, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the setting (`face.no_face.after_seconds`), or empty for the file.
    pub path: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Collects problems while a policy is read.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) problems: Vec<Problem>,
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

impl Ctx {
    pub(crate) fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn get<'a>(&mut self, t: &'a Table, path: &str, key: &str) -> Option<&'a Value> {
        let v = t.get(key);
        if v.is_none() {
            self.problem(
                join(path, key),
                "missing (every setting must be given, or come from a preset)",
            );
        }
        v
    }

    fn wrong(&mut self, path: &str, key: &str, expected: &str, got: &Value) {
        self.problem(
            join(path, key),
            format!("must be {expected}, not {}", type_name(got)),
        );
    }

    /// Reports keys of `t` that are not in `known`.
    pub(crate) fn unknown(&mut self, t: &Table, path: &str, known: &[&str]) {
        for key in t.keys() {
            if !known.contains(&key.as_str()) {
                self.problem(
                    join(path, key),
                    format!("unknown setting; known here: {}", known.join(", ")),
                );
            }
        }
    }

    pub(crate) fn table<'a>(&mut self, t: &'a Table, path: &str, key: &str) -> Option<&'a Table> {
        match self.get(t, path, key)? {
            Value::Table(inner) => Some(inner),
            other => {
                self.wrong(path, key, "a table", other);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, t: &Table, path: &str, key: &str) -> bool {
        match self.get(t, path, key) {
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                self.wrong(path, key, "true or false", other);
                false
            }
            None => false,
        }
    }

    pub(crate) fn number(
        &mut self,
        t: &Table,
        path: &str,
        key: &str,
        range: RangeInclusive<f64>,
    ) -> f64 {
        let v = match self.get(t, path, key) {
            Some(Value::Float(f)) => *f,
            Some(Value::Integer(i)) => *i as f64,
            Some(other) => {
                self.wrong(path, key, "a number", other);
                return *range.start();
            }
            None => return *range.start(),
        };
        if !v.is_finite() || !range.contains(&v) {
            self.problem(
                join(path, key),
                format!(
                    "must be between {} and {}, not {v}",
                    range.start(),
                    range.end()
                ),
            );
        }
        v
    }

    pub(crate) fn uint(
        &mut self,
        t: &Table,
        path: &str,
        key: &str,
        range: RangeInclusive<u32>,
    ) -> u32 {
        match self.get(t, path, key) {
            Some(Value::Integer(i)) => match u32::try_from(*i) {
                Ok(v) if range.contains(&v) => v,
                _ => {
                    self.problem(
                        join(path, key),
                        format!(
                            "must be a whole number from {} to {}, not {i}",
                            range.start(),
                            range.end()
                        ),
                    );
                    *range.start()
                }
            },
            Some(other) => {
                self.wrong(path, key, "a whole number", other);
                *range.start()
            }
            None => *range.start(),
        }
    }

    pub(crate) fn text(&mut self, t: &Table, path: &str, key: &str, max: usize) -> String {
        match self.get(t, path, key) {
            Some(Value::String(s)) => {
                if s.trim().is_empty() || s.chars().count() > max || s.chars().any(char::is_control)
                {
                    self.problem(
                        join(path, key),
                        format!("must be 1 to {max} printable characters"),
                    );
                }
                s.clone()
            }
            Some(other) => {
                self.wrong(path, key, "a string", other);
                String::new()
            }
            None => String::new(),
        }
    }

    pub(crate) fn texts(
        &mut self,
        t: &Table,
        path: &str,
        key: &str,
        max_items: usize,
        max_len: usize,
    ) -> Vec<String> {
        let Some(v) = self.get(t, path, key) else {
            return Vec::new();
        };
        let Value::Array(items) = v else {
            self.wrong(path, key, "a list of strings", v);
            return Vec::new();
        };
        if items.len() > max_items {
            self.problem(
                join(path, key),
                format!(
                    "has {} entries; at most {max_items} are allowed",
                    items.len()
                ),
            );
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s)
                    if !s.trim().is_empty()
                        && s.chars().count() <= max_len
                        && !s.chars().any(char::is_control) =>
                {
                    out.push(s.clone());
                }
                _ => self.problem(
                    format!("{}[{i}]", join(path, key)),
                    format!("must be a string of 1 to {max_len} printable characters"),
                ),
            }
        }
        out
    }

    pub(crate) fn choice<T: Copy>(
        &mut self,
        t: &Table,
        path: &str,
        key: &str,
        names: &[(T, &'static str)],
    ) -> Option<T> {
        let v = self.get(t, path, key)?;
        let Value::String(s) = v else {
            self.wrong(path, key, "a string", v);
            return None;
        };
        let found = names.iter().find(|(_, n)| n == s).map(|(v, _)| *v);
        if found.is_none() {
            let list: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
            self.problem(
                join(path, key),
                format!("{s:?} is not one of {}", list.join(", ")),
            );
        }
        found
    }
}
