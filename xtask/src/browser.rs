//! The browser tests of `cargo xtask test`: `tests/browser`, Node's test runner driving Debian's
//! Chromium and firefox-esr against `dist/`, after addons.mozilla.org's linter on the Firefox
//! build.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::install::geckodriver_path;
use crate::process::{render, run};

/// Files `wasm-bindgen` generates: what the linter says of them is about the glue of the crates
/// they bind (yew's raw-HTML node assigns `innerHTML`; the pages never create one), not about
/// code written here.
const GENERATED_GLUE: [&str; 3] = [
    "onebasket_extension.js",
    "onebasket_popup.js",
    "onebasket_web.js",
];

/// Runs the browser tests (tests/browser) after `web-ext lint` of the Firefox build; `dist/`
/// must have been built.
pub(crate) fn browser_tests() -> Result<()> {
    let dir = Path::new("tests/browser");
    for tool in ["node", "npm"] {
        if Command::new(tool).arg("--version").output().is_err() {
            bail!("{tool} is missing: the browser tests need Node.js 20+ and npm (apt-get install -y nodejs npm)");
        }
    }
    // playwright-core only drives the browser: it never downloads one.
    if !dir.join("node_modules/playwright-core").is_dir()
        || !dir.join("node_modules/web-ext").is_dir()
    {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir))?;
    }
    lint_firefox(dir)?;
    run(Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-timeout=600000"])
        .env("GECKODRIVER", geckodriver_path())
        .current_dir(dir))
}

/// addons.mozilla.org's linter on `dist/firefox`: no errors, and no warnings about the project's
/// own files.
fn lint_firefox(dir: &Path) -> Result<()> {
    let mut cmd = Command::new("npx");
    cmd.args([
        "--no-install",
        "web-ext",
        "lint",
        "--source-dir",
        "../../dist/firefox",
        "--output",
        "json",
    ])
    .current_dir(dir);
    eprintln!("\n$ {}", render(&cmd));
    let out = cmd.output().context("running web-ext lint")?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "web-ext lint printed no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    // The report is the linter's output, not ours: a missing key or field reads as empty or "?".
    let list = |k: &str| report[k].as_array().cloned().unwrap_or_default();
    let describe = |m: &serde_json::Value| {
        format!(
            "{} {} in {}: {}",
            m["_type"].as_str().unwrap_or("?"),
            m["code"].as_str().unwrap_or("?"),
            m["file"].as_str().unwrap_or("?"),
            m["message"].as_str().unwrap_or("?")
        )
    };
    let mut own = Vec::new();
    for m in list("errors").iter().chain(list("warnings").iter()) {
        let file = m["file"].as_str().unwrap_or("");
        let generated = GENERATED_GLUE.contains(&file) && m["_type"] == "warning";
        if generated {
            eprintln!(
                "web-ext lint (generated glue, not our code): {}",
                describe(m)
            );
        } else {
            own.push(describe(m));
        }
    }
    for m in list("notices") {
        eprintln!("web-ext lint notice: {}", describe(&m));
    }
    if !own.is_empty() {
        bail!("web-ext lint of dist/firefox:\n  {}", own.join("\n  "));
    }
    eprintln!("web-ext lint: 0 errors, no warnings about the project's own files");
    Ok(())
}
