//! `cargo xtask fuzz`: the libFuzzer targets in `fuzz/` (see FUZZING.md).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::install::CARGO_FUZZ;
use crate::process::{cargo, render, run};

/// Seconds each fuzz target runs in `cargo xtask fuzz` without `--time`.
const DEFAULT_FUZZ_SECS: u64 = 20;

/// The fuzz targets (`fuzz/fuzz_targets/*.rs`), in the order they run.
const FUZZ_TARGETS: [&str; 8] = [
    "feeds", "dns_wire", "dns_json", "cymru", "status", "site_key", "snapshot", "engine",
];

/// `cargo fuzz` on the stable toolchain: cargo-fuzz passes nightly-only flags
/// (`-Zsanitizer=address`, SanitizerCoverage options), which `RUSTC_BOOTSTRAP=1` lets stable
/// accept. It only affects this build, in its own workspace and target directory under `fuzz/`.
fn cargo_fuzz() -> Command {
    let mut cmd = Command::new(cargo());
    cmd.arg("fuzz")
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir("fuzz");
    cmd
}

/// `cargo xtask fuzz [--time SECS] [--no-install] [TARGET...]`: builds every fuzz target (or the
/// ones named) and runs each for SECS seconds on one core, starting from its seeds
/// (`fuzz/seeds/<target>`, the real feed files for `feeds`) and the corpus earlier runs left in
/// `fuzz/corpus/<target>`. Any crash, panic, timeout or out-of-memory fails the command; the
/// input is left in `fuzz/artifacts/<target>/`.
pub(crate) fn fuzz(args: &[String]) -> Result<()> {
    let mut secs = DEFAULT_FUZZ_SECS;
    let mut install = true;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--time" => {
                secs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .context("--time needs a number of seconds")?;
            }
            "--no-install" => install = false,
            t if FUZZ_TARGETS.contains(&t) => targets.push(t),
            other => bail!(
                "unknown fuzz argument {other:?} (targets: {})",
                FUZZ_TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.to_vec();
    }
    if install {
        CARGO_FUZZ.ensure()?;
    } else {
        CARGO_FUZZ.require()?;
    }
    run(cargo_fuzz().args(["build", "-O", "--debug-assertions"]))?;
    let feeds = onebasket_tests::fixture_feeds();
    for target in targets {
        let corpus = Path::new("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let seeds = if target == "feeds" {
            feeds.clone()
        } else {
            crate::project_root().join("fuzz/seeds").join(target)
        };
        let mut cmd = cargo_fuzz();
        cmd.args(["run", "-O", "--debug-assertions", target])
            .arg(Path::new("corpus").join(target))
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            // One input taking seconds is a hang; a few hundred MB is a leak or a bomb.
            .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"]);
        if let Some(max) = fuzz_max_len(target) {
            cmd.arg(format!("-max_len={max}"));
        }
        run_fuzzer(&mut cmd, target)?;
    }
    eprintln!("\nxtask fuzz: no crash in {secs} s per target");
    Ok(())
}

/// Runs one fuzz target with its output (a line per new coverage find: thousands) in
/// `fuzz/target/logs/<target>.log`; prints libFuzzer's final statistics, or the end of the log
/// when it failed.
fn run_fuzzer(cmd: &mut Command, target: &str) -> Result<()> {
    let dir = Path::new("fuzz/target/logs");
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{target}.log"));
    let log = std::fs::File::create(&path)?;
    eprintln!("\n$ {} > {}", render(cmd), path.display());
    let status = cmd
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .with_context(|| format!("starting {}", render(cmd)))?;
    // libFuzzer's output is bytes, not always UTF-8 (it prints the inputs it found).
    let text = std::fs::read(&path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    if status.success() {
        for line in lines
            .iter()
            .filter(|l| l.starts_with("stat::") || l.starts_with("Done "))
        {
            eprintln!("{target}: {line}");
        }
        return Ok(());
    }
    for line in &lines[lines.len().saturating_sub(80)..] {
        eprintln!("{line}");
    }
    bail!(
        "fuzz target {target} failed ({status}): the input is in fuzz/artifacts/{target}/, the whole log in {}",
        path.display()
    )
}

/// Largest input libFuzzer makes for a target, where its default (the largest seed) is not
/// right: the real feed files are megabytes, and mutating those is slow without reaching more
/// code than their first 16 KB do.
fn fuzz_max_len(target: &str) -> Option<usize> {
    match target {
        "feeds" => Some(16 * 1024),
        "status" => Some(16 * 1024),
        _ => None,
    }
}
