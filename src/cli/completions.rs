//! `extent completions bash|zsh|fish|elvish|powershell` and `extent man`: generated from the
//! clap definition, so they never drift from the real flags.

use clap::CommandFactory;

use crate::backend::{Error, Result};

use super::Cli;

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

/// Bash only: complete ARRAY arguments from the store's listing (`extent ls`), after the
/// static completion of commands and flags.
const BASH_PATHS: &str = r#"
_extent_paths() {
    local cur="${COMP_WORDS[COMP_CWORD]}" store="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == --store ]] && store="${COMP_WORDS[i+1]}"
    done
    local paths
    paths=$(extent ${store:+--store "$store"} ls 2>/dev/null | awk '{print $1}')
    COMPREPLY=($(compgen -W "$paths" -- "$cur"))
}
_extent_with_paths() {
    _extent "$@"
    local cmd="${COMP_WORDS[1]}"
    [[ ${COMP_WORDS[1]} == --store ]] && cmd="${COMP_WORDS[3]}"
    case "$cmd" in
        show|read|patch|resize|history|rm|watch|check|frame)
            [[ ${COMP_WORDS[COMP_CWORD]} != -* && ${COMP_WORDS[COMP_CWORD-1]} != --* ]] && _extent_paths ;;
    esac
}
complete -F _extent_with_paths -o bashdefault -o default extent
"#;

pub fn completions(args: &CompletionArgs) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "extent", &mut out);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if args.shell == clap_complete::Shell::Bash {
        text.push_str(BASH_PATHS);
    }
    super::output::print_line(text.trim_end());
    Ok(())
}

pub fn man() -> Result<()> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::io("cannot render the man page").with_source(e))?;
    use std::io::Write;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Error::io("cannot print the man page").with_source(e))
}
