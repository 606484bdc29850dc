//! A credential that never prints. The API key is read into a [`Secret`] where it enters
//! (the `--api-key` flag, `TILED_API_KEY`, a config store's `api_key_env` variable) and stays
//! one until the backend puts it in a request header, so no `Debug` or log line can show it.

/// A string that never prints: its `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The credential itself, for the one place that sends it (a request header) and for
    /// scrubbing it from messages. Never format the result into anything shown.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when it is empty or only blanks (no key at all).
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

// Lets clap parse `--api-key` (and its env var) straight into a secret.
impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let k = Secret::new("KEY123");
        assert_eq!(
            format!("{k} {k:?} {:?}", Some(k.clone())),
            "*** \"***\" Some(\"***\")"
        );
        assert_eq!(k.expose(), "KEY123");
        assert!(Secret::from(" \t").is_blank());
        assert!(!k.is_blank());
    }
}
