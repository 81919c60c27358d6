//! `cargo xtask <command>`: the project's build and test tooling, in Rust rather than shell.
//!
//! - `test`: installs what the tests need when missing (wasm target, unbound, cargo-fuzz…),
//!   then runs fmt, clippy, every test (unit, real-data, integration), a short run of every fuzz
//!   target and the wasm import/size check.
//! - `demo`: builds the CLI, classifies a few names and addresses, and builds the extension
//!   (the README's first command).
//! - `dist`: builds the extension into `dist/chrome/` and `dist/firefox/` and zips them.
//! - `wasm-check`: builds the core for wasm32 and fails if it imports `env`; prints sizes.
//! - `psl`: refreshes `core/data/public_suffix_list.dat` from Debian's `publicsuffix` package.
//! - `fuzz [--time SECS] [--no-install] [TARGET...]`: builds the libFuzzer targets in `fuzz/`
//!   and runs each briefly; fails on any crash.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

mod web;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(),
        Some("dist") => dist(),
        Some("wasm-check") => wasm_check().map(|_| ()),
        Some("psl") => psl(),
        Some("fuzz") => fuzz(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <test [--no-install] | demo | dist | wasm-check | psl | fuzz [--time SECS] [--no-install] [TARGET...]>");
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// `cargo` for a wasm32 build, with the checkout's and cargo's paths remapped so the module is
/// the same byte for byte wherever the source sits (a reproducible build for AMO's review).
/// Every wasm build uses it, so the builds share their cached artifacts.
pub(crate) fn cargo_wasm() -> Command {
    let mut cmd = Command::new(cargo());
    let root = project_root();
    let cargo_home = geckodriver_path()
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let flags = [
        format!("--remap-path-prefix={}=/onebasket", root.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
    ];
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\u{1f}"));
    cmd
}

/// Runs a command, echoing it; fails with its exit status.
fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("\n$ {}", render(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", render(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", render(cmd));
    }
    Ok(())
}

fn render(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs Debian packages when a file they provide is missing; fails loudly otherwise.
fn ensure_apt(file: &str, packages: &[&str]) -> Result<()> {
    if Path::new(file).exists() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "{file} is missing: install it with `sudo apt-get install -y {}`",
            packages.join(" ")
        );
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    if !Path::new(file).exists() {
        bail!(
            "installed {} but {file} is still missing",
            packages.join(" ")
        );
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32 target")?;
    if !String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

fn test(args: &[String]) -> Result<()> {
    let install = !args.iter().any(|a| a == "--no-install");
    if install {
        ensure_wasm_target()?;
        ensure_apt(onebasket_tests::unbound::UNBOUND, &["unbound"])?;
        ensure_apt("/usr/bin/openssl", &["openssl"])?;
        ensure_apt("/usr/bin/chromium", &["chromium"])?;
        ensure_apt("/usr/bin/firefox-esr", &["firefox-esr"])?;
        ensure_geckodriver()?;
    }
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
    run(Command::new(cargo()).args(["test", "--workspace", "--all-features"]))?;
    let mut fuzz_args = vec!["--time".to_owned(), TEST_FUZZ_SECS.to_string()];
    if !install {
        fuzz_args.push("--no-install".to_owned());
    }
    fuzz(&fuzz_args)?;
    wasm_check()?;
    dist()?;
    browser_tests()?;
    eprintln!("\nxtask test: all checks passed");
    Ok(())
}

/// Seconds each fuzz target runs in `cargo xtask test`: a smoke test that every target builds,
/// loads its seeds and survives some mutation; the long runs are recorded in FUZZING.md.
const TEST_FUZZ_SECS: u64 = 10;

/// Seconds each fuzz target runs in `cargo xtask fuzz` without `--time`.
const DEFAULT_FUZZ_SECS: u64 = 20;

/// The cargo-fuzz version installed when missing (from crates.io, built here).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The fuzz targets (`fuzz/fuzz_targets/*.rs`), in the order they run.
const FUZZ_TARGETS: [&str; 8] = [
    "feeds", "dns_wire", "dns_json", "cymru", "status", "site_key", "snapshot", "engine",
];

fn cargo_fuzz_installed() -> bool {
    Command::new(cargo())
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ensure_cargo_fuzz() -> Result<()> {
    if cargo_fuzz_installed() {
        return Ok(());
    }
    let install = |locked: bool| {
        let mut cmd = Command::new(cargo());
        cmd.args(["install", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION]);
        if locked {
            cmd.arg("--locked");
        }
        run(&mut cmd)
    };
    // --locked builds what cargo-fuzz was released with; if that lock no longer builds with
    // this toolchain, the newest compatible dependencies are the next best thing.
    install(true).or_else(|_| install(false))
}

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
fn fuzz(args: &[String]) -> Result<()> {
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
        ensure_cargo_fuzz()?;
    } else if !cargo_fuzz_installed() {
        bail!("cargo-fuzz is missing: install it with `cargo install cargo-fuzz --locked --version {CARGO_FUZZ_VERSION}`");
    }
    run(cargo_fuzz().args(["build", "-O", "--debug-assertions"]))?;
    let feeds = onebasket_tests::fixture_feeds();
    for target in targets {
        let corpus = Path::new("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let seeds = if target == "feeds" {
            feeds.clone()
        } else {
            project_root().join("fuzz/seeds").join(target)
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
    eprintln!(
        "
xtask fuzz: no crash in {} s per target",
        secs
    );
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
    let text = std::fs::read_to_string(&path).unwrap_or_default();
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

/// The geckodriver version the Firefox tests drive firefox-esr with (built from crates.io: no
/// binary is downloaded).
const GECKODRIVER_VERSION: &str = "0.37.1";

fn geckodriver_path() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    cargo_home.join("bin/geckodriver")
}

fn ensure_geckodriver() -> Result<()> {
    if geckodriver_path().is_file() {
        return Ok(());
    }
    run(Command::new(cargo()).args(["install", "geckodriver", "--version", GECKODRIVER_VERSION]))
}

/// Runs the browser tests (tests/browser, Node's test runner driving Debian's Chromium and
/// firefox-esr), after `web-ext lint` of the Firefox build.
fn browser_tests() -> Result<()> {
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

/// Files `wasm-bindgen` generates: what the linter says of them is about the glue of the crates
/// they bind (yew's raw-HTML node assigns `innerHTML`; the pages never create one), not about
/// code written here.
const GENERATED_GLUE: [&str; 3] = [
    "onebasket_extension.js",
    "onebasket_popup.js",
    "onebasket_web.js",
];

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

/// Builds the wasm probe (the whole core linked into a cdylib) and inspects its imports.
fn wasm_check() -> Result<u64> {
    ensure_wasm_target()?;
    run(cargo_wasm().args([
        "build",
        "-p",
        "onebasket-wasm-probe",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ]))?;
    let path = Path::new("target/wasm32-unknown-unknown/wasm/onebasket_wasm_probe.wasm");
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::ImportSection(reader) = payload? {
            for import in reader {
                let import = import?;
                imports.push(format!("{}::{}", import.module, import.name));
            }
        }
    }
    let gz = gzip_len(&bytes)?;
    eprintln!(
        "wasm probe (whole core): {} bytes raw, {gz} bytes gzip, imports: {}",
        bytes.len(),
        if imports.is_empty() {
            "none".to_owned()
        } else {
            imports.join(", ")
        }
    );
    if let Some(env) = imports.iter().find(|i| i.starts_with("env::")) {
        bail!("the core imports {env} on wasm32: something in core/ does I/O, reads a clock or needs libc");
    }
    Ok(gz)
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len() as u64)
}

/// Builds the CLI and classifies a few addresses and names, against the fixture feeds and a
/// loopback DoH resolver holding demo records (the machine may have no internet).
fn demo() -> Result<()> {
    ensure_apt(onebasket_tests::unbound::UNBOUND, &["unbound"])?;
    run(Command::new(cargo()).args([
        "build",
        "--release",
        "-p",
        "onebasket",
        "--features",
        "cli",
    ]))?;
    let bin = Path::new("target/release/onebasket");
    let feeds = onebasket_tests::fixture_feeds();
    run(Command::new(bin).args(["ip", "--feeds"]).arg(&feeds).args([
        "3.5.140.2",
        "34.34.0.1",
        "104.16.1.1",
        "2600:1f18::1",
        "185.199.108.153",
        "192.168.1.1",
    ]))?;
    let resolver = onebasket_tests::unbound::Unbound::start(&[
        "shop.example.test. 300 IN CNAME shop.example.test.cdn.cloudflare.net.",
        "shop.example.test.cdn.cloudflare.net. 300 IN A 104.16.1.1",
        "example.test. 300 IN NS dana.ns.cloudflare.com.",
        "api.aws-site.test. 60 IN A 3.5.140.2",
        "aws-site.test. 300 IN NS ns-1234.awsdns-12.org.",
        "app.gcp-site.test. 60 IN A 34.34.0.1",
        "gcp-site.test. 300 IN NS ns-cloud-a1.googledomains.com.",
    ])?;
    run(Command::new(bin)
        .args([
            "lookup",
            "--no-asn",
            "--resolver",
            &resolver.url(),
            "--feeds",
        ])
        .arg(&feeds)
        .args([
            "shop.example.test",
            "api.aws-site.test",
            "app.gcp-site.test",
        ]))?;
    dist()?;
    eprintln!(
        "\nTry it on the internet: {} lookup www.signal.org www.roblox.com\nLoad the extension: dist/chrome (chrome://extensions, Load unpacked) or dist/firefox (about:debugging)",
        bin.display()
    );
    Ok(())
}

/// Refreshes the bundled Public Suffix List from Debian's package.
fn psl() -> Result<()> {
    let src = "/usr/share/publicsuffix/public_suffix_list.dat";
    ensure_apt(src, &["publicsuffix"])?;
    let text = std::fs::read_to_string(src)?;
    let dst = Path::new("core/data/public_suffix_list.dat");
    std::fs::write(dst, &text)?;
    let version = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "publicsuffix"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    eprintln!(
        "wrote {} ({} bytes) from Debian publicsuffix {version}; update core/data/PUBLIC_SUFFIX_LIST.NOTICE with that version and date",
        dst.display(),
        text.len()
    );
    Ok(())
}

/// Browsers the extension is packaged for.
const BROWSERS: [&str; 2] = ["chrome", "firefox"];

/// Builds `dist/chrome/` and `dist/firefox/` (unpacked, loadable as they are) and a zip of each.
fn dist() -> Result<()> {
    ensure_wasm_target()?;
    run(cargo_wasm().args([
        "build",
        "-p",
        "onebasket-extension",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ]))?;
    let wasm = Path::new("target/wasm32-unknown-unknown/wasm/onebasket_extension.wasm");
    let glue = Path::new("target/dist-glue");
    let _ = std::fs::remove_dir_all(glue);
    std::fs::create_dir_all(glue)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .web(true)?
        .omit_default_module_path(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .typescript(false)
        .generate(glue)
        .context("generating the wasm-bindgen glue")?;
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read("manifest.json")?)?;
    for browser in BROWSERS {
        let out = Path::new("dist").join(browser);
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out)?;
        for entry in std::fs::read_dir(glue)? {
            let path = entry?.path();
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, out.join(name))?;
            }
        }
        std::fs::copy("extension/js/background.js", out.join("background.js"))?;
        web::build(&out)?;
        for entry in std::fs::read_dir("extension/icons")? {
            let path = entry?.path();
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, out.join(name))?;
            }
        }
        let m = manifest_for(&manifest, browser);
        std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&m)?)?;
        zip_dir(
            &out,
            &Path::new("dist").join(format!("onebasket-{browser}.zip")),
        )?;
    }
    source_archive()?;
    let bytes = std::fs::read(Path::new("dist/chrome/onebasket_extension_bg.wasm"))?;
    eprintln!(
        "dist: worker wasm {} bytes raw, {} bytes gzip; dist/chrome, dist/firefox and their zips written",
        bytes.len(),
        gzip_len(&bytes)?
    );
    Ok(())
}

