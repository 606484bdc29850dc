//! What the server has against what extent recorded: the history (with changes made by other
//! clients noticed as `observed`), and the check and repair of one array.

use super::journal::WriteLock;
use super::structure::{self, Family};
use super::TiledBackend;
use crate::backend::{
    fmt_shape, validate_path, Cause, Finding, FindingCode, Result, StructureChange,
};

impl TiledBackend {
    /// extent's journal, plus an `observed` entry when the server's shape differs from the
    /// last one recorded (another client changed it).
    pub(super) async fn history_of(&self, path: &str) -> Result<Vec<StructureChange>> {
        let r = self.remote(path).await?;
        let key = self.key(path);
        let entries = self.state.read(&key)?;
        let last = entries.last().and_then(|e| e.new_shape.clone());
        if last.as_ref() == Some(&r.info.shape) {
            return Ok(entries);
        }
        // If a writer holds the lock, its change is in flight: report what is recorded.
        match self.state.try_lock(&key) {
            Some(lock) => self.observe(path, &key, lock).await,
            None => Ok(entries),
        }
    }

    /// Reads only: the catalog's own consistency, and whether the shape changed outside
    /// extent since the last recorded change.
    pub(super) async fn check_array(&self, path: &str) -> Result<Vec<Finding>> {
        if path.is_empty() {
            return Ok(Vec::new());
        }
        validate_path(path)?;
        let attrs = self.attributes(path).await?;
        if structure::family(&attrs).0 != Family::Array {
            return Ok(Vec::new());
        }
        let r = structure::remote_from_attributes(path, &attrs)?;
        let info = &r.info;
        let finding = |code, message, repair| Finding::new(path, code, message, repair);
        let mut out = Vec::new();
        if r.chunk_totals != info.shape {
            out.push(finding(
                FindingCode::ChunkListMismatch,
                format!(
                    "the server's chunk lists cover {} but the shape is {}: the catalog is \
                     inconsistent (a Tiled bug); copy the data to a new array",
                    fmt_shape(&r.chunk_totals),
                    fmt_shape(&info.shape)
                ),
                None,
            ));
        }
        // Whether the server can serve the data at the catalog's shape.
        out.extend(self.data_finding(path, &r).await);
        if info.chunks.contains(&0) {
            out.push(finding(
                FindingCode::ZeroLengthAxis,
                format!(
                    "shape {} has a zero-length axis, which Tiled 0.2.20 cannot extend; \
                     recreate the array with at least one chunk along every axis",
                    fmt_shape(&info.shape)
                ),
                None,
            ));
        }
        let entries = self.state.read(&self.key(path))?;
        if let Some(f) = shape_lost(path, &entries, &info.shape) {
            out.push(f);
        }
        if let Some(last) = entries.last() {
            if last.new_shape.as_ref() != Some(&info.shape) {
                out.push(finding(
                    FindingCode::JournalBehind,
                    format!(
                        "the history ends at shape {} but the server has {}: another client \
                         changed it",
                        last.new_shape
                            .as_deref()
                            .map(fmt_shape)
                            .unwrap_or_else(|| "(deleted)".into()),
                        fmt_shape(&info.shape)
                    ),
                    Some("record the change in extent's history (cause: observed)"),
                ));
            }
        }
        Ok(out)
    }

    /// Checks, then records a shape changed outside extent (the one repair a client can make).
    pub(super) async fn repair_array(&self, path: &str) -> Result<Vec<Finding>> {
        let mut found = self.check_array(path).await?;
        for f in &mut found {
            if f.code == FindingCode::JournalBehind {
                let key = self.key(path);
                let lock = self.state.lock(&key).await?;
                self.observe(path, &key, lock).await?;
                f.repaired = true;
            }
        }
        Ok(found)
    }

    /// Under the array's lock: appends an `observed` entry when the server's shape is not the
    /// last one recorded. Returns the whole history.
    async fn observe(
        &self,
        path: &str,
        key: &str,
        _lock: WriteLock,
    ) -> Result<Vec<StructureChange>> {
        let mut entries = self.state.read(key)?;
        let last = entries.last().and_then(|e| e.new_shape.clone());
        let now = self.remote(path).await?.info.shape;
        if last.as_ref() != Some(&now) {
            let entry = self.journal(key, path, Cause::Observed, last.as_deref(), Some(&now))?;
            entries.push(entry);
        }
        Ok(entries)
    }
}

/// The server's shape against the largest one this machine's journal recorded since the array
/// was (last) created. Tiled cannot shrink an array, so a smaller axis means that a writer
/// elsewhere grew it from a stale shape and its smaller size won: the growth, and rows written
/// past the new edge, are lost. It stays a finding until the array is that large again.
fn shape_lost(path: &str, entries: &[StructureChange], now: &[u64]) -> Option<Finding> {
    let since = entries
        .iter()
        .rposition(|e| e.cause == Cause::Create)
        .unwrap_or(0);
    let mut largest: Option<Vec<u64>> = None;
    for shape in entries[since..].iter().filter_map(|e| e.new_shape.as_ref()) {
        match &mut largest {
            Some(l) if l.len() == shape.len() => {
                for (a, b) in l.iter_mut().zip(shape) {
                    *a = (*a).max(*b);
                }
            }
            _ => largest = Some(shape.clone()),
        }
    }
    let largest = largest.filter(|l| l.len() == now.len())?;
    if largest.iter().zip(now).all(|(l, n)| n >= l) {
        return None;
    }
    Some(Finding::new(
        path,
        FindingCode::ShapeLost,
        format!(
            "extent on this machine grew it to {} but the server has {}: a writer elsewhere \
             extended it from an older shape at the same time (Tiled does not lock extends \
             across clients); rows written from here past the edge are lost and must be \
             written again. Let one writer grow an array, or grow it first and write inside it",
            fmt_shape(&largest),
            fmt_shape(now)
        ),
        None,
    ))
}
