//! The command line: flags (pylintseq's names kept) and the subcommands run, lint,
//! verify and languages. `main.rs` only calls [`main`].

pub mod args;
mod lint;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// Parses the process arguments and runs the command; returns the exit code.
pub fn main() -> ExitCode {
    ExitCode::from(main_with_args(std::env::args_os()))
}

/// Runs the command line on `args` (the program name first) and returns the exit
/// status: the binaries and the Python console scripts share it. Help, version and
/// usage errors are printed here, never by exiting the process.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code().clamp(0, 255) as u8;
        }
    };
    let result = match cli.command {
        None => run(&cli.run),
        Some(Command::Run(run_args)) => run(&run_args),
        Some(Command::Lint(lint_args)) => lint::lint(&lint_args),
        Some(Command::Verify(verify_args)) => verify::verify(&verify_args),
        Some(Command::Languages) => {
            languages();
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("lintseq: error: {message}");
            2
        }
    }
}

fn run(run_args: &args::RunArgs) -> Result<u8, String> {
    let cfg = run_args.resolve()?;
    let summary = crate::pipeline::run(&cfg).map_err(|e| e.to_string())?;
    if !run_args.quiet {
        eprintln!("{summary}");
    }
    Ok(0)
}

fn languages() {
    for lang in crate::lang::registry() {
        println!("{}", lang.name());
        println!("  aliases:     {}", lang.aliases().join(", "));
        println!("  fence tags:  {}", lang.fence_tags().join(", "));
        println!("  extensions:  {}", lang.extensions().join(", "));
        println!("  checks:");
        for check in lang.checks() {
            println!("    {:<6} {:<32} {}", check.code, check.name, check.summary);
        }
    }
}
