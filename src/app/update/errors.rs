//! Errors as the TUI tells them: the message and its causes, then what to do in the TUI
//! (a key or a dialog) instead of the command line the CLI would print.

use crate::backend::{fmt_shape, Error, Repair};

use super::super::keymap::{Command, Keymap};
use super::super::messages::ErrorDetail;

/// `what: cause: cause; to repair: step, then step`, each step a key or dialog of the TUI. Without a
/// keymap (outside the model) the dialogs are named without their keys.
pub fn error_text(e: &Error, keys: Option<&Keymap>) -> String {
    let steps: Vec<String> = e.repair.iter().map(|s| step_text(s, keys)).collect();
    if steps.is_empty() {
        e.chain()
    } else {
        format!("{}; to repair: {}", e.chain(), steps.join(", then "))
    }
}

/// The error taken apart for the log's detail view: what failed, each cause, each repair step.
pub fn error_detail(e: &Error, keys: Option<&Keymap>) -> ErrorDetail {
    let mut chain = vec![e.message.clone()];
    let mut next = std::error::Error::source(e);
    while let Some(cause) = next {
        let t = cause.to_string();
        if !t.is_empty() && !chain.iter().any(|c| c.contains(&t)) {
            chain.push(t);
        }
        next = cause.source();
    }
    ErrorDetail {
        chain,
        repair: e.repair.iter().map(|s| step_text(s, keys)).collect(),
    }
}

fn step_text(step: &Repair, keys: Option<&Keymap>) -> String {
    // "the resize dialog (r)", or without a keymap "the resize dialog".
    let dialog = |what: &str, cmd: Command| match keys {
        Some(k) => format!("the {what} dialog ({})", k.hint(cmd)),
        None => format!("the {what} dialog"),
    };
    match step {
        // The TUI has no check of its own: the CLI's is the one to use.
        Repair::Check { path } => format!("check it in a shell: extent check {path}"),
        Repair::CheckAndRepair { path } => {
            format!("repair it in a shell: extent check {path} --repair")
        }
        Repair::Show { .. } | Repair::Read { .. } => match keys {
            Some(k) => format!(
                "refresh ({}) to see what it holds now",
                k.hint(Command::Refresh)
            ),
            None => "refresh to see what it holds now".into(),
        },
        Repair::PatchAgain { offset, .. } => format!(
            "patch again at offset {} with extend on in {} (writing the same data again is safe)",
            fmt_shape(offset),
            dialog("patch", Command::Patch)
        ),
        Repair::Fill {
            offset,
            shape,
            value,
            ..
        } => format!(
            "write {value} at offset {} with shape {} in {}",
            fmt_shape(offset),
            fmt_shape(shape),
            dialog("patch", Command::Patch)
        ),
        Repair::ResizeAgain { shape, .. } => format!(
            "resize to {} again in {}",
            fmt_shape(shape),
            dialog("resize", Command::Resize)
        ),
        Repair::Delete { .. } => format!("delete it in {}", dialog("delete", Command::Delete)),
        Repair::ApiKey { refused: true } => {
            "check the store's API key (api_key_env in the config file, or TILED_API_KEY)".into()
        }
        Repair::ApiKey { refused: false } => {
            "give the store an API key (api_key_env in the config file, or TILED_API_KEY)".into()
        }
        Repair::CreateStore { .. } => match keys {
            Some(k) => format!("pick another store ({})", k.hint(Command::Stores)),
            None => "pick another store".into(),
        },
        Repair::CopyOut { .. } => format!(
            "to keep a part, create a new array from a copy of it in {}",
            dialog("create", Command::Create)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_name_keys_and_causes_follow_the_message() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::io("writing a chunk")
            .with_source(io)
            .with_repair(Repair::ResizeAgain {
                path: "a".into(),
                shape: vec![4, 2],
            });
        let keys = Keymap::default();
        let text = error_text(&e, Some(&keys));
        assert!(
            text.starts_with("writing a chunk: disk on fire; "),
            "{text}"
        );
        assert!(
            text.contains(&format!("resize dialog ({})", keys.hint(Command::Resize))),
            "{text}"
        );
        assert!(!text.contains("extent resize"), "{text}");
    }
}
