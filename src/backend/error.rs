//! The one error type every backend returns: a kind that scripts can match on and a
//! message for people.

use serde::Serialize;

/// What every backend operation returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a stable name (`--json` prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
            ErrorKind::Io => 6,
        }
    }
}

/// A typed error with a plain-words message. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The category, deciding the exit code.
    pub kind: ErrorKind,
    /// Plain words naming the problem (never the API key).
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

macro_rules! ctor {
    ($($fn:ident => $kind:ident),* $(,)?) => {
        impl Error {
            $(#[doc = concat!("An error of kind `", stringify!($kind), "`.")]
            pub fn $fn(message: impl Into<String>) -> Error {
                Error { kind: ErrorKind::$kind, message: message.into() }
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
}

impl Error {
    /// Prefixes the message with what was being done.
    pub fn context(mut self, what: impl std::fmt::Display) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        match e.kind() {
            std::io::ErrorKind::NotFound => Error::not_found(e.to_string()),
            std::io::ErrorKind::AlreadyExists => Error::already_exists(e.to_string()),
            _ => Error::io(e.to_string()),
        }
    }
}
