//! Builds the pages (`web/`, crate `onebasket-web`): the popup, dashboard and options page.

use std::path::Path;

use anyhow::{Context, Result};

/// The two builds of the crate: (glue name, cargo feature arguments). The popup opens on every
/// click of the toolbar button, so it gets a build without the dashboard and options page.
const BUILDS: [(&str, &[&str]); 2] = [
    ("onebasket_popup", &["--no-default-features"]),
    ("onebasket_web", &[]),
];

/// The pages, from `web/static/page.html`: (page, title, the build it preloads).
const PAGES: [(&str, &str, &str); 3] = [
    ("popup", "OneBasket", "onebasket_popup"),
    ("dashboard", "OneBasket dashboard", "onebasket_web"),
    ("options", "OneBasket settings", "onebasket_web"),
];

/// The HTML of every page shares this file; `{page}`, `{title}` and `{module}` are filled in.
const TEMPLATE: &str = "page.html";

/// Where the glue of both builds is generated once per run.
const GLUE: &str = "target/web-glue";

/// Set once the builds of this run are in [`GLUE`]: `dist` calls [`build`] once per browser, and
/// switching features back and forth would rebuild the crate each time.
static BUILT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Builds `onebasket-web` for wasm32 (profile `wasm`) twice (the popup alone, then every page),
/// and writes each build's wasm-bindgen glue, the static files of `web/static` (stylesheet,
/// the `page.js` loader) and each page's HTML (from [`TEMPLATE`]) into `out`.
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
                if path.is_file() && name != TEMPLATE {
                    std::fs::copy(&path, out.join(name))
                        .with_context(|| format!("copying {}", path.display()))?;
                }
            }
        }
    }
    let template = std::fs::read_to_string(Path::new("web/static").join(TEMPLATE))
        .with_context(|| format!("reading web/static/{TEMPLATE}"))?;
    for (page, title, module) in PAGES {
        let html = template
            .replace("{page}", page)
            .replace("{title}", title)
            .replace("{module}", module);
        let path = out.join(format!("{page}.html"));
        std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
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
        crate::wasm::bindgen(&wasm, name, glue)?;
        let bytes = std::fs::read(glue.join(format!("{name}_bg.wasm")))?;
        eprintln!(
            "web: {name}_bg.wasm {} bytes raw, {} bytes gzip",
            bytes.len(),
            crate::wasm::gzip_len(&bytes)?,
        );
    }
    Ok(())
}
