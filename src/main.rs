//! The `extent` binary: parse arguments, set up logging to a file, dispatch.

use clap::Parser;

use extent::cli::{self, Cli};

fn main() {
    let cli = Cli::parse();
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
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            return 0;
        }
        cli::run(cli).await
    });
    std::process::exit(code);
}
