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
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(&cli.run),
        Some(Command::Run(run_args)) => run(&run_args),
        Some(Command::Lint(lint_args)) => lint::lint(&lint_args),
        Some(Command::Verify(verify_args)) => verify::verify(&verify_args),
        Some(Command::Languages) => {
            languages();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("lintseq: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(run_args: &args::RunArgs) -> Result<ExitCode, String> {
    let cfg = run_args.resolve()?;
    let summary = crate::pipeline::run(&cfg).map_err(|e| e.to_string())?;
    if !run_args.quiet {
        eprintln!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
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
