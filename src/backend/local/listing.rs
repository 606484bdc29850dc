//! Sorted child listings of a local store's groups, kept while the directory is unchanged:
//! paging through a group of 100 000 nodes reads and sorts the directory once, not once per
//! page of 200.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Directories remembered at once (a few big groups, the ones being paged through).
const MAX_DIRS: usize = 32;
/// A directory changed this recently may change again within the same timestamp tick, which
/// its mtime would not show: such a listing is used once and not kept.
const SETTLE: Duration = Duration::from_secs(1);

struct Listing {
    mtime: SystemTime,
    /// Child directories, sorted, with whether their metadata file was there.
    children: Vec<(String, bool)>,
    /// The children that are nodes (have the metadata file), sorted.
    nodes: Arc<Vec<String>>,
}

#[derive(Default)]
pub(super) struct ListingCache(Mutex<HashMap<PathBuf, Listing>>);

impl ListingCache {
    /// The names of `dir`'s child nodes (directories holding `meta`, not hidden), sorted.
    pub fn nodes(&self, dir: &Path, meta: &str) -> std::io::Result<Arc<Vec<String>>> {
        let mtime = fs::metadata(dir)?.modified()?;
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = map.get_mut(dir).filter(|l| l.mtime == mtime) {
            // A child directory is made before its metadata file is written inside it, which
            // does not touch this directory's mtime: look again at those that had none.
            let mut found = false;
            for (name, has) in l.children.iter_mut().filter(|(_, has)| !*has) {
                *has = has_meta(&dir.join(&*name).join(meta));
                found |= *has;
            }
            if found {
                l.nodes = Arc::new(node_names(&l.children));
            }
            return Ok(l.nodes.clone());
        }
        let mut children: Vec<(String, bool)> = fs::read_dir(dir)?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .map(|n| {
                let has = has_meta(&dir.join(&n).join(meta));
                (n, has)
            })
            .collect();
        children.sort_unstable();
        let nodes = Arc::new(node_names(&children));
        let settled = SystemTime::now()
            .duration_since(mtime)
            .is_ok_and(|age| age >= SETTLE);
        if settled {
            if map.len() >= MAX_DIRS {
                map.clear(); // rare: more big groups than that are being paged at once
            }
            map.insert(
                dir.to_path_buf(),
                Listing {
                    mtime,
                    children,
                    nodes: nodes.clone(),
                },
            );
        } else {
            map.remove(dir);
        }
        Ok(nodes)
    }
}

/// Whether a child directory is a node: its metadata file is there, or cannot be looked at
/// (a directory this user may not enter is listed, and then reported as unreadable, rather
/// than silently left out).
fn has_meta(file: &Path) -> bool {
    match fs::metadata(file) {
        Ok(m) => m.is_file(),
        Err(e) => e.kind() == std::io::ErrorKind::PermissionDenied,
    }
}

fn node_names(children: &[(String, bool)]) -> Vec<String> {
    children
        .iter()
        .filter(|(_, has)| *has)
        .map(|(n, _)| n.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_mtime(dir: &Path, t: SystemTime) {
        fs::File::open(dir).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn follows_new_removed_and_late_nodes() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for n in ["b", "a", ".hidden"] {
            fs::create_dir(d.join(n)).unwrap();
            fs::write(d.join(n).join("zarr.json"), "{}").unwrap();
        }
        fs::create_dir(d.join("c")).unwrap(); // no metadata yet
        let old = SystemTime::now() - Duration::from_secs(60);
        set_mtime(d, old);
        let cache = ListingCache::default();
        assert_eq!(*cache.nodes(d, "zarr.json").unwrap(), ["a", "b"]);
        // Kept: the same listing comes back without reading the directory again...
        let first = cache.nodes(d, "zarr.json").unwrap();
        assert!(Arc::ptr_eq(&first, &cache.nodes(d, "zarr.json").unwrap()));
        // ...except that a child whose metadata arrived later (no mtime change) shows up.
        fs::write(d.join("c").join("zarr.json"), "{}").unwrap();
        set_mtime(d, old);
        assert_eq!(*cache.nodes(d, "zarr.json").unwrap(), ["a", "b", "c"]);
        // A removed or added child changes the directory: listed again.
        fs::remove_dir_all(d.join("a")).unwrap();
        fs::create_dir(d.join("d")).unwrap();
        fs::write(d.join("d").join("zarr.json"), "{}").unwrap();
        assert_eq!(*cache.nodes(d, "zarr.json").unwrap(), ["b", "c", "d"]);
        // Just changed: not kept (a second change in the same tick would not show).
        let again = cache.nodes(d, "zarr.json").unwrap();
        assert!(!Arc::ptr_eq(&again, &cache.nodes(d, "zarr.json").unwrap()));
    }
}
