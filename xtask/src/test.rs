//! `cargo xtask test` (the README's test command, and CI's): installs what the tests need when
//! missing, then runs every check in order, cheapest first, stopping at the first failure.

use std::process::Command;

use anyhow::Result;

use crate::install::{ensure_apt, ensure_geckodriver, ensure_wasm_target};
use crate::process::{cargo, run};

/// Seconds each fuzz target runs in `cargo xtask test`: a smoke test that every target builds,
/// loads its seeds and survives some mutation; the long runs are recorded in FUZZING.md.
const TEST_FUZZ_SECS: u64 = 10;

/// fmt, clippy, cargo-deny (licences, bans, sources), every cargo test, every benchmark once, a
/// short run of every fuzz target, the wasm check, `dist` and the browser tests. `--no-install`
/// fails on a missing tool instead of installing it.
pub(crate) fn test(args: &[String]) -> Result<()> {
    let install = !args.iter().any(|a| a == "--no-install");
    if install {
        ensure_wasm_target()?;
        ensure_apt(onebasket_tests::unbound::UNBOUND, &["unbound"])?;
        ensure_apt("/usr/bin/openssl", &["openssl"])?;
        ensure_apt("/usr/bin/chromium", &["chromium"])?;
        ensure_apt("/usr/bin/firefox-esr", &["firefox-esr"])?;
        ensure_geckodriver()?;
    }
    // Passed on to the steps that install their own tool (cargo-deny, cargo-fuzz).
    let no_install: Vec<String> = if install {
        Vec::new()
    } else {
        vec!["--no-install".to_owned()]
    };
    run(Command::new(cargo()).args(["fmt", "--all", "--", "--check"]))?;
    run(Command::new(cargo()).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::deny::deny(&no_install)?;
    run(Command::new(cargo()).args(["test", "--workspace", "--all-features"]))?;
    // Every benchmark once, unmeasured (criterion's test mode): a benchmark that stopped running
    // fails here rather than on the day someone measures with it.
    run(Command::new(cargo()).args(["bench", "-p", "onebasket", "--", "--test"]))?;
    let mut fuzz_args = vec!["--time".to_owned(), TEST_FUZZ_SECS.to_string()];
    fuzz_args.extend(no_install);
    crate::fuzz::fuzz(&fuzz_args)?;
    crate::wasm::wasm_check()?;
    crate::dist::dist()?;
    crate::browser::browser_tests()?;
    eprintln!("\nxtask test: all checks passed");
    Ok(())
}
