//! `cargo xtask wasm-check`: the whole core built for wasm32 must import nothing from `env`
//! (no I/O, clock or libc); also the reproducible wasm build every wasm step shares.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::install::{cargo_home, ensure_wasm_target};
use crate::process::{cargo, run, target_dir};

/// `cargo` for a wasm32 build, with the checkout's and cargo's paths remapped so the module is
/// the same byte for byte wherever the source sits (a reproducible build for AMO's review).
/// Every wasm build uses it, so the builds share their cached artifacts.
pub(crate) fn cargo_wasm() -> Command {
    let mut cmd = Command::new(cargo());
    let flags = [
        format!(
            "--remap-path-prefix={}=/onebasket",
            crate::project_root().display()
        ),
        format!("--remap-path-prefix={}=/cargo", cargo_home().display()),
    ];
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\u{1f}"));
    cmd
}

/// Builds the wasm probe (the whole core linked into a cdylib) and inspects its imports;
/// returns its gzip size.
pub(crate) fn wasm_check() -> Result<u64> {
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
    let path = target_dir().join("wasm32-unknown-unknown/wasm/onebasket_wasm_probe.wasm");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let payload = payload.with_context(|| format!("parsing {}", path.display()))?;
        if let wasmparser::Payload::ImportSection(reader) = payload {
            for import in reader {
                let import =
                    import.with_context(|| format!("reading the imports of {}", path.display()))?;
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

/// wasm-bindgen's glue for the module at `wasm`, into `glue` as `<name>.js` and
/// `<name>_bg.wasm`: ES module, no name or producers section (smaller, and reproducible).
pub(crate) fn bindgen(wasm: &Path, name: &str, glue: &Path) -> Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(name)
        .web(true)?
        .omit_default_module_path(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .typescript(false)
        .generate(glue)
        .with_context(|| format!("generating the {name} wasm-bindgen glue"))
}

/// Size of `bytes` gzipped at the best level: what a browser store or a CDN would serve.
pub(crate) fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).context("gzipping")?;
    Ok(enc.finish().context("gzipping")?.len() as u64)
}
