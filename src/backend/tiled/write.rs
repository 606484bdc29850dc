//! Writing: patches (in place or growing), resizes, and the content of a new array. Every
//! write is planned with [`plan_patch`](crate::backend::plan_patch) against the structure read
//! under the array's lock, and cut into requests the server takes.

use bytes::Bytes;
use reqwest::{Method, Url};
use serde_json::Value;

use super::boxes::{self, Region};
use super::http::{Body, Op};
use super::journal;
use super::structure::{self, Remote};
use super::url::patch_query;
use super::TiledBackend;
use crate::backend::geometry;
use crate::backend::{
    fmt_shape, plan_resize, scalar_bytes, validate_path, ArrayData, ArrayInfo, Cause, Error,
    ErrorKind, Repair, Result,
};

/// How many times a patch asked to extend plans again after the array shrank under it.
const MAX_REPLANS: usize = 3;

/// Everything one write (a patch or a grow) needs, for the requests and for the diagnosis.
pub(super) struct WriteJob<'a> {
    pub path: &'a str,
    pub key: &'a str,
    pub cur: &'a Remote,
    pub offset: &'a [u64],
    /// The patch's dtype and shape, and its bytes unless `body` holds them.
    pub data: &'a ArrayData,
    /// The patch's bytes when the caller handed them over: sent without a copy.
    pub body: Option<Bytes>,
    pub new_shape: &'a [u64],
    pub cause: Cause,
    /// How to redo this write, for the repair of a failure.
    pub redo: Repair,
}

impl WriteJob<'_> {
    pub fn patch_bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or(&self.data.bytes)
    }
}

impl TiledBackend {
    /// Writes the content of a new array (its shape already set), in pieces when large.
    pub(super) async fn write_initial(
        &self,
        path: &str,
        info: &ArrayInfo,
        fill: &[u8],
        data: Option<&ArrayData>,
    ) -> Result<()> {
        let n = info.ndim();
        let zeros = vec![0u64; n];
        let empty;
        let data = match data {
            Some(d) => d,
            None => {
                empty = ArrayData::new(info.dtype, vec![0; n], Vec::new())?;
                &empty
            }
        };
        let whole = Region::new(zeros.clone(), info.shape.clone());
        let url = self.url("array/full", &self.full(path));
        let what = format!("writing the content of '{path}'");
        let pieces = boxes::split(&whole, info.dtype.size(), self.max_request_bytes);
        if pieces.len() == 1 {
            let bytes = boxes::materialize(&whole, fill, &zeros, &data.shape, &data.bytes);
            self.http
                .send(
                    Op::Write,
                    &what,
                    Method::PUT,
                    &url,
                    &[],
                    Body::Bytes(bytes.into()),
                )
                .await?;
            return Ok(());
        }
        for p in pieces {
            let bytes = boxes::materialize(&p, fill, &zeros, &data.shape, &data.bytes);
            self.send_patch(&what, &url, &p, false, bytes.into())
                .await?;
        }
        Ok(())
    }

    /// The requests of a write: (box, extend). Growing with a non-zero fill, or with a body
    /// too big for one request, first grows with a zero-size patch, then writes in place.
    fn plan_requests(&self, job: &WriteJob<'_>, fill: &[u8]) -> Vec<(Region, bool)> {
        let info = &job.cur.info;
        let n = info.ndim();
        let elem = info.dtype.size();
        let max = self.max_request_bytes;
        let patch = Region::new(job.offset.to_vec(), job.data.shape.clone());
        let grows = job.new_shape != info.shape.as_slice();
        let fill_zero = fill.iter().all(|&b| b == 0);
        let split = |b: &Region| -> Vec<(Region, bool)> {
            boxes::split(b, elem, max)
                .into_iter()
                .map(|p| (p, false))
                .collect()
        };
        if !grows {
            return split(&patch);
        }
        if fill_zero && job.patch_bytes().len() as u64 <= max {
            return vec![(patch, true)];
        }
        let mut reqs = vec![(Region::new(job.new_shape.to_vec(), vec![0; n]), true)];
        if fill_zero {
            reqs.extend(split(&patch));
        } else {
            // The new region: fill, with the patch overlaid where it falls in it.
            for g in boxes::grown_region(&info.shape, job.new_shape) {
                reqs.extend(split(&g));
            }
            let old = Region::new(vec![0; n], info.shape.clone());
            if let Some(inside) = patch.intersect(&old) {
                reqs.extend(split(&inside));
            }
        }
        reqs
    }

