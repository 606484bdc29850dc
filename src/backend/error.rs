//! The one error type every backend returns: a kind that scripts can match on, a message
//! for people, the cause below it, and typed repair steps that each front end words itself.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What every backend operation returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a stable name (`--json` prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A write or selection outside the array (without `--extend`).
    OutOfBounds,
    /// Data of another dtype than the array's.
    DtypeMismatch,
    /// Shapes or numbers of axes that do not agree.
    ShapeMismatch,
    /// A resize or extend along an axis that is not resizable.
    NotResizable,
    /// No such array or group.
    NotFound,
    /// Something already exists at the path.
    AlreadyExists,
    /// The store cannot do this (e.g. the server lacks the API).
    Unsupported,
    /// Missing or rejected credentials.
    Auth,
    /// The store is not in a state that allows it (another writer, a 409 from the server).
    Conflict,
    /// Input that does not make sense (a parse error, a bad path).
    InvalidInput,
    /// Filesystem, network or server failure.
    Io,
    /// The server has the node but not its data yet (Tiled's 503 with Retry-After while a
    /// file catches up with the catalog): try again later.
    NotReady,
}

impl ErrorKind {
    /// The `snake_case` name used in JSON errors.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::OutOfBounds => "out_of_bounds",
            ErrorKind::DtypeMismatch => "dtype_mismatch",
            ErrorKind::ShapeMismatch => "shape_mismatch",
            ErrorKind::NotResizable => "not_resizable",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Auth => "auth",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Io => "io",
            ErrorKind::NotReady => "not_ready",
        }
    }

    /// Process exit code for this kind (documented in README).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::InvalidInput
            | ErrorKind::DtypeMismatch
            | ErrorKind::ShapeMismatch
            | ErrorKind::OutOfBounds
            | ErrorKind::NotResizable => 2,
            ErrorKind::NotFound | ErrorKind::AlreadyExists | ErrorKind::Conflict => 3,
            ErrorKind::Unsupported => 4,
            ErrorKind::Auth => 5,
            ErrorKind::Io | ErrorKind::NotReady => 6,
        }
    }
}

/// What caused an error below extent (an io, zarrs, HTTP or JSON error): shared, so that
/// [`Error`] stays `Clone` and the chain survives being handed to the TUI.
pub type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A typed error: a kind that scripts match on, a plain-words message naming what failed,
/// the lower-level cause as a real [`source`](std::error::Error::source), and what to do
/// about it. Messages and causes never contain secrets.
///
/// `Display` prints the message only; people see [`Error::chain`] (`what: cause: cause`)
/// followed by the repair steps, worded by each front end.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// The category, deciding the exit code.
    pub kind: ErrorKind,
    /// Plain words naming the problem (never the API key).
    pub message: String,
    /// The lower-level error this one comes from.
    #[source]
    pub source: Option<Source>,
    /// What to do about it, in order; empty when there is nothing particular to do.
    pub repair: Vec<Repair>,
}

/// A step that repairs or explains what an error left behind. Backends name the step;
/// the CLI words it as a command line and the TUI as a key or dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Repair {
    /// Look for damage in the array.
    Check {
        /// The array.
        path: String,
    },
    /// Look for damage in the array and repair it.
    CheckAndRepair {
        /// The array.
        path: String,
    },
    /// Look at the array's structure.
    Show {
        /// The array.
        path: String,
    },
    /// Read the array's data back.
    Read {
        /// The array.
        path: String,
    },
    /// Write the same patch again, allowed to grow the array (the same data again is safe).
    PatchAgain {
        /// The array.
        path: String,
        /// Where the patch starts.
        offset: Vec<u64>,
    },
    /// Write `value` into the box at `offset` of size `shape`.
    Fill {
        /// The array.
        path: String,
        /// Where the box starts.
        offset: Vec<u64>,
        /// The box's size.
        shape: Vec<u64>,
        /// The value, as typed on a command line.
        value: String,
    },
    /// Resize to `shape` again.
    ResizeAgain {
        /// The array.
        path: String,
        /// The shape asked for.
        shape: Vec<u64>,
    },
    /// Delete what is left at `path`.
    Delete {
        /// The array or group.
        path: String,
    },
    /// Give an API key, or check the one given.
    ApiKey {
        /// The server refused the key given (else none was given).
        refused: bool,
    },
    /// Create the local store (by creating something in it).
    CreateStore {
        /// The store's directory.
        store: String,
    },
    /// Copy the part to keep out of the array and create a new array from it (for a
    /// shrink the store cannot do).
    CopyOut {
        /// The array.
        path: String,
    },
}

/// Two errors are equal when they say the same thing: the causes are not compared.
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.kind == other.kind && self.message == other.message && self.repair == other.repair
    }
}

impl Eq for Error {}

macro_rules! ctor {
    ($($fn:ident => $kind:ident),* $(,)?) => {
        impl Error {
            $(#[doc = concat!("An error of kind `", stringify!($kind), "`.")]
            pub fn $fn(message: impl Into<String>) -> Error {
                Error::new(ErrorKind::$kind, message)
            })*
        }
    };
}

ctor! {
    out_of_bounds => OutOfBounds,
    dtype_mismatch => DtypeMismatch,
    shape_mismatch => ShapeMismatch,
    not_resizable => NotResizable,
    not_found => NotFound,
    already_exists => AlreadyExists,
    unsupported => Unsupported,
    auth => Auth,
    conflict => Conflict,
    invalid_input => InvalidInput,
    io => Io,
    not_ready => NotReady,
}

impl Error {
    /// An error of `kind` without a cause or repair.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
            repair: Vec::new(),
        }
    }

    /// Records the lower-level error this one comes from.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Arc::new(source));
        self
    }

    /// Adds a step to the repair.
    pub fn with_repair(mut self, step: Repair) -> Error {
        self.repair.push(step);
        self
    }

    /// Prefixes the message with what was being done.
    pub fn context(mut self, what: impl std::fmt::Display) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// The message followed by every cause: `what: cause: cause`. A cause whose text the
    /// message already holds is skipped, so nothing is said twice.
    pub fn chain(&self) -> String {
        let mut s = self.message.clone();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            let t = cause.to_string();
            if !t.is_empty() && !s.contains(&t) {
                s.push_str(": ");
                s.push_str(&t);
            }
            next = cause.source();
        }
        s
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            _ => ErrorKind::Io,
        };
        Error::new(kind, "a file operation failed").with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_a_real_source_and_the_chain_tells_it_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = Error::io("cannot write /s/a/zarr.json").with_source(io);
        assert_eq!(e.to_string(), "cannot write /s/a/zarr.json");
        let source = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("denied"));
        assert_eq!(e.chain(), "cannot write /s/a/zarr.json: denied");
        // An error wrapping another that already says its message skips the repeat.
        let outer = Error::io(format!("{}; the shape did not change", e.message)).with_source(e);
        assert_eq!(
            outer.chain(),
            "cannot write /s/a/zarr.json; the shape did not change: denied"
        );
    }

    #[test]
    fn equality_is_kind_message_and_repair_and_clones_keep_the_cause() {
        let a = Error::conflict("busy").with_source(std::io::Error::other("x"));
        let b = Error::conflict("busy");
        assert_eq!(a, b);
        assert_eq!(a.clone().chain(), "busy: x");
        assert_ne!(b.clone().with_repair(Repair::ApiKey { refused: true }), b);
    }

    #[test]
    fn io_errors_keep_their_kind_and_cause() {
        let e: Error = std::io::Error::new(std::io::ErrorKind::NotFound, "gone").into();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.chain().ends_with(": gone"), "{}", e.chain());
    }
}
