//! The `wsmon` binary: everything lives in the library; see `wsmon::cli`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    wsmon::cli::main()
}
