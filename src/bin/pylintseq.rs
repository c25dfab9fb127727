//! The same program under pylintseq's name, so existing scripts run unchanged.
fn main() -> std::process::ExitCode {
    lintseq::cli::main()
}
