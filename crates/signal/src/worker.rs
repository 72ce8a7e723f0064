//! Work off the capture path: a worker thread fed through a
//! [`DropOldestQueue`], with a bounded result channel. Capture never waits
//! for detection, and memory never grows with a slow consumer.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::queue::DropOldestQueue;

/// A consumer (a detector, an encoder) running on its own thread.
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
