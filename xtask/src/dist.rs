//! `cargo xtask dist`: the extension, unpacked and zipped, for Chrome and Firefox, and the
//! source archive addons.mozilla.org's review asks for.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::install::ensure_wasm_target;
use crate::process::{run, succeeds, target_dir};
use crate::wasm::{cargo_wasm, gzip_len};

/// The worker's wasm modules: its own (compiled at every start) and the feed and status-page
/// parsers (compiled when a refresh or a status poll first needs them).
const WORKER_MODULES: [&str; 2] = ["onebasket_extension", "onebasket_parsers"];

/// Browsers the extension is packaged for.
const BROWSERS: [&str; 2] = ["chrome", "firefox"];

/// Builds `dist/chrome/` and `dist/firefox/` (unpacked, loadable as they are) and a zip of each.
pub(crate) fn dist() -> Result<()> {
    ensure_wasm_target()?;
    run(cargo_wasm().args([
        "build",
        "-p",
        "onebasket-extension",
        "-p",
        "onebasket-parsers",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ]))?;
    let glue = Path::new("target/dist-glue");
    // A glue directory from an earlier run may hold files this build no longer makes.
    let _ = std::fs::remove_dir_all(glue);
    std::fs::create_dir_all(glue).with_context(|| format!("creating {}", glue.display()))?;
    for module in WORKER_MODULES {
        let wasm = target_dir().join(format!("wasm32-unknown-unknown/wasm/{module}.wasm"));
        crate::wasm::bindgen(&wasm, module, glue)?;
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read("manifest.json").context("reading manifest.json")?)
            .context("parsing manifest.json")?;
    for browser in BROWSERS {
        let out = Path::new("dist").join(browser);
        // Stale files from an earlier build must not end up in the zip.
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        copy_files(glue, &out)?;
        // background.js and the module of its start-up reads.
        copy_files(Path::new("extension/js"), &out)?;
        crate::web::build(&out)?;
        copy_files(Path::new("extension/icons"), &out)?;
        let m = manifest_for(&manifest, browser);
        std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&m)?)
            .with_context(|| format!("writing {}/manifest.json", out.display()))?;
        zip_dir(
            &out,
            &Path::new("dist").join(format!("onebasket-{browser}.zip")),
        )?;
    }
    source_archive()?;
    for module in WORKER_MODULES {
        let path = Path::new("dist/chrome").join(format!("{module}_bg.wasm"));
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        eprintln!(
            "dist: {module}_bg.wasm {} bytes raw, {} bytes gzip",
            bytes.len(),
            gzip_len(&bytes)?
        );
    }
    eprintln!("dist: dist/chrome, dist/firefox and their zips written");
    Ok(())
}

/// Copies every entry of `from` into `to`, by name.
fn copy_files(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, to.join(name))
                .with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

/// `dist/onebasket-source.zip`: the committed source, for addons.mozilla.org's review (its
/// `AMO-BUILD.md` says how to rebuild the wasm from it).
fn source_archive() -> Result<()> {
    if !succeeds(Command::new("git").args(["rev-parse", "--is-inside-work-tree"])) {
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

/// Zips the files of `dir` (flat, sorted by name) into `out`.
fn zip_dir(dir: &Path, out: &Path) -> Result<()> {
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        // A fixed timestamp keeps the archive reproducible.
        .last_modified_time(zip::DateTime::default());
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    // read_dir's order is the file system's: sorting keeps the archive reproducible.
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        zip.start_file(name, options)?;
        zip.write_all(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )?;
    }
    zip.finish()
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
