//! After a write failed: finding out what the server was left with, and turning that into
//! an error that says how to repair it (or into success, when the write verifiably landed).

use bytes::Bytes;
use serde_json::Value;

use super::boxes::{self, Region};
use super::structure;
use super::write::WriteJob;
use super::TiledBackend;
use crate::backend::{
    fmt_shape, scalar_bytes, ArrayInfo, Cause, Error, ErrorKind, Repair, Result, Selection,
};

impl TiledBackend {
    /// After request `failed` of `total` failed: find out what the server was left with, and
    /// turn that into the error (or, when the write verifiably landed, into success).
    pub(super) async fn after_failed_write(
        &self,
        job: &WriteJob<'_>,
        failed: usize,
        total: usize,
        err: Error,
    ) -> Result<ArrayInfo> {
        let path = job.path;
        let info = &job.cur.info;
        let old = &info.shape;
        let planned = job.new_shape;
        // A refusal (4xx) of the first request: the server changed nothing.
        if failed == 0 && err.kind != ErrorKind::Io {
            return Err(err);
        }
        let grows = planned != old.as_slice();
        if !grows {
            let then = "the shape did not change, but part of the data may have been written";
            return Err(followed(err.kind, err, then, vec![job.redo.clone()]));
        }
        // With a non-zero fill value, the new region must get it before the data goes in again.
        let fill = scalar_bytes(info.dtype, &info.fill_value).unwrap_or_default();
        let mut repair: Vec<Repair> = Vec::new();
        if fill.iter().any(|&b| b != 0) {
            let value = match &info.fill_value {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            repair.extend(
                boxes::grown_region(old, planned)
                    .iter()
                    .map(|g| Repair::Fill {
                        path: path.into(),
                        offset: g.start.clone(),
                        shape: g.shape.clone(),
                        value: value.clone(),
                    }),
            );
        }
        repair.push(job.redo.clone());
        let show = || Repair::Show { path: path.into() };
        let now = match self.remote(path).await {
            Ok(r) => r.info.shape,
            Err(e2) => {
                let then = format!(
                    "extent could not check '{path}' afterwards ({}): it may have been grown to \
                     {} without all of its data",
                    e2.chain(),
                    fmt_shape(planned),
                );
                let steps = std::iter::once(show()).chain(repair).collect();
                return Err(followed(ErrorKind::Io, err, &then, steps));
            }
        };
        if now.as_slice() == planned {
            self.journal_quietly(job.key, path, job.cause, Some(old), Some(&now));
            if total == 1 {
                // One request, and the shape is there: did the data land too (a lost answer)?
                let sel = Selection {
                    start: job.offset.to_vec(),
                    end: job
                        .offset
                        .iter()
                        .zip(&job.data.shape)
                        .map(|(o, s)| o + s)
                        .collect(),
                };
                let mut grown = job.cur.clone();
                grown.info.shape = now.clone();
                if let Ok(back) = self.read_box(path, &grown, &sel).await {
                    if back.bytes == job.patch_bytes() {
                        tracing::warn!(
                            "{}; but '{path}' has the new shape and data: the write landed",
                            err.chain()
                        );
                        return Ok(grown.info);
                    }
                }
            }
            let then = format!(
                "'{path}' was grown to {} but its data may be incomplete (missing parts read as 0)",
                fmt_shape(planned),
            );
            return Err(followed(ErrorKind::Io, err, &then, repair));
        }
        if now == *old {
            // Tiled resizes its stored Zarr array before writing and updates its catalog last,
            // so a failed write can leave the storage larger than the catalog. A zero-size
            // in-bounds patch at the planned edge tells: it passes only if the storage is that
            // large, and then it publishes the storage's shape to the catalog.
            let url = self.url("array/full", &self.full(path));
            let edge = Region::new(planned.to_vec(), vec![0; old.len()]);
            let what = format!("checking '{path}'");
            return match self
                .send_patch(&what, &url, &edge, false, Bytes::new())
                .await
            {
                Ok(answer) => {
                    let s = structure::shape_of_answer(&answer).unwrap_or_else(|| planned.to_vec());
                    self.journal_quietly(job.key, path, Cause::Repair, Some(old), Some(&s));
                    let then = format!(
                        "the server had grown its stored array to {} without updating its \
                         catalog (a Tiled bug); extent published that shape so both agree again, \
                         but the data is missing (reads as 0)",
                        fmt_shape(&s),
                    );
                    Err(followed(ErrorKind::Io, err, &then, repair))
                }
                Err(e2) if e2.kind == ErrorKind::OutOfBounds => {
                    let then = format!(
                        "nothing changed: '{path}' still has shape {}. Try again when the server \
                         is healthy",
                        fmt_shape(old)
                    );
                    Err(followed(ErrorKind::Io, err, &then, Vec::new()))
                }
                Err(e2) => {
                    let then = format!(
                        "'{path}' still shows shape {}, but the server may have grown its stored \
                         array without its catalog (a Tiled bug) and extent could not check ({})",
                        fmt_shape(old),
                        e2.chain(),
                    );
                    repair.push(show());
                    Err(followed(ErrorKind::Io, err, &then, repair))
                }
            };
        }
        let then = format!(
            "'{path}' now has shape {}, neither {} before nor the planned {}: another client \
             changed it meanwhile",
            fmt_shape(&now),
            fmt_shape(old),
            fmt_shape(planned)
        );
        Err(followed(ErrorKind::Io, err, &then, vec![show()]))
    }
}

/// The failed request's error `err` told together with what it left behind (`then`): the
/// message says both, `err` stays the cause (so its own cause is not lost), and `repair`
/// replaces whatever `err` suggested.
fn followed(kind: ErrorKind, err: Error, then: &str, repair: Vec<Repair>) -> Error {
    let mut e = Error::new(kind, format!("{}; {then}", err.message)).with_source(err);
    e.repair = repair;
    e
}
