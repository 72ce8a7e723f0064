//! A thread that watches something (a device, the process list, the
//! displays) and reports into a [`DropOldestQueue`] until it is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::queue::DropOldestQueue;

/// A watching thread and its reports.
#[derive(Debug)]
pub struct Producer<T> {
    reports: Arc<DropOldestQueue<T>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Producer<T> {
    /// Queues the `first` reports, then starts `run` on a thread named
    /// `name`. It pushes reports into the queue (at most `capacity` wait;
    /// the oldest is dropped) and returns soon after the flag it is given
    /// turns true.
    pub fn spawn(
        name: &str,
        capacity: usize,
        first: impl IntoIterator<Item = T>,
        run: impl FnOnce(&DropOldestQueue<T>, &AtomicBool) + Send + 'static,
    ) -> std::io::Result<Self> {
        let reports = Arc::new(DropOldestQueue::new(capacity.max(1)));
        for report in first {
            reports.push(report);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s) = (Arc::clone(&reports), Arc::clone(&stop));
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                run(&q, &s);
                q.close();
            })?;
        Ok(Self {
            reports,
            stop,
            handle: Some(handle),
        })
    }

    /// The next report, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<T> {
        self.reports.pop_timeout(timeout)
    }

    /// Stops the thread and waits for it; reports it made stay readable.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }

    /// Reports lost because nobody read them in time.
    pub fn dropped(&self) -> u64 {
        self.reports.dropped()
    }

    /// Whether the watching has ended (its source went away). True as soon
    /// as the queue is closed, so a reader that saw the end of the reports
    /// never finds it still running while the thread unwinds.
    pub fn is_finished(&self) -> bool {
        self.reports.is_closed()
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reports_arrive_and_dropping_stops_the_thread() {
        let p = Producer::spawn("test", 4, [], |q, stop| {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                q.push(n);
                n += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .unwrap();
        assert_eq!(p.next(Duration::from_secs(5)), Some(0));
        std::thread::sleep(Duration::from_millis(50));
        assert!(p.dropped() > 0, "a slow reader loses the oldest reports");
        assert!(!p.is_finished());
        drop(p); // joins: the test would hang if the thread did not stop
    }

    #[test]
    fn first_reports_come_first_and_a_thread_that_ends_closes_its_queue() {
        let p = Producer::spawn("test", 4, [6], |q, _| {
            q.push(7);
        })
        .unwrap();
        assert_eq!(p.next(Duration::from_secs(5)), Some(6));
        assert_eq!(p.next(Duration::from_secs(5)), Some(7));
        assert_eq!(p.next(Duration::from_secs(5)), None);
        assert!(p.is_finished());
    }
}
