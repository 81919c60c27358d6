//! `cargo xtask psl`: refreshes the bundled Public Suffix List from Debian's `publicsuffix`
//! package (a registry this machine reaches, unlike publicsuffix.org).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::install::ensure_apt;

/// Copies Debian's list over `core/data/public_suffix_list.dat` and prints the package version
/// for the notice file.
pub(crate) fn psl() -> Result<()> {
    let src = "/usr/share/publicsuffix/public_suffix_list.dat";
    ensure_apt(src, &["publicsuffix"])?;
    let text = std::fs::read_to_string(src).with_context(|| format!("reading {src}"))?;
    let dst = Path::new("core/data/public_suffix_list.dat");
    std::fs::write(dst, &text).with_context(|| format!("writing {}", dst.display()))?;
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
