//! Builds the pages (`web/`, crate `onebasket-web`): the popup, dashboard and options page.

use std::path::Path;

use anyhow::{Context, Result};

/// The two builds of the crate: (glue name, cargo feature arguments). The popup opens on every
/// click of the toolbar button, so it gets a build without the dashboard and options page.
const BUILDS: [(&str, &[&str]); 2] = [
    ("onebasket_popup", &["--no-default-features"]),
    ("onebasket_web", &[]),
];

/// Where the glue of both builds is generated once per run.
const GLUE: &str = "target/web-glue";

/// Set once the builds of this run are in [`GLUE`]: `dist` calls [`build`] once per browser, and
/// switching features back and forth would rebuild the crate each time.
static BUILT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Builds `onebasket-web` for wasm32 (profile `wasm`) twice (the popup alone, then every page),
/// and writes each build's wasm-bindgen glue and the static files of `web/static` (HTML,
/// stylesheet, the `page.js` loader) into `out`.
pub(crate) fn build(out: &Path) -> Result<()> {
    if !BUILT.load(std::sync::atomic::Ordering::Relaxed) {
        compile(Path::new(GLUE))?;
        BUILT.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    std::fs::create_dir_all(out)?;
    for dir in [Path::new(GLUE), Path::new("web/static")] {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if let Some(name) = path.file_name() {
                if path.is_file() {
                    std::fs::copy(&path, out.join(name))
                        .with_context(|| format!("copying {}", path.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// Both builds and their glue into `glue`.
fn compile(glue: &Path) -> Result<()> {
    let cargo = crate::process::cargo();
    let _ = std::fs::remove_dir_all(glue);
    std::fs::create_dir_all(glue)?;
    for (name, features) in BUILDS {
        let mut args = vec![
            "build",
            "-p",
            "onebasket-web",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm",
        ];
        args.extend_from_slice(features);
        eprintln!("\n$ {cargo} {}", args.join(" "));
        let status = crate::wasm::cargo_wasm()
            .args(&args)
            .status()
            .context("starting cargo")?;
        anyhow::ensure!(status.success(), "building onebasket-web failed ({status})");
        let wasm =
            crate::process::target_dir().join("wasm32-unknown-unknown/wasm/onebasket_web.wasm");
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(wasm)
            .out_name(name)
            .web(true)?
            .omit_default_module_path(false)
            .remove_name_section(true)
            .remove_producers_section(true)
            .typescript(false)
            .generate(glue)
            .with_context(|| format!("generating the {name} wasm-bindgen glue"))?;
        let bytes = std::fs::read(glue.join(format!("{name}_bg.wasm")))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &bytes)?;
        eprintln!(
            "web: {name}_bg.wasm {} bytes raw, {} bytes gzip",
            bytes.len(),
            gz.finish()?.len(),
        );
    }
    Ok(())
}
