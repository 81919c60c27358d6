//! The CLI's memory stays bounded whatever a server sends (issue 14, bugs 2 and 3): bodies are
//! refused by their `Content-Length` first and never read past their limit when they have none.
//!
//! Memory is the kernel's own peak RSS of the CLI processes (`getrusage(RUSAGE_CHILDREN)`,
//! the largest child this test binary has waited for), so every CLI run in this file must stay
//! under [`PEAK_LIMIT_KIB`]. A debug build of the CLI with the fixture feeds peaks at ≈ 60 MB;
//! the largest allowed body, a 32 MiB feed, adds at most two copies of itself.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{bin, feeds, fixture, run_for, tempdir};
use onebasket_tests::hostile::{HostileServer, Reply};
use onebasket_tests::mirror::Mirror;
use onebasket_tests::process::children_peak_rss_kib;

/// Every CLI run here stays under this peak RSS.
const PEAK_LIMIT_KIB: u64 = 200 * 1024;

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// The peak so far, printed (`--nocapture` shows it) before anything else is checked.
fn peak(what: &str) -> u64 {
    let peak = children_peak_rss_kib().unwrap();
    eprintln!("{what}: peak RSS of the CLI runs so far: {peak} KiB");
    peak
}

fn assert_bounded(what: &str, peak: u64) {
    assert!(
        peak < PEAK_LIMIT_KIB,
        "{what}: a CLI run peaked at {peak} KiB (limit {PEAK_LIMIT_KIB} KiB)"
    );
}

/// Bug 2: a resolver that claims a 2 GiB answer, or streams one without a length.
#[test]
fn doh_answers_are_refused_by_length_and_cut_at_the_limit() {
    let resolver = HostileServer::start(|req| {
        if req.target.contains("dns=") {
            // Which name is asked does not matter: odd requests lie about their length, even
            // ones announce none. 256 MiB is sent either way (the CLI must not wait for it).
            if req.seq % 2 == 0 {
                Reply::junk(Some(2 * GIB), 256 * MIB)
            } else {
                Reply::junk(None, 256 * MIB)
            }
            .header("Content-Type", "application/dns-message")
        } else {
            Reply::status(400)
        }
    })
    .unwrap();
    let list = tempdir("doh-memory").join("sites.txt");
    std::fs::write(&list, "one.test\ntwo.test\nthree.test\nfour.test\n").unwrap();
    let mut cmd = bin();
    cmd.args(["report", "--json", "--no-asn", "--timeout", "30"])
        .args([
            "--concurrency",
            "4",
            "--resolver",
            &resolver.url("/dns-query"),
        ])
        .args(["--feeds", &feeds()])
        .arg(&list);
    let run = run_for(cmd, Duration::from_secs(120));
    let peak = peak("DoH");
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["failed"], 4, "{}", run.stdout);
    assert!(
        run.stderr.contains("answer too large"),
        "the error says why: {}",
        run.stderr
    );
    assert_bounded("DoH", peak);
}

/// Bug 3: feeds that claim 1.5 GiB, or stream 512 MiB without a length, are refused and the
/// last good copies stay.
#[test]
fn feed_downloads_are_refused_by_length_and_cut_at_the_limit() {
    let src = tempdir("feed-memory-src");
    for f in ["ip-ranges.json", "cloud.json"] {
        std::fs::write(src.join(f), fixture(f)).unwrap();
    }
    let cache = tempdir("feed-memory-cache");
    let cache_s = cache.to_str().unwrap().to_owned();
    {
        let mirror = Mirror::start(src).unwrap();
        let mut cmd = bin();
        cmd.args([
            "feeds",
            "update",
            "--dir",
            &cache_s,
            "--base",
            &mirror.base(),
        ]);
        let first = run_for(cmd, Duration::from_secs(120));
        assert!(first.stdout.contains("ip-ranges.json"), "{}", first.stdout);
    }
    let hostile = HostileServer::start(|req| match req.path() {
        "/ip-ranges.json" => Reply::junk(Some(1536 * MIB), 512 * MIB),
        "/cloud.json" => Reply::junk(None, 512 * MIB),
        _ => Reply::status(404),
    })
    .unwrap();
    let mut cmd = bin();
    cmd.args([
        "feeds",
        "update",
        "--dir",
        &cache_s,
        "--base",
        &hostile.url(""),
    ]);
    let run = run_for(cmd, Duration::from_secs(180));
    let peak = peak("feeds");
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    for f in ["ip-ranges.json", "cloud.json"] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("onebasket: {f}:")))
            .unwrap_or_else(|| panic!("no error for {f}: {}", run.stderr));
        assert!(line.contains("too large"), "{line}");
        assert!(line.contains("keeping the last good copy"), "{line}");
        assert_eq!(
            std::fs::read(cache.join(f)).unwrap(),
            fixture(f),
            "{f} kept"
        );
    }
    assert_bounded("feeds", peak);
}
