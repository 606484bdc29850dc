//! Printing results for people or as JSON, and errors in both forms.

use serde::Serialize;

use crate::backend::{fmt_shape, ArrayInfo, Error, Repair};

/// Prints one line of a result on stdout. A reader that went away (`extent ls | head`) ends
/// the command quietly: `println!` would panic on the broken pipe.
pub fn print_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot print the result: {e} (io)");
        std::process::exit(crate::backend::ErrorKind::Io.exit_code());
    }
}

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
                Ok(s) => print_line(&s),
                Err(e) => eprintln!("error: cannot encode JSON: {e}"),
            }
        } else {
            let text = human();
            if !text.is_empty() {
                print_line(text.trim_end());
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
        // An array at the store's root has the empty path; people address it as `/`.
        (
            "path",
            if info.path.is_empty() {
                "/".into()
            } else {
                info.path.clone()
            },
        ),
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

/// One line on stderr: the message, its causes and what to do. With `--json` also
/// `{"error":{"kind","message","hint"?}}` on stderr (`hint` only when there is one).
pub fn print_error(e: &Error, json: bool) {
    if json {
        eprintln!("{}", error_json(e));
    } else {
        eprintln!("error: {} ({})", error_text(e), e.kind.name());
    }
}

/// `{"error":{"kind","message","hint"?}}`: the message with its causes, the repair apart.
fn error_json(e: &Error) -> serde_json::Value {
    let mut v = serde_json::json!({"error": {"kind": e.kind.name(), "message": e.chain()}});
    if let (Some(hint), Some(obj)) = (repair_text(&e.repair), v["error"].as_object_mut()) {
        obj.insert("hint".into(), hint.into());
    }
    v
}

/// An error as the command line tells it: `what: cause: cause; to repair: step, then step`.
pub fn error_text(e: &Error) -> String {
    match repair_text(&e.repair) {
        Some(hint) => format!("{}; to repair: {hint}", e.chain()),
        None => e.chain(),
    }
}

/// The repair steps as command lines, in order; `None` when there are none.
pub fn repair_text(steps: &[Repair]) -> Option<String> {
    if steps.is_empty() {
        return None;
    }
    let words: Vec<String> = steps.iter().map(step_text).collect();
    Some(words.join(", then "))
}

fn step_text(step: &Repair) -> String {
    match step {
        Repair::Check { path } => format!("run `extent check {path}`"),
        Repair::CheckAndRepair { path } => format!("run `extent check {path} --repair`"),
        Repair::Show { path } => format!("check with `extent show {path}`"),
        Repair::Read { path } => format!("`extent read {path}`"),
        Repair::PatchAgain { offset, .. } => format!(
            "re-run the same patch at offset {} with --extend (writing the same data again is safe)",
            join(offset)
        ),
        Repair::Fill {
            path,
            offset,
            shape,
            value,
        } => format!(
            "write the fill value into the new region: `extent patch {path} --offset {} --shape {} --value {value}`",
            join(offset),
            join(shape)
        ),
        Repair::ResizeAgain { path, shape } => {
            format!("run `extent resize {path} --shape {}` again", join(shape))
        }
        Repair::Delete { path } => format!("delete it with `extent rm {path}`"),
        Repair::ApiKey { refused: true } => "check --api-key or TILED_API_KEY".into(),
        Repair::ApiKey { refused: false } => "pass --api-key KEY or set TILED_API_KEY".into(),
        Repair::CreateStore { store } => {
            format!("create it with `extent --store {store} create ...`")
        }
        Repair::CopyOut { path } => format!(
            "to keep a part, copy it: `extent read {path} --slice .. --out part.npy`, then \
             create a new array `--from part.npy`"
        ),
    }
}

/// `1,2,3`, as the command line takes a shape or an offset.
fn join(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_cause_chain_then_command_lines() {
        let cause = std::io::Error::other("no space left");
        let e = Error::io("writing a chunk")
            .with_source(cause)
            .with_repair(Repair::CheckAndRepair { path: "g/a".into() });
        assert_eq!(
            error_text(&e),
            "writing a chunk: no space left; to repair: run `extent check g/a --repair`"
        );
        let v = error_json(&e);
        assert_eq!(v["error"]["kind"], "io");
        assert_eq!(v["error"]["message"], "writing a chunk: no space left");
        assert_eq!(v["error"]["hint"], "run `extent check g/a --repair`");
        // No repair, no hint field: the contract stays {kind, message}.
        let plain = error_json(&Error::not_found("no array 'x'"));
        assert_eq!(plain["error"].as_object().map(|o| o.len()), Some(2));
    }

    #[test]
    fn steps_follow_each_other_in_order() {
        let e = Error::io("patching 'a' failed")
            .with_repair(Repair::Show { path: "a".into() })
            .with_repair(Repair::Fill {
                path: "a".into(),
                offset: vec![4, 0],
                shape: vec![2, 3],
                value: "7".into(),
            })
            .with_repair(Repair::PatchAgain {
                path: "a".into(),
                offset: vec![4, 0],
            });
        let text = error_text(&e);
        let show = text.find("`extent show a`");
        let fill = text.find("`extent patch a --offset 4,0 --shape 2,3 --value 7`");
        let again = text.find("re-run the same patch at offset 4,0 with --extend");
        assert!(show < fill && fill < again && show.is_some(), "{text}");
    }
}
