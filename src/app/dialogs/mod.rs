//! Dialogs for writes. Each kind lives in its own module and only says which fields it has and
//! how to turn them into a [`Plan`] (validation + preview of the effect + the operation). This
//! module holds what they share: the form, key handling, and the stages
//! edit → confirm → running, so a write always goes Action → confirm → Confirmed (gitui).

pub mod cli;
pub mod create;
pub mod delete;
pub mod extend;
pub mod patch;
pub mod resize;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::backend::geometry;
use crate::backend::{ArrayData, ArrayInfo, Capabilities, ChunkMap};

use super::action::Operation;
use super::commands::CommandInfo;
use super::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    Patch,
    Extend,
    Resize,
    Create,
    Delete,
}

impl DialogKind {
    pub fn title(self) -> &'static str {
        match self {
            DialogKind::Patch => "Patch",
            DialogKind::Extend => "Extend",
            DialogKind::Resize => "Resize",
            DialogKind::Create => "New array",
            DialogKind::Delete => "Delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Toggle,
    /// One of a fixed list (Left/Right cycle).
    Choice(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub kind: FieldKind,
    pub text: String,
    /// Where typing goes (a char index into `text`).
    pub cursor: usize,
    pub on: bool,
    /// Shown dimmed after the field.
    pub hint: &'static str,
}

impl Field {
    pub fn text(label: &'static str, text: impl Into<String>, hint: &'static str) -> Field {
        let text: String = text.into();
        Field {
            label,
            kind: FieldKind::Text,
            cursor: text.chars().count(),
            text,
            on: false,
            hint,
        }
    }

    pub fn toggle(label: &'static str, on: bool, hint: &'static str) -> Field {
        Field {
            label,
            kind: FieldKind::Toggle,
            text: String::new(),
            cursor: 0,
            on,
            hint,
        }
    }

    pub fn choice(
        label: &'static str,
        choices: Vec<String>,
        selected: &str,
        hint: &'static str,
    ) -> Field {
        Field {
            label,
            kind: FieldKind::Choice(choices),
            text: selected.to_string(),
            cursor: 0,
            on: false,
            hint,
        }
    }

    /// What the field shows.
    pub fn display(&self) -> String {
        match &self.kind {
            FieldKind::Toggle => if self.on { "[x] on" } else { "[ ] off" }.to_string(),
            FieldKind::Choice(_) => format!("‹ {} ›", self.text),
            FieldKind::Text => self.text.clone(),
        }
    }
}

/// One line of the preview of the effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    pub label: String,
    pub value: String,
    /// Something is lost: drawn as a warning.
    pub loss: bool,
}

impl PreviewLine {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> PreviewLine {
        PreviewLine {
            label: label.into(),
            value: value.into(),
            loss: false,
        }
    }

    pub fn loss(label: impl Into<String>, value: impl Into<String>) -> PreviewLine {
        PreviewLine {
            label: label.into(),
            value: value.into(),
            loss: true,
        }
    }
}

/// A valid form, ready to confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub preview: Vec<PreviewLine>,
    pub op: Operation,
    /// The text to type to confirm (destructive changes), or `None` for a y/n confirmation.
    pub confirm_text: Option<String>,
}

/// A `.npy` file named in the patch dialog: being read, or read.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyFile {
    pub path: String,
    pub data: Option<Result<ArrayData, String>>,
}

/// What a plan may look at: the array as last seen, what the store can do, its chunk map.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    pub info: Option<&'a ArrayInfo>,
    pub capabilities: Capabilities,
    pub chunks: Option<&'a ChunkMap>,
    pub npy: Option<&'a NpyFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Edit,
    Confirm { typed: String },
    Running,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogEvent {
    None,
    Changed,
    Cancel,
    Apply(Box<Operation>),
    /// The `.npy` path field changed: read it.
    NeedsNpy(String),
    /// Tab in a path field that holds a partial path: list what could complete it.
    Complete(String),
}

/// A group a dialog acts on (delete): its path and the arrays under it the catalog has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTarget {
    pub path: String,
    pub arrays: usize,
    /// Parts of the group are not listed yet: there may be more arrays.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    pub kind: DialogKind,
    /// The array the dialog acts on (its structure when the dialog opened / last refresh).
    pub target: Option<ArrayInfo>,
    /// The group the dialog acts on instead of an array (delete only).
    pub group: Option<GroupTarget>,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub stage: Stage,
    /// The plan from the current fields, or why they are not valid (plain words).
    pub plan: Result<Plan, String>,
    /// The last backend error for this dialog.
    pub error: Option<String>,
    pub npy: Option<NpyFile>,
}

