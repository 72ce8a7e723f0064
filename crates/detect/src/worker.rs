//! Detection off the capture path: a worker thread fed through a bounded
//! queue that drops the oldest item when full (and counts the drops), with a
//! bounded result channel. Capture never waits for detection, and memory
//! never grows with a slow consumer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

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

/// A detector running on its own thread.
#[derive(Debug)]
pub struct Worker<I, O> {
    queue: Arc<DropOldestQueue<I>>,
    results: Receiver<O>,
    handle: Option<JoinHandle<()>>,
}

impl<I: Send + 'static, O: Send + 'static> Worker<I, O> {
    /// Starts a thread running `work` on each item; at most `capacity` items
    /// wait, and at most `capacity` results wait to be collected.
    pub fn spawn(
        name: &str,
        capacity: usize,
        mut work: impl FnMut(I) -> O + Send + 'static,
    ) -> std::io::Result<Self> {
        let queue = Arc::new(DropOldestQueue::new(capacity));
        let (tx, results): (SyncSender<O>, Receiver<O>) = sync_channel(capacity.max(1));
        let q = Arc::clone(&queue);
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while let Some(item) = q.pop() {
                    if tx.send(work(item)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self {
            queue,
            results,
            handle: Some(handle),
        })
    }

    /// Hands an item to the worker without waiting; the oldest waiting item
    /// is dropped if the worker is behind.
    pub fn submit(&self, item: I) -> bool {
        self.queue.push(item)
    }

    /// The next result, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<O> {
        self.results.recv_timeout(timeout).ok()
    }

    /// A result if one is ready.
    pub fn try_recv(&self) -> Option<O> {
        self.results.try_recv().ok()
    }

    /// Items dropped because the worker was behind.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }
}

impl<I, O> Drop for Worker<I, O> {
    fn drop(&mut self) {
        self.queue.close();
        // Results nobody reads would block the worker: drain them while it stops.
        while self.results.try_recv().is_ok() {}
        if let Some(h) = self.handle.take() {
            while !h.is_finished() {
                while self.results.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = h.join();
        }
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
    fn a_slow_worker_drops_frames_but_keeps_memory_bounded() {
        let w = Worker::spawn("test", 2, |x: u32| {
            std::thread::sleep(Duration::from_millis(20));
            x * 2
        })
        .unwrap();
        for i in 0..50 {
            w.submit(i);
        }
        let mut got = Vec::new();
        while let Some(r) = w.recv_timeout(Duration::from_millis(200)) {
            got.push(r);
        }
        assert!(got.len() <= 4, "{got:?}");
        assert!(w.dropped() >= 46);
        assert_eq!(got.last(), Some(&98), "the newest item is always processed");
    }

    #[test]
    fn dropping_a_worker_with_unread_results_stops_it() {
        let w = Worker::spawn("test", 1, |x: u32| x).unwrap();
        for i in 0..10 {
            w.submit(i);
        }
        drop(w);
    }
}
