//! The `extent` binary: parse arguments, set up logging to a file, dispatch.

use extent::cli;

fn main() {
    let cli = match cli::parse(tui_args()) {
        Ok(cli) => cli,
        Err(code) => std::process::exit(code),
    };
    extent::color::set_choice(cli.color);
    extent::color::install_report_hook();
    extent::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(6);
        }
    };
    let code = runtime.block_on(async {
        if cli.command.is_none() {
            // `extent` / `extent tui`: the TUI (no store → the store picker).
            return match extent::tui::run_from_cli(
                cli.store.clone(),
                cli.api_key.clone(),
                cli.stall_after,
                cli.graphics,
            )
            .await
            {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            };
        }
        cli::run(cli).await
    });
    std::process::exit(code);
}

/// The arguments with a `tui` subcommand word removed: `extent tui` = `extent`.
fn tui_args() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let takes_value = |a: &std::ffi::OsString| {
        a == "--store"
            || a == "--api-key"
            || a == "--api-key-file"
            || a == "--color"
            || a == "--stall-after"
    };
    if let Some(i) = (1..args.len()).find(|&i| args[i] == "tui" && !takes_value(&args[i - 1])) {
        args.remove(i);
    }
    args
}
