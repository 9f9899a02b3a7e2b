use clap::FromArgMatches;

use berth::cli::{self, plugin};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // A shell asking for completions: answer and exit before anything else prints.
    cli::complete::respond();
    let invocation = match plugin::start() {
        Ok(plugin::Start::Metadata(m)) => {
            println!("{m}");
            return;
        }
        Ok(plugin::Start::Run(i)) => i,
        Err(f) => exit_with(f),
    };
    let mut command = cli::complete::command();
    if let Some(name) = invocation.bin_name {
        command = command.bin_name(name);
    }
    let parsed = command
        .try_get_matches_from(invocation.args)
        .and_then(|m| cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                // Compose v2 exits 16 on a command-line syntax error.
                _ => 16,
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    match cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(f) => exit_with(f),
    }
}

fn exit_with(f: cli::Failure) -> ! {
    eprintln!("berth: {}", cli::visible(&f.message));
    std::process::exit(f.code);
}
