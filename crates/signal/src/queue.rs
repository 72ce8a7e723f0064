//! A bounded queue between a producer that must never wait (a capture
//! callback) and a consumer that may be slow: when full, pushing drops the
//! oldest item and counts it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A queue of at most `capacity` items; pushing into a full queue drops the oldest.
#[derive(Debug)]
pub struct DropOldestQueue<T> {
    state: Mutex<(VecDeque<T>, bool)>,
    ready: Condvar,
    capacity: usize,
    dropped: AtomicU64,
}

impl<T> DropOldestQueue<T> {
    /// An empty queue (capacity at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new((VecDeque::with_capacity(capacity.max(1)), false)),
            ready: Condvar::new(),
            capacity: capacity.max(1),
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, (VecDeque<T>, bool)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an item; returns false when an older item had to be dropped.
    pub fn push(&self, item: T) -> bool {
        let mut st = self.lock();
        let mut kept_all = true;
        while st.0.len() >= self.capacity {
            st.0.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
            kept_all = false;
        }
        st.0.push_back(item);
        self.ready.notify_one();
        kept_all
    }

    /// Waits for the next item; `None` once closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut st = self.lock();
        loop {
            if let Some(item) = st.0.pop_front() {
                return Some(item);
            }
            if st.1 {
                return None;
            }
            st = self.ready.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Waits at most `timeout` for the next item; `None` on timeout or once
    /// closed and empty.
    pub fn pop_timeout(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(item) = st.0.pop_front() {
                return Some(item);
            }
            let now = Instant::now();
            if st.1 || now >= deadline {
                return None;
            }
            st = self
                .ready
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The next item if one is waiting.
    pub fn try_pop(&self) -> Option<T> {
        self.lock().0.pop_front()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.lock().1
    }

    /// No more items will come.
    pub fn close(&self) {
        self.lock().1 = true;
        self.ready.notify_all();
    }

    /// Items dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().0.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts() {
        let q = DropOldestQueue::new(2);
        assert!(q.push(1));
        assert!(q.push(2));
        assert!(!q.push(3));
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(3));
        q.close();
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn pop_timeout_returns_on_time_and_on_close() {
        let q: DropOldestQueue<u8> = DropOldestQueue::new(1);
        assert_eq!(q.pop_timeout(Duration::from_millis(5)), None);
        q.push(7);
        assert_eq!(q.pop_timeout(Duration::from_secs(5)), Some(7));
        assert_eq!(q.try_pop(), None);
        q.close();
        assert!(q.is_closed());
        // Closed and empty: returns at once however long the timeout.
        assert_eq!(q.pop_timeout(Duration::from_secs(3600)), None);
    }

    #[test]
    fn a_blocked_consumer_wakes_when_an_item_arrives() {
        let q = std::sync::Arc::new(DropOldestQueue::new(4));
        let q2 = std::sync::Arc::clone(&q);
        let t = std::thread::spawn(move || q2.pop());
        std::thread::sleep(Duration::from_millis(20));
        q.push(42u32);
        assert_eq!(t.join().unwrap(), Some(42));
    }
}
