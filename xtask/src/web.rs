//! Builds the pages (`web/`, crate `onebasket-web`): the popup, dashboard and options page.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

/// Builds `onebasket-web` for wasm32 (profile `wasm`), writes its wasm-bindgen glue and the
/// static files of `web/static` (HTML, stylesheet, the `page.js` loader) into `out`.
pub fn build(out: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let args = [
        "build",
        "-p",
        "onebasket-web",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ];
    eprintln!("\n$ {cargo} {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .status()
        .context("starting cargo")?;
    anyhow::ensure!(status.success(), "building onebasket-web failed ({status})");
    std::fs::create_dir_all(out)?;
    let wasm = Path::new("target/wasm32-unknown-unknown/wasm/onebasket_web.wasm");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .web(true)?
        .omit_default_module_path(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .typescript(false)
        .generate(out)
        .context("generating the pages' wasm-bindgen glue")?;
    for entry in std::fs::read_dir("web/static").context("reading web/static")? {
        let path = entry?.path();
        if let Some(name) = path.file_name() {
            if path.is_file() {
                std::fs::copy(&path, out.join(name))
                    .with_context(|| format!("copying {}", path.display()))?;
            }
        }
    }
    let bytes = std::fs::read(out.join("onebasket_web_bg.wasm"))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &bytes)?;
    eprintln!(
        "web: pages wasm {} bytes raw, {} bytes gzip, in {}",
        bytes.len(),
        gz.finish()?.len(),
        out.display()
    );
    Ok(())
}