    /// A patch; `body`, when given, holds its bytes (then `data` only describes it).
    pub(super) async fn patch_with(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        body: Option<Bytes>,
        extend: bool,
    ) -> Result<ArrayInfo> {
        validate_path(path)?;
        // The structure is read under the lock (another extent process may be growing the
        // array), and the patch is checked against it before any byte reaches the server.
        let key = self.key(path);
        let redo = || Repair::PatchAgain {
            path: path.into(),
            offset: offset.to_vec(),
        };
        // A patch that leaves the shape alone runs beside other such patches to other chunks
        // (shared array lock + its chunks' locks); one that grows takes the array alone. Which
        // one this is, is guessed from the shape last seen, and checked under the lock.
        // The patch's far corner.
        let corner: Vec<u64> = offset
            .iter()
            .zip(&data.shape)
            .map(|(o, n)| o.saturating_add(*n))
            .collect();
        let fits = |shape: &[u64]| {
            shape.len() == offset.len()
                && data.shape.len() == offset.len()
                && corner.iter().zip(shape).all(|(c, s)| c <= s)
        };
        let hinted_fit = || self.cache.last_shape(&key).is_some_and(|s| fits(&s));
        // A growing patch lets a farther one of this process go first (then it may fit).
        let registration =
            (extend && !hinted_fit()).then(|| self.in_flight.register(&key, corner.clone()));
        // Patches that fit are sent without `extend` (see plan_requests); if a writer on
        // another machine shrank the array meanwhile, the server refuses one (409, nothing
        // written), and a patch asked to extend plans again against the shape now there.
        let mut replans = 0;
        let mut shrank_under_it = |out: &Result<ArrayInfo>| {
            let refused =
                matches!(out, Err(e) if e.kind == ErrorKind::OutOfBounds && e.repair.is_empty());
            let again = extend && refused && replans < MAX_REPLANS;
            replans += usize::from(again);
            again
        };
        loop {
            // One per pass: a job borrows the structure read in its pass.
            let job = |cur, new_shape| WriteJob {
                path,
                key: &key,
                cur,
                offset,
                data,
                body: body.clone(),
                new_shape,
                cause: Cause::Patch,
                redo: redo(),
            };
            if let Some(reg) = &registration {
                self.in_flight.wait_for_farther(reg, hinted_fit).await;
            }
            if !extend || hinted_fit() {
                let mut lock = self.state.lock_shared(&key).await?;
                let (cur, plan) = self.plan_current(path, &key, offset, data, extend).await?;
                if plan.new_shape == cur.info.shape {
                    Self::check_extendable(&cur.info)?;
                    let stripes = geometry::box_stripes(
                        &cur.info.chunks,
                        offset,
                        &data.shape,
                        journal::CHUNK_STRIPES,
                    );
                    self.state.lock_stripes(&mut lock, &key, stripes).await?;
                    let out = self.write_locked(&job(&cur, &plan.new_shape)).await;
                    if out.is_err() {
                        self.cache.forget(&key);
                    }
                    if shrank_under_it(&out) {
                        continue;
                    }
                    return out;
                }
            }
            let lock = self.state.lock(&key).await?;
            // A farther patch registered while this one waited for the lock: it goes first.
            if registration
                .as_ref()
                .is_some_and(|r| self.in_flight.dominated(r))
            {
                drop(lock);
                continue;
            }
            let (cur, plan) = self.plan_current(path, &key, offset, data, extend).await?;
            Self::check_extendable(&cur.info)?;
            let out = self.write_locked(&job(&cur, &plan.new_shape)).await;
            match &out {
                Ok(info) => {
                    let mut now = cur.clone();
                    now.info.shape = info.shape.clone();
                    // The server's chunk lists grew with the shape.
                    now.chunk_totals = info.shape.clone();
                    self.remember(&key, now);
                }
                Err(_) => self.cache.forget(&key),
            }
            if shrank_under_it(&out) {
                continue;
            }
            return out;
        }
    }

