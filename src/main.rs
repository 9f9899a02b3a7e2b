use clap::Parser;

fn main() {
    let cli = match berth::cli::Cli::try_parse() {
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
    match berth::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(f) => {
            eprintln!("berth: {}", f.message);
            std::process::exit(f.code);
        }
    }
}