impl Dialog {
    /// Opens a dialog of `kind` on `target` (None for create); `group` prefills create's path.
    pub fn open(
        kind: DialogKind,
        target: Option<&ArrayInfo>,
        group: &str,
        ctx: PlanContext<'_>,
    ) -> Dialog {
        let fields = match kind {
            DialogKind::Patch => patch::fields(target),
            DialogKind::Extend => extend::fields(target),
            DialogKind::Resize => resize::fields(target),
            DialogKind::Create => create::fields(group),
            DialogKind::Delete => Vec::new(),
        };
        let mut d = Dialog {
            kind,
            target: target.cloned(),
            group: None,
            fields,
            focus: 0,
            stage: Stage::Edit,
            plan: Err(String::new()),
            error: None,
            npy: None,
        };
        d.replan(ctx);
        if d.fields.is_empty() && d.plan.is_ok() {
            d.stage = Stage::Confirm {
                typed: String::new(),
            };
        }
        d
    }

    /// Deleting a group (and everything in it); confirmed by typing its name.
    pub fn delete_group(group: GroupTarget, ctx: PlanContext<'_>) -> Dialog {
        let mut d = Dialog::open(DialogKind::Delete, None, "", ctx);
        d.group = Some(group);
        d.replan(ctx);
        if d.plan.is_ok() {
            d.stage = Stage::Confirm {
                typed: String::new(),
            };
        }
        d
    }

    /// Recomputes the plan from the fields (validation as you type).
    pub fn replan(&mut self, ctx: PlanContext<'_>) {
        let ctx = PlanContext {
            info: self.target.as_ref().or(ctx.info),
            npy: self.npy.as_ref(),
            ..ctx
        };
        self.plan = match self.kind {
            DialogKind::Patch => patch::plan(&self.fields, ctx),
            DialogKind::Extend => extend::plan(&self.fields, ctx),
            DialogKind::Resize => resize::plan(&self.fields, ctx),
            DialogKind::Create => create::plan(&self.fields, ctx),
            DialogKind::Delete => match &self.group {
                Some(g) => Ok(delete::plan_group(g)),
                None => delete::plan(ctx),
            },
        };
    }

