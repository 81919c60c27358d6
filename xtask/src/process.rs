//! Starting the tools xtask drives: cargo, echoed commands that fail on a non-zero status.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The cargo that runs xtask (`$CARGO`), so every step uses the same toolchain.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs a command, echoing it; fails with its exit status.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("\n$ {}", render(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", render(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", render(cmd));
    }
    Ok(())
}

/// A command as it would be typed, for the echo and the error messages.
pub(crate) fn render(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the command succeeds when run quietly (a tool's `--version`, say).
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.output().is_ok_and(|o| o.status.success())
}

/// Where cargo writes its builds: `$CARGO_TARGET_DIR` when set (a checkout sharing a build
/// directory, or keeping several apart), `target/` otherwise. The workspace sets no
/// `build.target-dir`, so the variable is the only other place cargo looks.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}
