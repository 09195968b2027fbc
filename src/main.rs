//! The `wsmon` binary: everything lives in the library; see `wsmon::cli`.

fn main() -> std::process::ExitCode {
    wsmon::cli::main()
}
