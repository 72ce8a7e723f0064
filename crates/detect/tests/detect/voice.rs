//! Voice accuracy harness (below).
