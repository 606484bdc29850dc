//! Path completion for the text fields that name files or directories (the `.npy` field, the
//! store picker): the entries of the typed path's directory that start with its last part,
//! spelled as typed (`~/` stays `~/`), directories with a trailing `/`.

use crate::stores::expand_home;

/// At most this many candidates are listed (a huge directory does not stall the field).
const MAX: usize = 1000;

/// The paths that could complete `typed`, sorted; none when its directory cannot be read.
pub fn list(typed: &str) -> Vec<String> {
    let (dir_part, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_part.is_empty() {
        std::path::PathBuf::from(".")
    } else {
        expand_home(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            // Hidden entries only when asked for with a leading dot.
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            Some(format!("{dir_part}{name}{}", if is_dir { "/" } else { "" }))
        })
        .take(MAX)
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_what_starts_with_the_last_part() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("frames")).unwrap();
        std::fs::write(d.path().join("frame.npy"), b"").unwrap();
        std::fs::write(d.path().join(".hidden"), b"").unwrap();
        let base = format!("{}/", d.path().display());
        let got = super::list(&format!("{base}fr"));
        assert_eq!(got, [format!("{base}frame.npy"), format!("{base}frames/")]);
        assert!(super::list(&format!("{base}x")).is_empty());
        assert_eq!(super::list(&base).len(), 2);
        assert!(super::list("/no/such/dir/x").is_empty());
    }
}
