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
    no_transparent_huge_pages();
    ExitCode::from(main_with_args(std::env::args_os()))
}

/// Turns transparent huge pages off for this process (Linux; the binaries only, not the
/// Python package's process). The binaries' allocator, mimalloc, asks the kernel for them,
/// and the first touch of each zeroes 2 MiB: on the 3,000-row corpus that made peak RSS
/// 70-92 MB instead of 40-47 and added up to 0.26 s of kernel time, varying from run to
/// run, with the same user time (`docs/benchmarks.md`, twelfth round).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integers only and changes nothing but
    // how this process's later page faults are served; if it fails, nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
    }
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

#[cfg(test)]
mod tests {
    /// The binaries' process no longer gets transparent huge pages (the flag the kernel
    /// keeps per process, read back).
    #[cfg(target_os = "linux")]
    #[test]
    fn transparent_huge_pages_are_turned_off() {
        super::no_transparent_huge_pages();
        // SAFETY: PR_GET_THP_DISABLE takes integers only and returns the flag.
        let flag = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong) };
        assert_eq!(flag, 1);
    }
}
