//! Colours and text styles, from `assets/theme.toml` (embedded) plus the user's overrides.
//! Without colour (`--color never`, or `NO_COLOR` under `auto`: see `crate::color`), colours
//! are dropped and only modifiers remain.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const DEFAULT_THEME: &str = include_str!("../../assets/theme.toml");

#[derive(Debug, Clone, Default, Deserialize)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct ThemeFile {
    #[serde(default)]
    styles: BTreeMap<String, StyleSpec>,
}

/// Every style the widgets use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Theme {
    pub top_bar: Style,
    pub hint_key: Style,
    pub hint_text: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub group: Style,
    pub array: Style,
    pub dim: Style,
    pub label: Style,
    pub value: Style,
    pub error: Style,
    pub warning: Style,
    pub ok: Style,
    pub chunk_written: Style,
    pub chunk_partial: Style,
    pub chunk_missing: Style,
    pub chunk_unknown: Style,
    pub chunk_changed: Style,
    pub sparkline: Style,
    pub input: Style,
    pub input_focused: Style,
    /// Colours are on (the Frame pane draws its image in colour, else as a character ramp).
    pub color: bool,
}

impl Theme {
    /// The defaults, with colours unless `no_color`.
    pub fn builtin(no_color: bool) -> Theme {
        Theme::from_files(DEFAULT_THEME, None, no_color).0
    }

    /// Monochrome theme (what NO_COLOR gives), used by snapshot tests.
    pub fn monochrome() -> Theme {
        Theme::builtin(true)
    }

    /// Defaults + the user's file; colours only if `crate::color` allows them on stdout.
    pub fn load(user_file: Option<&Path>) -> (Theme, Vec<String>) {
        Theme::load_with(
            user_file,
            crate::color::enabled(crate::color::Stream::Stdout),
        )
    }

    /// Defaults + the user's file, with or without colours.
    pub fn load_with(user_file: Option<&Path>, colour: bool) -> (Theme, Vec<String>) {
        let user = user_file.and_then(|p| std::fs::read_to_string(p).ok());
        Theme::from_files(DEFAULT_THEME, user.as_deref(), !colour)
    }

    pub fn from_files(defaults: &str, user: Option<&str>, no_color: bool) -> (Theme, Vec<String>) {
        let mut warnings = Vec::new();
        let mut file: ThemeFile = toml::from_str(defaults).unwrap_or_else(|e| {
            warnings.push(format!("default theme: {}", e.message()));
            ThemeFile::default()
        });
        if let Some(text) = user {
            match toml::from_str::<ThemeFile>(text) {
                Ok(u) => file.styles.extend(u.styles),
                Err(e) => warnings.push(format!("theme ignored: {}", e.message())),
            }
        }
        let mut t = Theme::default();
        for (name, spec) in &file.styles {
            let style = to_style(spec, no_color, &mut warnings);
            let slot = match name.as_str() {
                "top_bar" => &mut t.top_bar,
                "hint_key" => &mut t.hint_key,
                "hint_text" => &mut t.hint_text,
                "border" => &mut t.border,
                "border_focused" => &mut t.border_focused,
                "title" => &mut t.title,
                "selected" => &mut t.selected,
                "selected_unfocused" => &mut t.selected_unfocused,
                "group" => &mut t.group,
                "array" => &mut t.array,
                "dim" => &mut t.dim,
                "label" => &mut t.label,
                "value" => &mut t.value,
                "error" => &mut t.error,
                "warning" => &mut t.warning,
                "ok" => &mut t.ok,
                "chunk_written" => &mut t.chunk_written,
                "chunk_partial" => &mut t.chunk_partial,
                "chunk_missing" => &mut t.chunk_missing,
                "chunk_unknown" => &mut t.chunk_unknown,
                "chunk_changed" => &mut t.chunk_changed,
                "sparkline" => &mut t.sparkline,
                "input" => &mut t.input,
                "input_focused" => &mut t.input_focused,
                other => {
                    warnings.push(format!("unknown theme style '{other}'"));
                    continue;
                }
            };
            *slot = style;
        }
        if no_color {
            // Without colour the selection must still show.
            t.selected = t.selected.add_modifier(Modifier::REVERSED);
            t.input_focused = t.input_focused.add_modifier(Modifier::REVERSED);
            t.top_bar = t.top_bar.add_modifier(Modifier::REVERSED);
        }
        t.color = !no_color;
        (t, warnings)
    }
}

fn to_style(spec: &StyleSpec, no_color: bool, warnings: &mut Vec<String>) -> Style {
    let mut s = Style::default();
    if !no_color {
        let mut colour = |c: &Option<String>| -> Option<Color> {
            let c = c.as_deref()?;
            match Color::from_str(c) {
                Ok(col) => Some(col),
                Err(_) => {
                    warnings.push(format!("unknown colour '{c}'"));
                    None
                }
            }
        };
        if let Some(fg) = colour(&spec.fg) {
            s = s.fg(fg);
        }
        if let Some(bg) = colour(&spec.bg) {
            s = s.bg(bg);
        }
    }
    for m in &spec.modifiers {
        let m = match m.as_str() {
            "bold" => Modifier::BOLD,
            "dim" => Modifier::DIM,
            "italic" => Modifier::ITALIC,
            "underlined" => Modifier::UNDERLINED,
            "reversed" => Modifier::REVERSED,
            other => {
                warnings.push(format!("unknown modifier '{other}'"));
                continue;
            }
        };
        s = s.add_modifier(m);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_loads_without_warnings() {
        let (t, w) = Theme::from_files(DEFAULT_THEME, None, false);
        assert!(w.is_empty(), "{w:?}");
        assert!(t.chunk_written.fg.is_some());
    }

    #[test]
    fn no_color_drops_colours() {
        let t = Theme::builtin(true);
        assert_eq!(t.chunk_written.fg, None);
        assert_eq!(t.top_bar.bg, None);
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn user_overrides_and_warnings() {
        let (t, w) = Theme::from_files(
            DEFAULT_THEME,
            Some("[styles]\nerror = { fg = \"red\" }\nbogus = {}\nok = { fg = \"notacolour\" }"),
            false,
        );
        assert_eq!(t.error.fg, Some(Color::Red));
        assert_eq!(w.len(), 2);
    }
}
