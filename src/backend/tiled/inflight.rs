//! The growing patches this process has in flight, per array, so that the one reaching
//! farthest goes first. Once it has grown the array, the others fit inside it and run side by
//! side under the shared lock, instead of one after another each growing it a little (a
//! writer with frames 4, 5, 6, 7 in flight sends 7, then 4, 5, 6 together). Patches in flight
//! together have no order to keep: out-of-order arrival gives the same array.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;

/// (registration id, far corner of the patch).
type Entry = (u64, Vec<u64>);

#[derive(Default)]
pub(super) struct InFlight {
    /// Array key → its registered patches.
    patches: Mutex<HashMap<String, Vec<Entry>>>,
    changed: Notify,
    next_id: AtomicU64,
}

/// One registered patch; unregistered (and waiters woken) when dropped, also on failure or
/// cancellation.
pub(super) struct Registration<'a> {
    owner: &'a InFlight,
    key: String,
    id: u64,
    corner: Vec<u64>,
}

impl InFlight {
    pub fn register(&self, key: &str, corner: Vec<u64>) -> Registration<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut map = self.patches.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_string())
            .or_default()
            .push((id, corner.clone()));
        Registration {
            owner: self,
            key: key.to_string(),
            id,
            corner,
        }
    }

    /// Waits while another registered patch of the same array reaches at least as far along
    /// every axis (of two reaching equally far, the earlier goes first), unless `fits` says
    /// the patch fits the array's shape now. The farthest patch never waits, so every chain of
    /// waits ends.
    ///
    /// `fits` is asked at every wake-up: once a farther patch has grown the array, the nearer
    /// ones that fit in it go, even while newer farther patches are registered (waiting for
    /// those would hold every nearer patch back until the last one, one at a time).
    pub async fn wait_for_farther(&self, reg: &Registration<'_>, fits: impl Fn() -> bool) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the check: a change between the check and the await wakes it.
            notified.as_mut().enable();
            if fits() || !self.dominated(reg) {
                return;
            }
            notified.await;
        }
    }

    /// Whether another registered patch of the same array goes before this one.
    pub fn dominated(&self, reg: &Registration<'_>) -> bool {
        let map = self.patches.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&reg.key).is_some_and(|list| {
            list.iter().any(|(id, corner)| {
                *id != reg.id
                    && corner.len() == reg.corner.len()
                    && corner.iter().zip(&reg.corner).all(|(o, m)| o >= m)
                    && (corner != &reg.corner || *id < reg.id)
            })
        })
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut map = self.owner.patches.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = map.get_mut(&self.key) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                map.remove(&self.key);
            }
        }
        drop(map);
        self.owner.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const QUICK: Duration = Duration::from_millis(50);

    /// Whether `reg` may go now (its wait ends within a moment).
    async fn goes(f: &InFlight, reg: &Registration<'_>) -> bool {
        tokio::time::timeout(QUICK, f.wait_for_farther(reg, || false))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn the_farthest_patch_goes_first() {
        let f = InFlight::default();
        let near = f.register("a", vec![5, 10]);
        let far = f.register("a", vec![8, 10]);
        let other_array = f.register("b", vec![1, 1]);
        // Not comparable (farther on one axis, shorter on the other): neither waits.
        let sideways = f.register("a", vec![4, 20]);
        assert!(goes(&f, &far).await);
        assert!(goes(&f, &other_array).await);
        assert!(goes(&f, &sideways).await);
        assert!(
            !goes(&f, &near).await,
            "a patch reaching farther is in flight"
        );
        // Once the far one is done (or failed, or was dropped), the near one goes.
        let waiting = f.wait_for_farther(&near, || false);
        tokio::pin!(waiting);
        assert!(tokio::time::timeout(QUICK, &mut waiting).await.is_err());
        drop(far);
        assert!(tokio::time::timeout(QUICK, &mut waiting).await.is_ok());
    }

    /// Frames 1..4 in flight, 4 grew the array and is done, 5 has come in meanwhile: 1, 2 and
    /// 3 fit now and go together, though 5 (and 3, for 1 and 2) reach farther.
    #[tokio::test]
    async fn patches_that_fit_do_not_wait_for_farther_ones() {
        let f = InFlight::default();
        let rows = AtomicU64::new(1);
        let fits = |corner: u64| {
            let rows = &rows;
            move || corner <= rows.load(Ordering::SeqCst)
        };
        let near: Vec<_> = (2..=4).map(|c| f.register("a", vec![c])).collect();
        let four = f.register("a", vec![5]);
        for (r, c) in near.iter().zip(2..) {
            let wait = f.wait_for_farther(r, fits(c));
            assert!(tokio::time::timeout(QUICK, wait).await.is_err());
        }
        let waiting: Vec<_> = near
            .iter()
            .zip(2..)
            .map(|(r, c)| Box::pin(f.wait_for_farther(r, fits(c))))
            .collect();
        // 4 grows the array to 5 rows and is done; 5 registers before the others wake.
        rows.store(5, Ordering::SeqCst);
        let five = f.register("a", vec![6]);
        drop(four);
        for w in waiting {
            assert!(
                tokio::time::timeout(QUICK, w).await.is_ok(),
                "a patch that fits waits"
            );
        }
        assert!(goes(&f, &five).await);
    }

    #[tokio::test]
    async fn equal_corners_go_in_registration_order() {
        let f = InFlight::default();
        let first = f.register("a", vec![3]);
        let second = f.register("a", vec![3]);
        assert!(goes(&f, &first).await);
        assert!(!goes(&f, &second).await);
        drop(first);
        assert!(goes(&f, &second).await);
    }
}
