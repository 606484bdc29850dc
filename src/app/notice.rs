//! Notices: the lines the model shows in the status bar (a write's result, an error, the demo
//! writer's progress), as one type from whoever raises them to the widget that draws them.

/// How a notice is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Error,
    /// Needs attention but nothing failed (an array stalled).
    Warn,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub tone: Tone,
    /// Stays until another notice replaces it (the demo's verdict must not fade away);
    /// otherwise it expires after `state::STATUS_TTL`.
    pub sticky: bool,
}

impl Notice {
    pub fn new(text: impl Into<String>, tone: Tone) -> Notice {
        Notice {
            text: text.into(),
            tone,
            sticky: false,
        }
    }

    pub fn info(text: impl Into<String>) -> Notice {
        Notice::new(text, Tone::Info)
    }

    pub fn ok(text: impl Into<String>) -> Notice {
        Notice::new(text, Tone::Ok)
    }

    pub fn warn(text: impl Into<String>) -> Notice {
        Notice::new(text, Tone::Warn)
    }

    pub fn error(text: impl Into<String>) -> Notice {
        Notice::new(text, Tone::Error)
    }

    /// The same notice, kept until replaced.
    pub fn sticky(self) -> Notice {
        Notice {
            sticky: true,
            ..self
        }
    }
}
