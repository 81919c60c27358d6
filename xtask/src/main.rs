//! `cargo xtask <command>`: the project's build and test tooling, in Rust rather than shell.
//!
//! - `test`: installs what the tests need when missing (wasm target, unbound, cargo-fuzz,
//!   cargo-deny…), then runs fmt, clippy, cargo-deny, every test (unit, real-data, integration), every benchmark once,
//!   a short run of every fuzz target, the wasm import/size check, `dist` and the browser tests.
//! - `demo`: builds the CLI, classifies a few names and addresses, and builds the extension
//!   (the README's first command).
//! - `dist`: builds the extension into `dist/chrome/` and `dist/firefox/` and zips them.
//! - `wasm-check`: builds the core for wasm32 and fails if it imports `env`; prints sizes.
//! - `psl`: refreshes `core/data/public_suffix_list.dat` from Debian's `publicsuffix` package.
//! - `fuzz [--time SECS] [--no-install] [TARGET...]`: builds the libFuzzer targets in `fuzz/`
//!   and runs each briefly; fails on any crash.
//! - `deny [--no-install] [CHECK...]`: cargo-deny's licence, ban and source checks (`deny.toml`);
//!   `deny advisories` asks the RustSec database, which needs the internet.
//! - `layers`: fails when a core module uses one ARCHITECTURE.md lists after it (also a test).
//!
//! One module per job; `main` only picks the command. Errors are `anyhow` here: this is a program
//! whose errors are printed once, with their context, and end the run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

mod browser;
mod demo;
mod deny;
mod dist;
mod fuzz;
mod install;
mod layers;
mod process;
mod psl;
mod test;
mod wasm;
mod web;

const USAGE: &str = "usage: cargo xtask <test [--no-install] | demo | dist | wasm-check | psl | fuzz [--time SECS] [--no-install] [TARGET...] | deny [--no-install] [CHECK...] | layers>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)
        .with_context(|| format!("entering the workspace root {}", root.display()))?;
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("test") => test::test(rest),
        Some("demo") => demo::demo(),
        Some("dist") => dist::dist(),
        Some("wasm-check") => wasm::wasm_check().map(|_| ()),
        Some("psl") => psl::psl(),
        Some("fuzz") => fuzz::fuzz(rest),
        Some("deny") => deny::deny(rest),
        Some("layers") => layers::layers(),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

/// The workspace root (the parent of `xtask/`); every command runs there. `cargo run` sets
/// `CARGO_MANIFEST_DIR` for the run: the path baked in at compile time is only the fallback,
/// since a binary in a target directory shared by two checkouts may have been built in the
/// other one.
fn project_root() -> PathBuf {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    dir.parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// A build script's binary is reused by every checkout sharing the target directory, so a
    /// path it reads must come from its environment at run time. `env!` bakes in the checkout
    /// it was compiled in: web/build.rs then read another checkout's (or a deleted)
    /// providers.toml.
    #[test]
    fn build_scripts_find_their_files_at_run_time() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut baked = Vec::new();
        for dir in [
            "core",
            "web",
            "extension",
            "extension/parsers",
            "tests",
            "xtask",
        ] {
            let script = root.join(dir).join("build.rs");
            if let Ok(text) = std::fs::read_to_string(&script) {
                if text.contains(concat!("env!(\"CARGO_", "MANIFEST_DIR\")")) {
                    baked.push(script.display().to_string());
                }
            }
        }
        assert!(
            baked.is_empty(),
            "build scripts with the compile-time manifest dir: {baked:?}"
        );
    }
}
