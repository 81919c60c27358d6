//! `cargo xtask demo` (the README's first command): builds the CLI, classifies a few addresses
//! and names, and builds the extension.

use std::process::Command;

use anyhow::Result;

use crate::install::ensure_apt;
use crate::process::{cargo, run, target_dir};

/// Builds the CLI and classifies a few addresses and names, against the fixture feeds and a
/// loopback DoH resolver holding demo records (the machine may have no internet).
pub(crate) fn demo() -> Result<()> {
    ensure_apt(onebasket_tests::unbound::UNBOUND, &["unbound"])?;
    run(Command::new(cargo()).args([
        "build",
        "--release",
        "-p",
        "onebasket",
        "--features",
        "cli",
    ]))?;
    let bin = target_dir().join("release/onebasket");
    let feeds = onebasket_tests::fixture_feeds();
    run(Command::new(&bin)
        .args(["ip", "--feeds"])
        .arg(&feeds)
        .args([
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
    run(Command::new(&bin)
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
    crate::dist::dist()?;
    eprintln!(
        "\nTry it on the internet: {} lookup www.signal.org www.roblox.com\nLoad the extension: dist/chrome (chrome://extensions, Load unpacked) or dist/firefox (about:debugging)",
        bin.display()
    );
    Ok(())
}
