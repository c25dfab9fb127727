fn main() -> std::process::ExitCode {
    lintseq::cli::main()
}
