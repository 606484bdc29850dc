//! Printing results for people or as JSON, and errors in both forms.

use serde::Serialize;

use crate::backend::{fmt_shape, ArrayInfo, Error};

/// Where a command's result goes: stdout, for people or as JSON.
pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output { json }
    }

    /// Prints `value` as JSON when `--json`, else the text made by `human`.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string(value) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("error: cannot encode JSON: {e}"),
            }
        } else {
            let text = human();
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
    }

    /// An array's structure (`show`, and the result of `patch`/`resize`/`create`).
    pub fn structure(&self, info: &ArrayInfo) {
        self.emit(info, || structure_text(info));
    }
}

pub fn structure_text(info: &ArrayInfo) -> String {
    let grid = info.chunk_grid();
    let resizable: Vec<&str> = info
        .resizable
        .iter()
        .map(|&r| if r { "yes" } else { "no" })
        .collect();
    let mut s = String::new();
    let rows = [
        ("path", info.path.clone()),
        ("shape", fmt_shape(&info.shape)),
        ("chunks", fmt_shape(&info.chunks)),
        ("chunk grid", fmt_shape(&grid)),
        ("dtype", info.dtype.to_string()),
        ("resizable", format!("[{}]", resizable.join(", "))),
        ("fill value", info.fill_value.to_string()),
        ("metadata", info.metadata.to_string()),
    ];
    for (k, v) in rows {
        s.push_str(&format!("{k:<11} {v}\n"));
    }
    s
}

/// One line on stderr; with `--json` also `{"error":{"kind","message"}}` on stderr.
pub fn print_error(e: &Error, json: bool) {
    if json {
        let v = serde_json::json!({"error": {"kind": e.kind.name(), "message": e.message}});
        eprintln!("{v}");
    } else {
        eprintln!("error: {} ({})", e.message, e.kind.name());
    }
}
