//! Creating and deleting nodes: arrays, and the groups above them.

use reqwest::Method;

use super::http::{Body, Op};
use super::structure::{self, Family};
use super::url::q;
use super::TiledBackend;
use crate::backend::{
    element_json, scalar_bytes, validate_path, ArrayInfo, Cause, CreateRequest, Error, ErrorKind,
    Repair, Result,
};

impl TiledBackend {
    /// Makes sure every ancestor of `path` is a group, creating the missing ones.
    async fn ensure_groups(&self, path: &str) -> Result<()> {
        let full = self.full(path);
        let parent = full[..full.len() - 1].join("/");
        if self.cache.known_group(&parent) {
            return Ok(());
        }
        // Walk up to the deepest existing ancestor, then create downwards.
        let mut depth = full.len() - 1;
        while depth > 0 {
            let anc = &full[..depth];
            let shown = anc.join("/");
            let url = self.url("metadata", anc);
            match self
                .http
                .get_json(&format!("reading '{shown}'"), &url, &[])
                .await
            {
                Ok(v) => {
                    // Tiled accepts children under an array; extent does not.
                    if structure::family(&v["data"]["attributes"]).0 != Family::Container {
                        return Err(Error::invalid_input(format!(
                            "cannot create '{path}': '{shown}' is an array, not a group"
                        )));
                    }
                    break;
                }
                Err(e) if e.kind == ErrorKind::NotFound => depth -= 1,
                Err(e) => return Err(e),
            }
        }
        for d in depth + 1..full.len() {
            let url = self.url("metadata", &full[..d - 1]);
            let body = structure::container_body(&full[d - 1]);
            let what = format!("creating the group '{}'", full[..d].join("/"));
            match self
                .http
                .send(Op::Create, &what, Method::POST, &url, &[], Body::Json(body))
                .await
            {
                Ok(_) => {}
                // Someone else created it meanwhile.
                Err(e) if e.kind == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        self.cache.remember_group(parent);
        Ok(())
    }

    /// Creates an array (and its missing groups); with data or a non-zero fill value, writes
    /// its content, removing the array again when that fails.
    pub(super) async fn create_array(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        req.validate()?;
        structure::check_creatable(&req.shape, &req.chunks)?;
        let path = req.path.as_str();
        let fill = scalar_bytes(req.dtype, &req.fill_value)?;
        let fill_json = element_json(req.dtype, &fill);
        self.ensure_groups(path).await?;
        let key = self.key(path);
        let _lock = self.state.lock(&key).await?;
        let full = self.full(path);
        let (name, parent) = full
            .split_last()
            .ok_or_else(|| Error::invalid_input("the path is empty"))?;
        let metadata = structure::metadata_with_extent(&req.metadata, &req.resizable, &fill_json);
        let body = structure::create_body(name, &req.shape, &req.chunks, req.dtype, metadata);
        let url = self.url("metadata", parent);
        self.http
            .send(
                Op::Create,
                &format!("creating '{path}'"),
                Method::POST,
                &url,
                &[],
                Body::Json(body),
            )
            .await
            .map_err(|e| match e.kind {
                ErrorKind::AlreadyExists => Error::already_exists(format!(
                    "'{path}' already exists; choose another path or delete it first"
                )),
                _ => e,
            })?;
        let info = ArrayInfo {
            path: path.to_string(),
            shape: req.shape.clone(),
            chunks: req.chunks.clone(),
            dtype: req.dtype,
            resizable: req.resizable.clone(),
            fill_value: fill_json,
            metadata: req.metadata.clone(),
        };
        // The server starts with zeros: write the data, or a non-zero fill value.
        if req.data.is_some() || fill.iter().any(|&b| b != 0) {
            if let Err(e) = self
                .write_initial(path, &info, &fill, req.data.as_ref())
                .await
            {
                let q = q(&[("external_only", "false".into())]);
                let url = self.url("metadata", &full);
                let undo = self
                    .http
                    .send(Op::Delete, "undoing", Method::DELETE, &url, &q, Body::None)
                    .await;
                return Err(match undo {
                    Ok(_) => e.context(format!("creating '{path}' failed and was undone")),
                    Err(u) => Error::io(format!(
                        "creating '{path}' failed ({}) and removing the half-made array also \
                         failed",
                        e.chain()
                    ))
                    .with_source(u)
                    .with_repair(Repair::Delete { path: path.into() }),
                });
            }
        }
        // A journal left by an earlier array of the same name is not this one's.
        self.cache.forget(&key);
        self.state.reset(&key)?;
        self.journal(&key, path, Cause::Create, None, Some(&req.shape))?;
        // What `show` would say, without asking again (creating many arrays is slow enough).
        Ok(ArrayInfo {
            metadata: structure::split_metadata(&req.metadata).0,
            ..info
        })
    }

    /// Deletes an array (with its history) or a group (with everything in it).
    pub(super) async fn delete_node(&self, path: &str) -> Result<()> {
        if path.is_empty() {
            return Err(Error::invalid_input("refusing to delete the store's root"));
        }
        validate_path(path)?;
        let attrs = self.attributes(path).await?;
        let family = structure::family(&attrs).0;
        let key = self.key(path);
        let _lock = match family {
            Family::Array => Some(self.state.lock(&key).await?),
            _ => None,
        };
        let mut query = q(&[("external_only", "false".into())]);
        if family == Family::Container {
            query.push(("recursive".into(), "true".into()));
        }
        let url = self.url("metadata", &self.full(path));
        self.http
            .send(
                Op::Delete,
                &format!("deleting '{path}'"),
                Method::DELETE,
                &url,
                &query,
                Body::None,
            )
            .await
            .map_err(|e| self.not_found(e, path))?;
        if family == Family::Array {
            // The history goes with the array, as in a local store.
            self.cache.forget(&key);
            self.state.reset(&key)?;
        } else {
            self.cache.forget_groups();
        }
        Ok(())
    }
}
