//! Installing what the commands need when it is missing: Debian packages (as root), the wasm32
//! target, and cargo tools built from crates.io at a pinned version. Nothing is downloaded from
//! anywhere but the package registries; what cannot be installed stops the run with the command
//! that would install it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::process::{cargo, run, succeeds};

/// The cargo-fuzz version installed when missing.
pub(crate) const CARGO_FUZZ: CargoTool = CargoTool {
    krate: "cargo-fuzz",
    subcommand: "fuzz",
    version: "0.13.2",
};

/// The cargo-deny version installed when missing: the newest on crates.io when it was chosen
/// (2026-12); it needs Rust 1.88 to build, and took 221 s on the project's 2-core machine.
pub(crate) const CARGO_DENY: CargoTool = CargoTool {
    krate: "cargo-deny",
    subcommand: "deny",
    version: "0.20.2",
};

/// The geckodriver version the Firefox tests drive firefox-esr with (built from crates.io: no
/// binary is downloaded).
const GECKODRIVER_VERSION: &str = "0.37.1";

/// Whether apt-get can run without sudo.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs Debian packages when a file they provide is missing; fails loudly otherwise.
pub(crate) fn ensure_apt(file: &str, packages: &[&str]) -> Result<()> {
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

/// Adds the `wasm32-unknown-unknown` target with rustup when it is not installed.
pub(crate) fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32 target")?;
    if !String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// `$CARGO_HOME`, where `cargo install` puts its binaries (under `bin/`).
pub(crate) fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
}

/// Where `cargo install geckodriver` puts the driver the Firefox tests start.
pub(crate) fn geckodriver_path() -> PathBuf {
    cargo_home().join("bin/geckodriver")
}

/// Builds geckodriver from crates.io when missing.
pub(crate) fn ensure_geckodriver() -> Result<()> {
    if geckodriver_path().is_file() {
        return Ok(());
    }
    run(Command::new(cargo()).args(["install", "geckodriver", "--version", GECKODRIVER_VERSION]))
}

/// A cargo subcommand built from crates.io at a pinned version.
pub(crate) struct CargoTool {
    /// The crate on crates.io.
    pub(crate) krate: &'static str,
    /// `cargo <subcommand>`.
    pub(crate) subcommand: &'static str,
    /// The version installed when missing.
    pub(crate) version: &'static str,
}

impl CargoTool {
    /// Whether `cargo <subcommand> --version` runs (any version: one installed by hand counts).
    pub(crate) fn installed(&self) -> bool {
        succeeds(Command::new(cargo()).args([self.subcommand, "--version"]))
    }

    /// The command that installs it, for the messages.
    pub(crate) fn install_command(&self) -> String {
        format!(
            "cargo install {} --locked --version {}",
            self.krate, self.version
        )
    }

    /// Fails with the command that installs it when it is missing.
    pub(crate) fn require(&self) -> Result<()> {
        if !self.installed() {
            bail!(
                "{} is missing: install it with `{}`",
                self.krate,
                self.install_command()
            );
        }
        Ok(())
    }

    /// Builds and installs it from crates.io when missing; fails with the command to run by hand
    /// when it cannot.
    pub(crate) fn ensure(&self) -> Result<()> {
        if self.installed() {
            return Ok(());
        }
        let install = |locked: bool| {
            let mut cmd = Command::new(cargo());
            cmd.args(["install", self.krate, "--version", self.version]);
            if locked {
                cmd.arg("--locked");
            }
            run(&mut cmd)
        };
        // --locked builds what the tool was released with; if that lock no longer builds with
        // this toolchain, the newest compatible dependencies are the next best thing.
        install(true).or_else(|_| install(false)).with_context(|| {
            format!(
                "could not build {} {} from crates.io: install it with `{}`",
                self.krate,
                self.version,
                self.install_command()
            )
        })?;
        self.require()
    }
}
