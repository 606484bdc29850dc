//! The command line that does what a dialog would (`extent patch …`), to copy: the same write
//! can then be scripted, or run where there is no TUI.

use super::{create, patch, Dialog};
use crate::app::action::Operation;

/// `a` as one shell word: quoted when it holds anything but plain characters.
fn word(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./,:=@+%".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// `4,64,64` (the CLI's spelling of a shape or offset).
fn list(v: &[u64]) -> String {
    let parts: Vec<String> = v.iter().map(u64::to_string).collect();
    parts.join(",")
}

/// The `extent` command line for the dialog's current plan, on the store `store` (a name,
/// directory or URL); `None` while the input is not valid.
pub fn equivalent(d: &Dialog, store: &str) -> Option<String> {
    let plan = d.plan.as_ref().ok()?;
    let text = |label: &str| d.field(label).map(|f| f.text.trim().to_string());
    let mut args: Vec<String> = vec!["extent".into(), "--store".into(), word(store)];
    match &plan.op {
        Operation::Patch {
            path,
            offset,
            data,
            extend,
        } => {
            args.extend(["patch".into(), word(path), "--offset".into(), list(offset)]);
            match text(patch::NPY).filter(|n| !n.is_empty()) {
                Some(npy) => args.extend(["--from".into(), word(&npy)]),
                None => args.extend([
                    "--value".into(),
                    word(&text(patch::VALUE).unwrap_or_default()),
                    "--shape".into(),
                    list(&data.shape),
                ]),
            }
            if *extend {
                args.push("--extend".into());
            }
        }
        // An extend is a resize that grows (the CLI records it as a resize).
        Operation::Resize { path, shape, .. } => {
            args.extend(["resize".into(), word(path), "--shape".into(), list(shape)]);
        }
        Operation::Create(req) => {
            let r = &req.0;
            let flags: Vec<&str> = r
                .resizable
                .iter()
                .map(|&f| if f { "true" } else { "false" })
                .collect();
            args.extend([
                "create".into(),
                word(&r.path),
                "--shape".into(),
                list(&r.shape),
                "--chunks".into(),
                list(&r.chunks),
                "--dtype".into(),
                r.dtype.name().into(),
                "--resizable".into(),
                flags.join(","),
                "--fill".into(),
                word(&text(create::FILL).unwrap_or_else(|| r.fill_value.to_string())),
            ]);
        }
        Operation::Delete { path } => args.extend(["rm".into(), word(path)]),
    }
    Some(args.join(" "))
}

impl crate::app::state::AppState {
    /// The store as the CLI names it: the config's name, else the directory or URL.
    pub fn store_spec(&self) -> String {
        let named = self.picker.entries.iter().any(|e| {
            e.label == self.store_label
                && matches!(e.target, crate::app::action::StoreTarget::Named(_))
        });
        match self.store_describe.strip_prefix("local:") {
            _ if named => self.store_label.clone(),
            Some(dir) => dir.to_string(),
            None if crate::config::is_url(&self.store_describe) => self.store_describe.clone(),
            None => self.store_label.clone(),
        }
    }

    /// Copies the open dialog's command line to the terminal's clipboard, and logs it (a
    /// terminal without OSC 52, or a session over SSH, can read it from the log).
    pub fn copy_cli(&mut self, fx: &mut Vec<crate::app::action::Effect>) {
        use crate::app::notice::{Notice, Tone};
        let Some(d) = self.dialog() else { return };
        let Some(line) = equivalent(d, &self.store_spec()) else {
            self.notify(Notice::error(
                "nothing to copy yet: the dialog's input is not valid",
            ));
            return;
        };
        self.messages.push(&line, Tone::Info, self.now, None);
        let log = self.keymap.hint(crate::app::keymap::Command::Messages);
        self.status = Some(crate::app::state::Status {
            notice: Notice::ok(format!("copied: {line} (also in the message log, {log})")),
            at: self.now,
        });
        fx.push(crate::app::action::Effect::Clipboard(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(word("a/b"), "a/b");
        assert_eq!(word("my file.npy"), "'my file.npy'");
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(list(&[4, 64, 64]), "4,64,64");
    }
}
