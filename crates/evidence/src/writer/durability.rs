//! Group commit: a background thread batches `fdatasync` calls so that every
//! appended record is durable within [`GROUP_COMMIT_WINDOW`] plus one sync.

use std::fs::File;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long the background flusher lets appended records gather before one `fdatasync`.
pub const GROUP_COMMIT_WINDOW: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub(super) struct FlushState {
    pub(super) written: (u64, u64),
    pub(super) synced: (u64, u64),
    pub(super) dirty_since: Option<Instant>,
    pub(super) stop: bool,
    pub(super) error: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct Durability {
    state: Mutex<FlushState>,
    pub(super) wake: Condvar,
}

impl Durability {
    pub(super) fn lock(&self) -> MutexGuard<'_, FlushState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) fn flusher(file: File, d: Arc<Durability>) {
    let mut st = d.lock();
    while !st.stop {
        let Some(since) = st.dirty_since else {
            st = d.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            continue;
        };
        let deadline = since + GROUP_COMMIT_WINDOW;
        let now = Instant::now();
        if now < deadline {
            st = d
                .wake
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            continue;
        }
        let target = st.written;
        drop(st);
        let started = Instant::now();
        let result = file.sync_data();
        st = d.lock();
        match result {
            Ok(()) => {
                if target.0 > st.synced.0 {
                    st.synced = target;
                }
                // Anything written during the sync was written after it started.
                st.dirty_since = (st.written.0 > st.synced.0).then_some(started);
            }
            Err(e) => {
                st.error = Some(e.to_string());
                st.dirty_since = None;
            }
        }
        d.wake.notify_all();
    }
}
