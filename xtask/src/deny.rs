//! `cargo xtask deny [--no-install] [CHECK...]`: cargo-deny's checks of the dependency graph
//! against `deny.toml` (licences, bans such as duplicate versions, sources).

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::install::CARGO_DENY;
use crate::process::{cargo, run};

/// The checks that need nothing but the workspace and the crates.io index: what `cargo xtask
/// test` runs, and `cargo xtask deny` without a CHECK.
const OFFLINE_CHECKS: [&str; 3] = ["licenses", "bans", "sources"];

/// Fetches the RustSec advisory database from GitHub, so it runs only when asked for by name:
/// CI reaches the package registries and nothing else.
const ADVISORIES: &str = "advisories";

/// Runs the named checks (the offline ones by default), installing cargo-deny when missing
/// unless `--no-install` is given. Says so when the advisories were not checked.
pub(crate) fn deny(args: &[String]) -> Result<()> {
    let mut install = true;
    let mut checks = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--no-install" => install = false,
            c if c == ADVISORIES || OFFLINE_CHECKS.contains(&c) => checks.push(c),
            other => bail!(
                "unknown deny argument {other:?} (checks: {ADVISORIES}, {})",
                OFFLINE_CHECKS.join(", ")
            ),
        }
    }
    if checks.is_empty() {
        checks = OFFLINE_CHECKS.to_vec();
    }
    if install {
        CARGO_DENY.ensure()?;
    } else {
        CARGO_DENY.require()?;
    }
    let result = run(Command::new(cargo()).args(["deny", "check"]).args(&checks));
    if checks.contains(&ADVISORIES) {
        // The same exit status says "an advisory matches" and "no database": the output above
        // tells which.
        result.context(
            "cargo deny advisories: an advisory matches a dependency, or the RustSec database \
             could not be fetched from GitHub (only the package registries are reachable here \
             and in CI); the output above says which",
        )?;
    } else {
        result?;
        eprintln!(
            "cargo deny: {} passed; advisories skipped: they need the RustSec database from \
             GitHub, which CI cannot reach (run `cargo xtask deny advisories` where it can)",
            checks.join(", ")
        );
    }
    Ok(())
}