    pub fn field(&self, label: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.label == label)
    }

    /// Sets a field's text (for tests and the command palette).
    pub fn set_text(&mut self, label: &str, text: &str) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.label == label) {
            f.text = text.to_string();
            f.cursor = f.text.chars().count();
        }
    }

    /// The keys that apply in the current stage, for the hint bar (see `on_key`).
    pub fn commands(&self) -> Vec<CommandInfo> {
        let fixed = CommandInfo::fixed;
        let copy =
            fixed("^Y", "copy CLI", "copy the equivalent command line").enabled(self.plan.is_ok());
        match &self.stage {
            Stage::Running => vec![fixed("", "writing…", "the write is running")],
            Stage::Confirm { typed } => {
                let back = if self.fields.is_empty() {
                    "cancel"
                } else {
                    "back"
                };
                match self
                    .plan
                    .as_ref()
                    .ok()
                    .and_then(|p| p.confirm_text.as_ref())
                {
                    None => vec![
                        fixed("y/Enter", "apply", "apply the change"),
                        fixed("n/Esc", back, "go back without writing"),
                        copy,
                    ],
                    Some(req) => vec![
                        fixed("type", "the name", "type the name to confirm"),
                        fixed("Enter", "apply", "apply the change").enabled(typed == req),
                        fixed("Esc", back, "go back without writing"),
                        copy,
                    ],
                }
            }
            Stage::Edit => {
                let kind = self.fields.get(self.focus).map(|f| &f.kind);
                let choice = matches!(kind, Some(FieldKind::Choice(_)));
                let toggle = matches!(kind, Some(FieldKind::Toggle));
                let tab = if self.path_to_complete().is_some() {
                    fixed("Tab", "complete path", "complete the path, else next field")
                } else {
                    fixed("Tab", "next field", "next field").enabled(self.fields.len() > 1)
                };
                vec![
                    tab,
                    fixed("Space", "toggle", "toggle the field").enabled(toggle || choice),
                    fixed("←→", "choose", "choose (dtype)").enabled(choice),
                    fixed("Enter", "review", "review the effect").enabled(self.plan.is_ok()),
                    fixed("Esc", "cancel", "cancel: nothing is written"),
                    copy,
                ]
            }
        }
    }

    /// Every key of every stage, for the help.
    pub fn help_commands() -> Vec<CommandInfo> {
        let fixed = CommandInfo::fixed;
        vec![
            fixed(
                "Tab ↓",
                "next field",
                "next field; in a path field Tab first completes the path",
            ),
            fixed(
                "← → Home End",
                "cursor",
                "move in a text field (also ^A ^E)",
            ),
            fixed("^W", "delete word", "delete the word before the cursor"),
            fixed("S-Tab ↑", "previous field", "previous field"),
            fixed("Space ← →", "toggle", "toggle, or choose (dtype)"),
            fixed("^U", "clear", "clear the text field"),
            fixed(
                "^Y",
                "copy CLI",
                "copy the equivalent command line (OSC 52; also in the message log)",
            ),
            fixed("Enter", "review", "review the effect, then confirm"),
            fixed("y / n", "apply", "apply / go back"),
            fixed("Esc", "cancel", "cancel: nothing is written"),
        ]
    }

    /// Handles a key; the caller replans on `Changed` and runs `Apply`.
    pub fn on_key(&mut self, key: &KeyEvent) -> DialogEvent {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match self.stage.clone() {
            Stage::Running => DialogEvent::None,
            Stage::Confirm { mut typed } => {
                let required = self.plan.as_ref().ok().and_then(|p| p.confirm_text.clone());
                match (key.code, required) {
                    (KeyCode::Esc, _) => {
                        if self.fields.is_empty() {
                            return DialogEvent::Cancel;
                        }
                        self.stage = Stage::Edit;
                        DialogEvent::Changed
                    }
                    (KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter, None) => {
                        self.apply()
                    }
                    (KeyCode::Char('n') | KeyCode::Char('N'), None) => {
                        if self.fields.is_empty() {
                            return DialogEvent::Cancel;
                        }
                        self.stage = Stage::Edit;
                        DialogEvent::Changed
                    }
                    (KeyCode::Enter, Some(req)) => {
                        if typed == req {
                            self.apply()
                        } else {
                            self.error = Some(format!("type '{req}' exactly to confirm"));
                            DialogEvent::Changed
                        }
                    }
                    (KeyCode::Backspace, Some(_)) => {
                        typed.pop();
                        self.stage = Stage::Confirm { typed };
                        DialogEvent::Changed
                    }
                    (KeyCode::Char(c), Some(_)) if !ctrl => {
                        typed.push(c);
                        self.error = None;
                        self.stage = Stage::Confirm { typed };
                        DialogEvent::Changed
                    }
                    _ => DialogEvent::None,
                }
            }
            Stage::Edit => self.on_edit_key(key),
        }
    }

    fn apply(&mut self) -> DialogEvent {
        match &self.plan {
            Ok(p) => {
                let op = p.op.clone();
                self.stage = Stage::Running;
                self.error = None;
                DialogEvent::Apply(Box::new(op))
            }
            Err(_) => DialogEvent::None,
        }
    }

    fn on_edit_key(&mut self, key: &KeyEvent) -> DialogEvent {
        let n = self.fields.len();
        match key.code {
            KeyCode::Esc => return DialogEvent::Cancel,
            KeyCode::Enter => {
                if self.plan.is_ok() {
                    self.stage = Stage::Confirm {
                        typed: String::new(),
                    };
                    self.error = None;
                    return DialogEvent::Changed;
                }
                return DialogEvent::None;
            }
            // Tab completes a partial path first (the field moves on when nothing does).
            KeyCode::Tab if self.path_to_complete().is_some() => {
                return DialogEvent::Complete(self.path_to_complete().unwrap_or_default());
            }
            KeyCode::Tab | KeyCode::Down if n > 0 => {
                self.focus = (self.focus + 1) % n;
                return DialogEvent::Changed;
            }
            KeyCode::BackTab | KeyCode::Up if n > 0 => {
                self.focus = (self.focus + n - 1) % n;
                return DialogEvent::Changed;
            }
            _ => {}
        }
        let Some(field) = self.fields.get_mut(self.focus) else {
            return DialogEvent::None;
        };
        let changed = match (&field.kind, key.code) {
            (FieldKind::Toggle, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right) => {
                field.on = !field.on;
                true
            }
            (FieldKind::Choice(choices), KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')) => {
                if choices.is_empty() {
                    false
                } else {
                    let i = choices.iter().position(|c| *c == field.text).unwrap_or(0);
                    let j = if key.code == KeyCode::Left {
                        (i + choices.len() - 1) % choices.len()
                    } else {
                        (i + 1) % choices.len()
                    };
                    field.text = choices[j].clone();
                    true
                }
            }
            (FieldKind::Text, _) => match text::edit(&mut field.text, &mut field.cursor, key) {
                text::Edit::Changed => true,
                text::Edit::Moved => return DialogEvent::Changed,
                text::Edit::Ignored => false,
            },
            _ => false,
        };
        if !changed {
            return DialogEvent::None;
        }
        self.error = None;
        if self.kind == DialogKind::Patch && field.label == patch::NPY {
            let p = field.text.trim().to_string();
            if p.is_empty() {
                self.npy = None;
            } else {
                self.npy = Some(NpyFile {
                    path: p.clone(),
                    data: None,
                });
                return DialogEvent::NeedsNpy(p);
            }
        }
        DialogEvent::Changed
    }

    /// The focused field's text when it is a path Tab can complete (the `.npy` field,
    /// not empty).
    pub fn path_to_complete(&self) -> Option<String> {
        let f = self.fields.get(self.focus)?;
        (self.kind == DialogKind::Patch && f.label == patch::NPY && !f.text.trim().is_empty())
            .then(|| f.text.clone())
    }

    /// Candidates for the path `typed` arrived: the field takes their common prefix when it
    /// still holds `typed`; with nothing to add (and no choice to make) Tab moves on.
    /// Returns the matches when there is a choice to make, and the event for the caller.
    pub fn completed(&mut self, typed: &str, candidates: &[String]) -> (Vec<String>, DialogEvent) {
        let focus = self.focus;
        let Some(f) = self.fields.get_mut(focus).filter(|f| f.text == typed) else {
            return (Vec::new(), DialogEvent::None);
        };
        let (longer, matches) = text::complete(typed, candidates);
        if let Some(t) = longer {
            f.text = t;
            f.cursor = f.text.chars().count();
            let p = f.text.trim().to_string();
            self.npy = Some(NpyFile {
                path: p.clone(),
                data: None,
            });
            let choice = if matches.len() > 1 {
                matches
            } else {
                Vec::new()
            };
            return (choice, DialogEvent::NeedsNpy(p));
        }
        if matches.len() > 1 {
            return (matches, DialogEvent::None);
        }
        self.focus = (self.focus + 1) % self.fields.len().max(1);
        (Vec::new(), DialogEvent::Changed)
    }

    /// A `.npy` file finished reading; kept only if the field still names it.
    pub fn npy_loaded(&mut self, path: &str, data: Result<ArrayData, String>) {
        if let Some(n) = &mut self.npy {
            if n.path == path {
                n.data = Some(data);
            }
        }
    }

    /// The write failed: back to editing with the error in plain words.
    pub fn failed(&mut self, message: String) {
        self.stage = Stage::Edit;
        self.error = Some(message);
    }
}

/// Bytes for people: `512 B`, `8.0 KiB`, `1.5 GiB`.
pub fn human_bytes(n: u128) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// How many chunks the box at `offset` of `shape` touches, for a preview line: a number too
/// large for a `u64` is not worth spelling out.
pub fn chunks_touched_text(chunks: &[u64], offset: &[u64], shape: &[u64]) -> String {
    geometry::chunks_touched(offset, shape, chunks)
        .map_or_else(|| "too many to count".to_string(), |n| n.to_string())
}

/// The array's name as typed to confirm a destructive change: its last path component.
pub fn confirm_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(8192), "8.0 KiB");
        assert_eq!(chunks_touched_text(&[2, 2], &[1, 0], &[2, 4]), "4");
        assert_eq!(chunks_touched_text(&[10], &[0], &[0]), "0");
        assert_eq!(
            chunks_touched_text(&[1, 1], &[0, 0], &[u64::MAX, u64::MAX]),
            "too many to count"
        );
        assert_eq!(confirm_name("a/b/frames"), "frames");
    }
}
