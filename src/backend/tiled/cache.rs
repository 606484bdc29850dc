//! What this process remembers of the server: array structures it read or wrote (each stands
//! in for a `GET /metadata` per patch) and groups it saw exist (each spares a request per
//! create). Both are only hints: a write re-checks what it planned against the server.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::journal::JournalStamp;
use super::structure::Remote;
use super::TiledBackend;
use crate::backend::{plan_patch, ArrayData, PatchPlan, Result};

/// How long a group seen to exist is trusted without asking again.
const GROUP_CACHE_TTL: Duration = Duration::from_secs(5);
/// Most array structures remembered; past it the memory starts afresh.
const MAX_KNOWN: usize = 4096;

/// An array's structure as this process last read or wrote it. Its shape chooses a patch's
/// lock. Under that lock it stands in for `GET /metadata` (one request and ≈ 10 ms of server
/// CPU per patch) while it is younger than [`super::TiledOptions::structure_ttl`] and no
/// extent process recorded a structure change since (the journal's stamp is unchanged):
/// extent's own shape changes all go through the journal; other clients' are not locked out
/// either way (see the module docs of [`super`]).
struct Known {
    remote: Remote,
    at: Instant,
    journal: Option<JournalStamp>,
}

/// The remembered structures and groups of one [`TiledBackend`].
#[derive(Default)]
pub(super) struct Cache {
    /// Groups recently seen to exist (full catalog path → when).
    groups: Mutex<HashMap<String, Instant>>,
    /// The structure last seen per array key (see [`Known`]).
    known: Mutex<HashMap<String, Known>>,
}

/// A poisoned map is still a good map: every update leaves it consistent.
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Cache {
    /// The shape this process last saw of an array (a hint for choosing a lock).
    pub fn last_shape(&self, key: &str) -> Option<Vec<u64>> {
        locked(&self.known)
            .get(key)
            .map(|k| k.remote.info.shape.clone())
    }

    /// The remembered structure younger than `ttl`, with the journal stamp it was seen under.
    fn fresh(&self, key: &str, ttl: Duration) -> Option<(Remote, Option<JournalStamp>)> {
        locked(&self.known)
            .get(key)
            .filter(|k| k.at.elapsed() < ttl)
            .map(|k| (k.remote.clone(), k.journal))
    }

    fn remember(&self, key: &str, remote: Remote, journal: Option<JournalStamp>) {
        let mut known = locked(&self.known);
        if known.len() >= MAX_KNOWN && !known.contains_key(key) {
            known.clear();
        }
        let at = Instant::now();
        known.insert(
            key.to_string(),
            Known {
                remote,
                at,
                journal,
            },
        );
    }

    pub fn forget(&self, key: &str) {
        locked(&self.known).remove(key);
    }

    /// Was `full` seen to be a group a moment ago? Short-lived, because another client may
    /// replace it.
    pub fn known_group(&self, full: &str) -> bool {
        locked(&self.groups)
            .get(full)
            .is_some_and(|t| t.elapsed() < GROUP_CACHE_TTL)
    }

    pub fn remember_group(&self, full: String) {
        let mut groups = locked(&self.groups);
        groups.retain(|_, t| t.elapsed() < GROUP_CACHE_TTL);
        groups.insert(full, Instant::now());
    }

    /// After a group was deleted: any remembered group may have been under it.
    pub fn forget_groups(&self) {
        locked(&self.groups).clear();
    }
}

impl TiledBackend {
    /// The array's structure, remembered when that is still good, else from the server; true
    /// when it was remembered. Only under the array's lock.
    pub(super) async fn current(&self, path: &str, key: &str) -> Result<(Remote, bool)> {
        if let Some((remote, stamp)) = self.cache.fresh(key, self.structure_ttl) {
            if self.state.stamp(key) == stamp {
                return Ok((remote, true));
            }
        }
        match self.remote(path).await {
            Ok(r) => {
                r.writable(path)?;
                self.remember(key, r.clone());
                Ok((r, false))
            }
            Err(e) => {
                self.cache.forget(key);
                Err(e)
            }
        }
    }

    /// The array's structure and the plan of a patch against it. A refusal planned against a
    /// remembered structure is checked against the server's (another client may have grown
    /// the array meanwhile).
    pub(super) async fn plan_current(
        &self,
        path: &str,
        key: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<(Remote, PatchPlan)> {
        let (cur, remembered) = self.current(path, key).await?;
        match plan_patch(&cur.info, offset, data, extend) {
            Ok(plan) => Ok((cur, plan)),
            Err(_) if remembered => {
                self.cache.forget(key);
                let (cur, _) = self.current(path, key).await?;
                let plan = plan_patch(&cur.info, offset, data, extend)?;
                Ok((cur, plan))
            }
            Err(e) => Err(e),
        }
    }

    /// Records a structure read or written under the array's lock, with the journal's stamp
    /// as it is now.
    pub(super) fn remember(&self, key: &str, remote: Remote) {
        self.cache.remember(key, remote, self.state.stamp(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{ArrayInfo, DType};

    fn remote(shape: Vec<u64>) -> Remote {
        Remote {
            info: ArrayInfo {
                path: "a".into(),
                chunks: vec![1; shape.len()],
                resizable: vec![true; shape.len()],
                shape: shape.clone(),
                dtype: DType::UInt8,
                fill_value: serde_json::json!(0),
                metadata: serde_json::json!({}),
            },
            big_endian: false,
            chunk_totals: shape,
            origin: None,
        }
    }

    #[test]
    fn structures_are_remembered_until_forgotten_or_stale() {
        let c = Cache::default();
        assert_eq!(c.last_shape("k"), None);
        c.remember("k", remote(vec![4, 2]), None);
        assert_eq!(c.last_shape("k"), Some(vec![4, 2]));
        assert!(c.fresh("k", Duration::from_secs(60)).is_some());
        assert!(c.fresh("k", Duration::ZERO).is_none());
        c.forget("k");
        assert_eq!(c.last_shape("k"), None);
    }

    #[test]
    fn groups_are_remembered_until_cleared() {
        let c = Cache::default();
        assert!(!c.known_group("g"));
        c.remember_group("g".into());
        assert!(c.known_group("g"));
        c.forget_groups();
        assert!(!c.known_group("g"));
    }
}