    /// Sends a write; the caller holds the array's lock and planned it against `job.cur`.
    async fn write_locked(&self, job: &WriteJob<'_>) -> Result<ArrayInfo> {
        let info = &job.cur.info;
        let path = job.path;
        let fill = scalar_bytes(info.dtype, &info.fill_value)?;
        let reqs = self.plan_requests(job, &fill);
        let url = self.url("array/full", &self.full(path));
        let what = if job.cause == Cause::Patch {
            format!("patching '{path}'")
        } else {
            format!("resizing '{path}'")
        };
        let mut answered: Option<Vec<u64>> = None;
        let patch = Region::new(job.offset.to_vec(), job.data.shape.clone());
        for (i, (b, extend)) in reqs.iter().enumerate() {
            let bytes: Bytes = match &job.body {
                Some(body) if *b == patch && !job.cur.big_endian => body.clone(),
                _ => {
                    let mut bytes = boxes::materialize(
                        b,
                        &fill,
                        job.offset,
                        &job.data.shape,
                        job.patch_bytes(),
                    );
                    if job.cur.big_endian {
                        structure::swap_bytes(&mut bytes, info.dtype.size());
                    }
                    bytes.into()
                }
            };
            match self.send_patch(&what, &url, b, *extend, bytes).await {
                Ok(answer) => answered = structure::shape_of_answer(&answer),
                Err(e) => {
                    let e = self.not_found(e, path);
                    return self.after_failed_write(job, i, reqs.len(), e).await;
                }
            }
        }
        let final_shape = match answered {
            Some(s) if s.len() == info.ndim() => s,
            _ if reqs.is_empty() => info.shape.clone(),
            // No usable shape in the answer: ask.
            _ => self.remote(path).await?.info.shape,
        };
        let planned = job.new_shape;
        if final_shape.iter().zip(planned).any(|(f, p)| f < p) {
            // Tiled never shrinks: an answer below the plan cannot be trusted.
            return Err(Error::io(format!(
                "{what}: the server reports shape {} after the write, smaller than the {} it must have",
                fmt_shape(&final_shape),
                fmt_shape(planned)
            ))
            .with_repair(Repair::Show { path: path.into() })
            .with_repair(Repair::Read { path: path.into() }));
        }
        if planned != info.shape.as_slice() {
            self.journal(job.key, path, job.cause, Some(&info.shape), Some(planned))?;
        }
        if final_shape != planned {
            // Larger than planned: another client extended it meanwhile (extent only
            // serialises its own writes), or the stored array was larger than the catalog
            // (a Tiled bug). Both are the array's truth now; record them as observed.
            tracing::warn!(
                "{what}: the server reports shape {} where {} was planned",
                fmt_shape(&final_shape),
                fmt_shape(planned)
            );
            self.journal(
                job.key,
                path,
                Cause::Observed,
                Some(planned),
                Some(&final_shape),
            )?;
        }
        let mut out = info.clone();
        out.shape = final_shape;
        Ok(out)
    }

    /// A patch whose bytes are handed over: they become the request body without a copy.
    pub(super) async fn patch_owned_data(
        &self,
        path: &str,
        offset: &[u64],
        data: ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        // The bytes become the request body as they are; what is left describes the patch.
        let ArrayData {
            dtype,
            shape,
            bytes,
        } = data;
        let described = ArrayData {
            dtype,
            shape,
            bytes: Vec::new(),
        };
        self.patch_with(path, offset, &described, Some(Bytes::from(bytes)), extend)
            .await
    }

    /// Grows an array with a zero-size patch at the new shape; shrinking is refused.
    pub(super) async fn resize_array(
        &self,
        path: &str,
        shape: &[u64],
        cause: Cause,
    ) -> Result<ArrayInfo> {
        let shrink_error = |info: &ArrayInfo| -> Result<()> {
            if info.shape.iter().zip(shape).any(|(o, n)| n < o) {
                return Err(Error::unsupported(format!(
                    "cannot shrink '{path}' from {} to {}: Tiled servers cannot shrink arrays",
                    fmt_shape(&info.shape),
                    fmt_shape(shape)
                ))
                .with_repair(Repair::CopyOut { path: path.into() }));
            }
            Ok(())
        };
        let first = self.remote(path).await?;
        first.writable(path)?;
        plan_resize(&first.info, shape)?;
        shrink_error(&first.info)?;
        if first.info.shape == shape {
            return Ok(first.info);
        }
        Self::check_extendable(&first.info)?;
        let key = self.key(path);
        let _lock = self.state.lock(&key).await?;
        let cur = self.remote(path).await?;
        plan_resize(&cur.info, shape)?;
        shrink_error(&cur.info)?;
        if cur.info.shape == shape {
            return Ok(cur.info);
        }
        // A zero-size patch whose far corner is the new shape grows the array.
        let empty = ArrayData::new(cur.info.dtype, vec![0; shape.len()], Vec::new())?;
        let job = WriteJob {
            path,
            key: &key,
            cur: &cur,
            offset: shape,
            data: &empty,
            body: None,
            new_shape: shape,
            cause,
            redo: Repair::ResizeAgain {
                path: path.into(),
                shape: shape.to_vec(),
            },
        };
        self.write_locked(&job).await
    }

    /// One `PATCH /array/full` of the block `b` (its bytes in `bytes`); `extend` lets it grow
    /// the array. Sent once (a write may have landed). Returns the server's answer.
    pub(super) async fn send_patch(
        &self,
        what: &str,
        url: &Url,
        b: &Region,
        extend: bool,
        bytes: Bytes,
    ) -> Result<Value> {
        let query = patch_query(&b.start, &b.shape, extend);
        self.http
            .send(
                Op::Write,
                what,
                Method::PATCH,
                url,
                &query,
                Body::Bytes(bytes),
            )
            .await
    }

    /// Tiled cannot extend an array with a zero-length chunk axis (division by zero).
    pub(super) fn check_extendable(info: &ArrayInfo) -> Result<()> {
        if info.chunks.contains(&0) {
            return Err(Error::unsupported(format!(
                "'{}' has a zero-length axis (shape {}), which Tiled 0.2.20 cannot write to or \
                 extend (a server bug); recreate it with at least one chunk along every axis",
                info.path,
                fmt_shape(&info.shape)
            )));
        }
        Ok(())
    }
}
