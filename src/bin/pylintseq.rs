//! The same program under pylintseq's name, so existing scripts run unchanged.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lintseq::cli::main()
}