/// `dist/onebasket-source.zip`: the committed source, for addons.mozilla.org's review (its
/// `AMO-BUILD.md` says how to rebuild the wasm from it).
fn source_archive() -> Result<()> {
    let inside_git = Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !inside_git {
        eprintln!("dist: not a git checkout, so no source archive");
        return Ok(());
    }
    run(Command::new("git").args([
        "archive",
        "--format=zip",
        "--prefix=onebasket/",
        "-o",
        "dist/onebasket-source.zip",
        "HEAD",
    ]))
}

/// The root manifest narrowed to one browser's keys.
fn manifest_for(manifest: &serde_json::Value, browser: &str) -> serde_json::Value {
    let mut m = manifest.clone();
    if let Some(obj) = m.as_object_mut() {
        if browser == "chrome" {
            obj.remove("browser_specific_settings");
            if let Some(bg) = obj.get_mut("background").and_then(|b| b.as_object_mut()) {
                bg.remove("scripts");
            }
        } else {
            obj.remove("minimum_chrome_version");
            if let Some(bg) = obj.get_mut("background").and_then(|b| b.as_object_mut()) {
                bg.remove("service_worker");
            }
            // `dns.resolve` ("resolve with the browser") exists only in Firefox.
            if let Some(perms) = obj.get_mut("permissions").and_then(|p| p.as_array_mut()) {
                perms.push(serde_json::Value::from("dns"));
            }
        }
    }
    m
}

fn zip_dir(dir: &Path, out: &Path) -> Result<()> {
    let file = std::fs::File::create(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        // A fixed timestamp keeps the archive reproducible.
        .last_modified_time(zip::DateTime::default());
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        zip.start_file(name, options)?;
        zip.write_all(&std::fs::read(&path)?)?;
    }
    zip.finish()?;
    Ok(())
}
