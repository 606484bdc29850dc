//! Editing a line of text, the same in every field (dialogs, the palette, the picker, the
//! filter): typing inserts at the cursor; ←/→, Home/End (and ^A/^E) move it; Backspace and
//! Del delete; ^U clears the field, ^W deletes the word before the cursor. Inside a field
//! these win over the main screen's bindings (`ctrl-u` pages up there). Also the completion
//! of a typed path against candidates (the longest common prefix).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// Not an editing key.
    Ignored,
}

/// The byte offset of char `i` of `s` (its end when past it).
fn byte_at(s: &str, i: usize) -> usize {
    s.char_indices().nth(i).map_or(s.len(), |(b, _)| b)
}

/// Applies `key` to `text` with the cursor at char `cursor` (clamped to the text).
pub fn edit(text: &mut String, cursor: &mut usize, key: &KeyEvent) -> Edit {
    let n = text.chars().count();
    *cursor = (*cursor).min(n);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let changed = !text.is_empty();
            text.clear();
            *cursor = 0;
            return if changed { Edit::Changed } else { Edit::Moved };
        }
        KeyCode::Char('w') if ctrl => {
            let chars: Vec<char> = text.chars().collect();
            let mut start = *cursor;
            // Spaces, then the word (a path's parts are words: `/` and `,` end one).
            while start > 0 && chars[start - 1] == ' ' {
                start -= 1;
            }
            let sep = |c: char| c == ' ' || c == '/' || c == ',';
            if start > 0 && sep(chars[start - 1]) {
                start -= 1;
            }
            while start > 0 && !sep(chars[start - 1]) {
                start -= 1;
            }
            if start == *cursor {
                return Edit::Moved;
            }
            let (a, b) = (byte_at(text, start), byte_at(text, *cursor));
            text.replace_range(a..b, "");
            *cursor = start;
        }
        KeyCode::Char('a') if ctrl => *cursor = 0,
        KeyCode::Char('e') if ctrl => *cursor = n,
        KeyCode::Home => *cursor = 0,
        KeyCode::End => *cursor = n,
        KeyCode::Left => *cursor = cursor.saturating_sub(1),
        KeyCode::Right => *cursor = (*cursor + 1).min(n),
        KeyCode::Backspace if *cursor > 0 => {
            let b = byte_at(text, *cursor - 1);
            text.remove(b);
            *cursor -= 1;
        }
        KeyCode::Delete if *cursor < n => {
            let b = byte_at(text, *cursor);
            text.remove(b);
        }
        KeyCode::Backspace | KeyCode::Delete => return Edit::Moved,
        KeyCode::Char(c) if !ctrl && !alt => {
            let b = byte_at(text, *cursor);
            text.insert(b, c);
            *cursor += 1;
        }
        _ => return Edit::Ignored,
    }
    match key.code {
        KeyCode::Char('a' | 'e') if ctrl => Edit::Moved,
        KeyCode::Home | KeyCode::End | KeyCode::Left | KeyCode::Right => Edit::Moved,
        _ => Edit::Changed,
    }
}

/// Editing where the cursor stays at the end (one-line inputs drawn without one): every
/// editing key but the cursor moves.
pub fn edit_at_end(text: &mut String, key: &KeyEvent) -> Edit {
    let mut cursor = text.chars().count();
    match key.code {
        KeyCode::Home | KeyCode::End | KeyCode::Left | KeyCode::Right => Edit::Ignored,
        KeyCode::Char('a' | 'e') if key.modifiers.contains(KeyModifiers::CONTROL) => Edit::Ignored,
        _ => edit(text, &mut cursor, key),
    }
}

/// `text` with a bar drawn at char `cursor`.
pub fn with_cursor(text: &str, cursor: usize) -> String {
    let b = byte_at(text, cursor);
    format!("{}▏{}", &text[..b], &text[b..])
}

/// The longest common prefix of `candidates` (all starting with what was typed).
pub fn common_prefix(candidates: &[String]) -> String {
    let Some(first) = candidates.first() else {
        return String::new();
    };
    let mut end = first.len();
    for c in &candidates[1..] {
        end = first
            .char_indices()
            .zip(c.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_string()
}

/// The completion of `typed` among `candidates` (those that do not start with it are left
/// out): the text to put in the field, when it adds something, and the matches.
pub fn complete(typed: &str, candidates: &[String]) -> (Option<String>, Vec<String>) {
    let matches: Vec<String> = candidates
        .iter()
        .filter(|c| c.starts_with(typed) && c.as_str() != typed)
        .cloned()
        .collect();
    let prefix = common_prefix(&matches);
    let longer = (prefix.len() > typed.len()).then_some(prefix);
    (longer, matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn c(ch: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL)
    }

    #[test]
    fn editing_keys() {
        let mut t = "detector/frames".to_string();
        let mut i = 15;
        assert_eq!(edit(&mut t, &mut i, &c('w')), Edit::Changed);
        assert_eq!((t.as_str(), i), ("detector/", 9));
        edit(&mut t, &mut i, &c('w'));
        assert_eq!((t.as_str(), i), ("", 0));
        t = "1,2".into();
        i = 3;
        edit(&mut t, &mut i, &k(KeyCode::Home));
        edit(&mut t, &mut i, &k(KeyCode::Char('0')));
        edit(&mut t, &mut i, &k(KeyCode::End));
        edit(&mut t, &mut i, &k(KeyCode::Char('3')));
        assert_eq!(t, "01,23");
        edit(&mut t, &mut i, &k(KeyCode::Left));
        edit(&mut t, &mut i, &k(KeyCode::Backspace));
        assert_eq!((t.as_str(), i), ("01,3", 3));
        assert_eq!(with_cursor(&t, i), "01,▏3");
        assert_eq!(edit(&mut t, &mut i, &c('u')), Edit::Changed);
        assert!(t.is_empty());
        assert_eq!(edit(&mut t, &mut i, &k(KeyCode::Tab)), Edit::Ignored);
    }

    #[test]
    fn completion_takes_the_common_prefix() {
        let c = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (t, m) = complete("det", &c(&["detector/", "dark", "detail.npy"]));
        assert_eq!((t, m.len()), (None, 2));
        let (t, _) = complete("detec", &c(&["detector/", "detail.npy"]));
        assert_eq!(t.as_deref(), Some("detector/"));
        let (t, m) = complete("x", &c(&["detector/"]));
        assert_eq!((t, m.len()), (None, 0));
    }
}
