//! Runs effects as tokio tasks whose results come back on a channel. Keyed effects are single
//! jobs (gitui's AsyncSingleJob): at most one runs and one waits per key, and a newer request
//! replaces the waiting one, so a fast writer never queues a thousand reads.

use std::collections::HashMap;

use futures::future::BoxFuture;
use tokio::sync::mpsc::UnboundedSender;

use crate::app::action::JobKey;

/// A finished job: the loop calls [`Jobs::finished`] and then hands `result` to the model.
#[derive(Debug)]
pub struct Done<T> {
    pub key: Option<JobKey>,
    pub result: T,
}

struct Slot<T> {
    running: bool,
    pending: Option<BoxFuture<'static, T>>,
}

/// Jobs producing `T` (the TUI's are `JobResult`s).
pub struct Jobs<T> {
    tx: UnboundedSender<Done<T>>,
    slots: HashMap<JobKey, Slot<T>>,
    /// Jobs started (for tests and the log).
    pub started: u64,
}

impl<T: Send + 'static> Jobs<T> {
    pub fn new(tx: UnboundedSender<Done<T>>) -> Jobs<T> {
        Jobs {
            tx,
            slots: HashMap::new(),
            started: 0,
        }
    }

    /// Starts `job` now, or parks it behind the running job of the same key (replacing any
    /// job already parked there).
    pub fn submit(&mut self, key: Option<JobKey>, job: BoxFuture<'static, T>) {
        match key {
            None => self.spawn(None, job),
            Some(k) => {
                let slot = self.slots.entry(k.clone()).or_insert(Slot {
                    running: false,
                    pending: None,
                });
                if slot.running {
                    slot.pending = Some(job);
                } else {
                    slot.running = true;
                    self.spawn(Some(k), job);
                }
            }
        }
    }

    /// A job of `key` ended: start the parked one, if any.
    pub fn finished(&mut self, key: &Option<JobKey>) {
        let Some(k) = key else { return };
        let next = match self.slots.get_mut(k) {
            Some(slot) => {
                let next = slot.pending.take();
                slot.running = next.is_some();
                next
            }
            None => None,
        };
        if let Some(job) = next {
            self.spawn(Some(k.clone()), job);
        }
    }

    fn spawn(&mut self, key: Option<JobKey>, job: BoxFuture<'static, T>) {
        self.started += 1;
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = job.await;
            // The loop may be gone (quitting): nothing to do then.
            let _ = tx.send(Done { key, result });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_burst_of_requests_runs_at_most_two() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut jobs = Jobs::new(tx);
        let runs = Arc::new(AtomicU32::new(0));
        for _ in 0..1000 {
            let runs = runs.clone();
            jobs.submit(
                Some(JobKey::Show),
                Box::pin(async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }),
            );
        }
        let d = rx.recv().await.unwrap();
        jobs.finished(&d.key);
        let d = rx.recv().await.unwrap();
        jobs.finished(&d.key);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(jobs.started, 2);
        // Unkeyed jobs (writes) all run.
        for _ in 0..3 {
            jobs.submit(None, Box::pin(async {}));
        }
        for _ in 0..3 {
            rx.recv().await.unwrap();
        }
    }
}
