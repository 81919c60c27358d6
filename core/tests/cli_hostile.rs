//! The CLI against hostile servers and input (issue 14): each test starts its own server on
//! 127.0.0.1 that misbehaves in one way, and checks what the CLI does about it.
//!
//! "Off loopback" targets are `http://0.0.0.0:PORT`: an address the CLI must treat as not
//! loopback, which Linux nonetheless connects to this machine, so a CLI that wrongly follows
//! such a redirect is caught by a server of the test's own and nothing leaves the machine.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    aws_feed, bin, doh, feeds, finish, fixture, questions, run_for, seen_within, tempdir,
    watch_lines, AWS, GCP,
};
use onebasket_tests::fixture_feeds;
use onebasket_tests::hostile::{
    dns_question, dns_reply, qtype, Gate, HostileServer, Record, Reply,
};
use onebasket_tests::mirror::Mirror;
use onebasket_tests::process::interrupt;
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

/// Every name is in AWS.
fn aws_resolver() -> HostileServer {
    doh(|_| vec![Record::A(AWS)])
}

fn lookup_json(resolver: &HostileServer, names: &[&str]) -> common::Run {
    let mut cmd = bin();
    cmd.args(["lookup", "--json", "--no-asn", "--resolver"])
        .arg(resolver.url("/dns-query"))
        .args(["--feeds", &feeds()])
        .args(names);
    run_for(cmd, LIMIT)
}

fn report_json(resolver: &HostileServer, list: &str, extra: &[&str]) -> (common::Run, Value) {
    let file = tempdir("report").join("sites.txt");
    std::fs::write(&file, list).unwrap();
    let mut cmd = bin();
    cmd.args(["report", "--json", "--no-asn", "--resolver"])
        .arg(resolver.url("/dns-query"))
        .args(["--feeds", &feeds()])
        .args(extra)
        .arg(&file);
    let run = run_for(cmd, LIMIT);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", run.stdout, run.stderr));
    (run, report)
}

fn share(report: &Value, group: &str, key: &str) -> Option<(u64, f64)> {
    report[group]
        .as_array()?
        .iter()
        .find(|s| s["key"] == key)
        .map(|s| (s["sites"].as_u64().unwrap(), s["percent"].as_f64().unwrap()))
}

// ---------------------------------------------------------------------------------------------
// Bug 1: redirects

#[test]
fn doh_redirects_are_not_followed_and_the_hop_is_named() {
    // Where the redirect points: a resolver that would put the name in AWS.
    let elsewhere = aws_resolver();
    let target = format!("http://0.0.0.0:{}/dns-query", elsewhere.port());
    let t = target.clone();
    let resolver = HostileServer::start(move |req| {
        let query = req.target.split_once('?').map_or("", |(_, q)| q);
        Reply::redirect(302, &format!("{t}?{query}"))
    })
    .unwrap();
    let run = lookup_json(&resolver, &["www.redirected.test"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect was followed: {:?}",
        elsewhere.requests()
    );
    let want = format!(
        "resolver {} redirected to {target}?dns=",
        resolver.url("/dns-query")
    );
    let err = run
        .stderr
        .lines()
        .find(|l| l.contains("redirected"))
        .unwrap_or("");
    assert!(err.contains(&want), "{}", run.stderr);
    assert!(!run.stdout.contains("\"aws\""), "{}", run.stdout);
}

#[test]
fn feed_redirects_go_only_to_https_or_loopback_and_only_a_few() {
    let src = tempdir("redirect-src");
    for f in ["ips-v4", "cloud.json"] {
        std::fs::write(src.join(f), fixture(f)).unwrap();
    }
    // A loopback mirror with the real files, and the same files "off loopback".
    let mirror = Mirror::start(src.clone()).unwrap();
    let off = Mirror::start(src).unwrap();
    let off_port = off.base().rsplit(':').next().unwrap().to_owned();
    let (to_mirror, to_off) = (mirror.base(), format!("http://0.0.0.0:{off_port}"));
    let off_url = to_off.clone();
    let hostile = HostileServer::start(move |req| match req.path() {
        "/ips-v4" => Reply::redirect(302, &format!("{to_mirror}/ips-v4")),
        "/cloud.json" => Reply::redirect(301, &format!("{off_url}/cloud.json")),
        // A loop: always somewhere new, never an answer.
        "/ips-v6" => Reply::redirect(307, &format!("/ips-v6?hop={}", req.seq)),
        _ => Reply::status(404),
    })
    .unwrap();
    let cache = tempdir("redirect-cache");
    let mut cmd = bin();
    cmd.args(["feeds", "update", "--dir", cache.to_str().unwrap()])
        .args(["--base", &hostile.url("/")]);
    let run = run_for(cmd, LIMIT);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    // Loopback to loopback is followed.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("ips-v4") && l.contains("updated")),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        std::fs::read(cache.join("ips-v4")).unwrap(),
        fixture("ips-v4")
    );
    // Plain http off loopback is not.
    assert!(off.requests().is_empty(), "{:?}", off.requests());
    assert!(!cache.join("cloud.json").exists());
    let cloud = run
        .stderr
        .lines()
        .find(|l| l.starts_with("onebasket: cloud.json:"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        cloud.contains(&format!("redirected to {to_off}/cloud.json")),
        "{cloud}"
    );
    // A few redirects at most.
    let hops = hostile
        .requests()
        .iter()
        .filter(|r| r.path() == "/ips-v6")
        .count();
    assert!(hops <= 6, "{hops} requests for one feed");
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("onebasket: ips-v6:") && l.contains("too many redirects")),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Bug 4: 304 into an empty cache

#[test]
fn a_304_to_a_first_download_is_an_error() {
    let hostile = HostileServer::start(|_| Reply::status(304)).unwrap();
    let cache = tempdir("304");
    let mut cmd = bin();
    cmd.args(["feeds", "update", "--dir", cache.to_str().unwrap()])
        .args(["--base", &hostile.url("")]);
    let run = run_for(cmd, LIMIT);
    assert_eq!(run.code(), Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("unchanged"), "{}", run.stdout);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("onebasket: ip-ranges.json:"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        line.contains("304") && line.contains("no cached copy"),
        "{line}"
    );
    // No request was conditional: there was nothing to compare with.
    assert!(hostile
        .requests()
        .iter()
        .all(|r| r.header("if-none-match").is_none() && r.header("if-modified-since").is_none()));
}

// ---------------------------------------------------------------------------------------------
// Bug 5: the shrink check must not ratchet

#[test]
fn the_shrink_check_compares_with_the_largest_recent_copy() {
    let body = Arc::new(Mutex::new(Vec::new()));
    let b = Arc::clone(&body);
    let hostile = HostileServer::start(move |req| match req.path() {
        "/ip-ranges.json" => Reply::ok(b.lock().unwrap().clone()),
        _ => Reply::status(404),
    })
    .unwrap();
    let cache = tempdir("ratchet");
    let update = |prefixes: usize| {
        *body.lock().unwrap() = aws_feed(prefixes).into_bytes();
        let mut cmd = bin();
        cmd.args(["feeds", "update", "--dir", cache.to_str().unwrap()])
            .args(["--base", &hostile.url("")]);
        run_for(cmd, LIMIT)
    };
    let aws_line = |run: &common::Run| {
        run.stdout
            .lines()
            .chain(run.stderr.lines())
            .find(|l| l.contains("ip-ranges.json"))
            .unwrap_or("")
            .to_owned()
    };
    let first = update(11_013);
    assert!(
        aws_line(&first).contains("(11013 prefixes)"),
        "{}",
        aws_line(&first)
    );
    // 79 % smaller: believable.
    let second = update(2_267);
    assert!(
        aws_line(&second).contains("(2267 prefixes)"),
        "{}",
        aws_line(&second)
    );
    // 85 % smaller than that, 97 % smaller than the largest recent copy: not believable.
    let third = update(342);
    let line = aws_line(&third);
    assert!(line.contains("rejected"), "{line}");
    assert!(
        line.contains("342 prefixes") && line.contains("11013"),
        "{line}"
    );
    assert!(line.contains("largest"), "names the reference: {line}");
    let kept = std::fs::read_to_string(cache.join("ip-ranges.json")).unwrap();
    assert_eq!(kept, aws_feed(2_267));
    // Addresses of the kept copy still classify.
    let mut cmd = bin();
    cmd.args(["ip", "--feeds", cache.to_str().unwrap(), "3.7.208.1"]);
    let ip = run_for(cmd, LIMIT);
    assert!(ip.stdout.contains("aws"), "{}", ip.stdout);
}

// ---------------------------------------------------------------------------------------------
// Bug 6: a non-UTF-8 line

#[test]
fn a_non_utf8_line_is_reported_with_its_number_and_the_rest_goes_on() {
    let mut child = bin()
        .args(["ip", "--feeds", &feeds(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let n = 100_000;
    let mut input = Vec::new();
    for i in 1..=n {
        if i == 100 {
            input.extend_from_slice(b"caf\xe9 au lait\n"); // Latin-1
        } else {
            input.extend_from_slice(format!("3.5.{}.{}\n", i % 250, i % 200).as_bytes());
        }
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let run = finish(child, LIMIT);
    writer.join().unwrap().unwrap();
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        n - 1,
        "every other line printed"
    );
    assert!(
        run.stderr.contains("line 100: not UTF-8"),
        "names the line: {}",
        run.stderr
    );

    // `report FILE` reads on past such a line too.
    let resolver = aws_resolver();
    let file = tempdir("latin1").join("sites.txt");
    std::fs::write(&file, b"one.test\ncaf\xe9.test\nthree.test\n").unwrap();
    let mut cmd = bin();
    cmd.args(["report", "--json", "--no-asn", "--resolver"])
        .arg(resolver.url("/dns-query"))
        .args(["--feeds", &feeds()])
        .arg(&file);
    let run = run_for(cmd, LIMIT);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["resolved"], 2, "{report}");
    assert!(run.stderr.contains("line 2: not UTF-8"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Bug 7: `report` counts each site once

#[test]
fn report_normalizes_names_before_counting_and_reads_url_lines_as_urls() {
    let resolver = doh(|q| {
        let aws = ["example.com", "xn--bcher-kva.test"];
        if aws.contains(&q.name.as_str()) {
            vec![Record::A(AWS)]
        } else {
            vec![Record::A(GCP)]
        }
    });
    // Three spellings of example.com (fullwidth letters map to ASCII in UTS 46), two of
    // bücher.test, a URL whose query holds a comma, and a ranked CSV line.
    let list = "Example.com\nexample.com.\n１,ｅｘａｍｐｌｅ．ｃｏｍ\nbücher.test\n2,XN--BCHER-KVA.test\nhttps://a.example/?q=1,b\n3,www.gcp.test\n";
    let (run, report) = report_json(&resolver, list, &[]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(report["sites"], 4, "{report}");
    assert_eq!(report["resolved"], 4, "{report}");
    assert_eq!(share(&report, "cloud", "aws"), Some((2, 50.0)), "{report}");
    assert_eq!(share(&report, "cloud", "gcp"), Some((2, 50.0)), "{report}");
    let asked = questions(&resolver);
    assert!(asked.iter().any(|(n, _)| n == "a.example"), "{asked:?}");
    assert!(!asked.iter().any(|(n, _)| n == "b"), "{asked:?}");
}

// ---------------------------------------------------------------------------------------------
// Bug 8: localhost

#[test]
fn localhost_is_answered_locally_and_never_sent_to_the_resolver() {
    let resolver = aws_resolver();
    let run = lookup_json(&resolver, &["localhost", "api.localhost", "LOCALHOST."]);
    assert!(run.status.success(), "{}", run.stderr);
    let v = run.json_lines();
    assert_eq!(v.len(), 3, "{}", run.stdout);
    for (p, name) in v.iter().zip(["localhost", "api.localhost", "localhost"]) {
        assert_eq!(p["name"], name);
        assert_eq!(
            p["addresses"],
            serde_json::json!([Ipv4Addr::LOCALHOST, Ipv6Addr::LOCALHOST])
        );
        assert_eq!(p["hosting"]["provider"], Value::Null, "{p}");
        assert_eq!(p["cloud"], Value::Null, "{p}");
        assert_eq!(p["resolution"]["status"], "ok");
        assert!(p["evidence"].to_string().contains("RFC 6761"), "{p}");
    }
    let (run, report) = report_json(&resolver, "localhost\nwww.localhost\n", &[]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(report["resolved"], 2);
    assert_eq!(
        share(&report, "cloud", "unknown"),
        Some((2, 100.0)),
        "{report}"
    );
    assert!(resolver.requests().is_empty(), "{:?}", questions(&resolver));
}

// ---------------------------------------------------------------------------------------------
// Bug 9: a closed pipe

/// Reads one line of the child's stdout, closes it, then lets the server answer the rest.
fn read_one_line_then_close(mut child: std::process::Child, gate: &Gate) -> common::Run {
    let (first, reader) = watch_lines(child.stdout.take().unwrap(), "\n", true);
    let first = seen_within(&first, &mut child, LIMIT);
    assert!(!first.is_empty());
    reader.join().unwrap(); // stdout's read end is closed now
    gate.open();
    let run = finish(child, LIMIT);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("Broken pipe"), "{}", run.stderr);
    run
}

#[test]
fn writing_into_a_closed_pipe_ends_quietly() {
    // lookup: the first name is answered at once, the others once stdout is closed.
    let gate = Gate::new();
    let g = gate.clone();
    let resolver = HostileServer::start(move |req| {
        let Some(q) = dns_question(req) else {
            return Reply::status(400);
        };
        let reply = dns_reply(&q, &[Record::A(AWS)], 0);
        if q.name == "first.test" {
            reply
        } else {
            reply.after(&g)
        }
    })
    .unwrap();
    let child = bin()
        .args(["lookup", "--json", "--no-asn", "--resolver"])
        .arg(resolver.url("/dns-query"))
        .args(["--feeds", &feeds(), "first.test"])
        .args((0..20).map(|i| format!("n{i}.test")))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = read_one_line_then_close(child, &gate);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);

    // feeds update: the first feed at once, the others once stdout is closed.
    let gate = Gate::new();
    let g = gate.clone();
    let mirror = HostileServer::start(move |req| {
        let name = req.path().trim_start_matches('/');
        match std::fs::read(fixture_feeds().join(name)) {
            Ok(bytes) if req.seq == 0 => Reply::ok(bytes),
            Ok(bytes) => Reply::ok(bytes).after(&g),
            Err(_) => Reply::status(404).after(&g),
        }
    })
    .unwrap();
    let cache = tempdir("pipe");
    let child = bin()
        .args(["feeds", "update", "--dir", cache.to_str().unwrap()])
        .args(["--base", &mirror.url("")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = read_one_line_then_close(child, &gate);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);

    // ip -: as `zcat addresses.gz | onebasket ip - | head -1`.
    let mut child = bin()
        .args(["ip", "--feeds", &feeds(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..200_000u32 {
            if writeln!(stdin, "3.5.{}.{}", i % 250, i % 200).is_err() {
                break; // the CLI stopped reading: fine
            }
        }
    });
    let gate = Gate::new();
    gate.open();
    let run = read_one_line_then_close(child, &gate);
    writer.join().unwrap();
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Also expected

#[test]
fn report_progress_is_plain_text_when_stderr_is_not_a_terminal() {
    let resolver = aws_resolver();
    // stderr is a pipe here: no bar, a plain line now and then and at the end.
    let (run, _) = report_json(&resolver, "a.test\nb.test\nc.test\n", &[]);
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.stderr.contains("3/3 sites"), "{:?}", run.stderr);
    assert!(!run.stderr.contains('\r') && !run.stderr.contains('\u{1b}'));
    // --progress plain: a line per finished site.
    let (run, _) = report_json(
        &resolver,
        "a.test\nb.test\nc.test\n",
        &["--progress", "plain"],
    );
    for n in 1..=3 {
        assert!(
            run.stderr.contains(&format!("{n}/3 sites")),
            "{:?}",
            run.stderr
        );
    }
    let (run, _) = report_json(&resolver, "a.test\n", &["--progress", "none"]);
    assert!(!run.stderr.contains("sites"), "{:?}", run.stderr);
}

#[test]
fn ctrl_c_in_report_prints_the_partial_report_and_exits_130() {
    let resolver = HostileServer::start(|req| match dns_question(req) {
        Some(q) if q.name.starts_with("stuck") => Reply::hang(),
        Some(q) => dns_reply(&q, &[Record::A(AWS)], 0),
        None => Reply::status(400),
    })
    .unwrap();
    let file = tempdir("ctrl-c").join("sites.txt");
    std::fs::write(&file, "a.test\nstuck1.test\nb.test\nstuck2.test\nc.test\n").unwrap();
    let mut child = bin()
        .args([
            "report",
            "--json",
            "--no-asn",
            "--progress",
            "plain",
            "--timeout",
            "120",
        ])
        .arg("--resolver")
        .arg(resolver.url("/dns-query"))
        .args(["--feeds", &feeds()])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the three answerable sites, then Ctrl-C.
    let (progress, rest) = watch_lines(child.stderr.take().unwrap(), "3/5 sites", false);
    let seen = seen_within(&progress, &mut child, LIMIT);
    assert!(seen.contains("3/5 sites"), "stderr ended: {seen}");
    interrupt(&child).unwrap();
    let run = finish(child, LIMIT);
    let stderr = rest.join().unwrap();
    assert_eq!(run.code(), Some(130), "{seen}{stderr}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["sites"], 5, "{report}");
    assert_eq!(report["resolved"], 3, "{report}");
    assert_eq!(report["unfinished"], 2, "{report}");
    assert_eq!(report["interrupted"], true, "{report}");
    assert_eq!(share(&report, "cloud", "aws"), Some((3, 100.0)), "{report}");
    assert!(stderr.contains("interrupted"), "{stderr}");
}

#[test]
fn concurrency_bounds_requests_in_flight() {
    let resolver = HostileServer::start(|req| match dns_question(req) {
        Some(q) => dns_reply(&q, &[Record::A(AWS)], 0).delayed(Duration::from_millis(30)),
        None => Reply::status(400),
    })
    .unwrap();
    let list: String = (0..8).map(|i| format!("site{i}.test\n")).collect();
    let (run, report) = report_json(&resolver, &list, &["--concurrency", "2"]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(report["resolved"], 8);
    assert!(
        resolver.max_in_flight() <= 2,
        "{} requests in flight with --concurrency 2",
        resolver.max_in_flight()
    );
    assert_eq!(resolver.max_in_flight(), 2, "and it does use both");
}

#[test]
fn a_rate_limited_resolver_is_retried_once_after_retry_after() {
    // Every question is refused once with Retry-After: 1, then answered; `stubborn.test` is
    // refused every time, `later.test` with a Retry-After far past the timeout.
    let asked: Arc<Mutex<HashMap<(String, u16), usize>>> = Arc::default();
    let a = Arc::clone(&asked);
    let resolver = HostileServer::start(move |req| {
        let Some(q) = dns_question(req) else {
            return Reply::status(400);
        };
        let n = {
            let mut asked = a.lock().unwrap();
            let n = asked.entry((q.name.clone(), q.qtype)).or_insert(0);
            *n += 1;
            *n
        };
        let status = if q.name == "busy.test" { 503 } else { 429 };
        match q.name.as_str() {
            "later.test" => Reply::status(429).header("Retry-After", "3600"),
            "stubborn.test" => Reply::status(429).header("Retry-After", "1"),
            _ if n == 1 => Reply::status(status).header("Retry-After", "1"),
            _ => dns_reply(&q, &[Record::A(AWS)], 0),
        }
    })
    .unwrap();
    let list: String = (0..6).map(|i| format!("site{i}.test\n")).collect();
    let started = Instant::now();
    let (run, report) = report_json(
        &resolver,
        &format!("{list}busy.test\n"),
        &["--timeout", "10", "--concurrency", "4"],
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(report["resolved"], 7, "{report}");
    assert!(started.elapsed() < Duration::from_secs(30));
    // Each question was refused once and asked once more.
    assert!(
        asked.lock().unwrap().values().all(|&n| n == 2),
        "{:?}",
        asked.lock().unwrap()
    );

    let started = Instant::now();
    let run = {
        let mut cmd = bin();
        cmd.args([
            "lookup",
            "--json",
            "--no-asn",
            "--timeout",
            "5",
            "--resolver",
        ])
        .arg(resolver.url("/dns-query"))
        .args(["--feeds", &feeds(), "stubborn.test", "later.test"]);
        run_for(cmd, LIMIT)
    };
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    let line = |name: &str| {
        run.stderr
            .lines()
            .find(|l| l.starts_with(&format!("onebasket: {name}:")))
            .unwrap_or_else(|| panic!("{name}: {}", run.stderr))
            .to_owned()
    };
    assert!(
        line("stubborn.test").contains("rate-limited"),
        "{}",
        line("stubborn.test")
    );
    assert!(
        line("later.test").contains("Retry-After"),
        "{}",
        line("later.test")
    );
    let asked = asked.lock().unwrap();
    assert_eq!(
        asked[&("stubborn.test".to_owned(), qtype::A)],
        2,
        "retried once"
    );
    assert_eq!(
        asked[&("later.test".to_owned(), qtype::A)],
        1,
        "not waited for an hour"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn resolver_errors_get_a_json_line() {
    let resolver = HostileServer::start(|_| Reply::status(500)).unwrap();
    let run = lookup_json(&resolver, &["down.test"]);
    assert_eq!(run.code(), Some(1));
    let v = run.json_lines();
    assert_eq!(v.len(), 1, "{}", run.stdout);
    assert_eq!(v[0]["name"], "down.test");
    assert_eq!(v[0]["resolution"]["status"], "resolver-error");
    assert!(
        v[0]["resolution"]["detail"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{}",
        v[0]
    );
}

#[test]
fn lookup_prints_in_argument_order() {
    let resolver = HostileServer::start(|req| match dns_question(req) {
        Some(q) if q.name == "slow.test" => {
            dns_reply(&q, &[Record::A(GCP)], 0).delayed(Duration::from_millis(300))
        }
        Some(q) => dns_reply(&q, &[Record::A(AWS)], 0),
        None => Reply::status(400),
    })
    .unwrap();
    let run = lookup_json(
        &resolver,
        &["slow.test", "fast1.test", "bad..name", "fast2.test"],
    );
    let names: Vec<Value> = run.json_lines().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(
        names,
        ["slow.test", "fast1.test", "fast2.test"],
        "{}",
        run.stdout
    );
}

#[test]
fn junk_lines_are_echoed_cut_to_200_characters() {
    let junk = "x".repeat(64 * 1024 * 1024);
    let mut child = bin()
        .args(["ip", "--feeds", &feeds(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = format!("3.5.140.2\n{junk}\n3.5.140.3\n");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let run = finish(child, LIMIT);
    writer.join().unwrap().unwrap();
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout.lines().count(), 2);
    assert!(
        run.stderr.contains("line 2"),
        "{}",
        &run.stderr[..run.stderr.len().min(500)]
    );
    // The 64 MB line is cut; what else stderr says (the feeds the fixture folder lacks) is a
    // line of its own.
    assert!(
        run.stderr.len() < 1_200,
        "{} bytes of stderr",
        run.stderr.len()
    );

    // The same line in a report file, and a long argument to lookup.
    let resolver = aws_resolver();
    let (run, report) = report_json(&resolver, &format!("a.test\n{junk}\n"), &[]);
    assert_eq!(report["resolved"], 1);
    assert!(
        run.stderr.contains("line 2"),
        "{}",
        &run.stderr[..run.stderr.len().min(500)]
    );
    // The 64 MB line is cut; what else stderr says (the feeds the fixture folder lacks) is a
    // line of its own.
    assert!(
        run.stderr.len() < 1_200,
        "{} bytes of stderr",
        run.stderr.len()
    );
    let long = format!("{}.test", "y".repeat(100_000));
    let run = lookup_json(&resolver, &[&long]);
    assert_eq!(run.code(), Some(1));
    let echo = run
        .stderr
        .lines()
        .find(|l| l.contains("yyyy"))
        .unwrap_or_default();
    assert!(
        echo.len() < 600,
        "{}",
        &run.stderr[..run.stderr.len().min(600)]
    );
}

#[test]
fn a_feeds_dir_that_does_not_exist_is_an_error() {
    let missing = tempdir("feeds-dir").join("missing");
    let run = run_for(
        {
            let mut c = bin();
            c.args(["ip", "--feeds", missing.to_str().unwrap(), "3.5.140.2"]);
            c
        },
        LIMIT,
    );
    assert_eq!(run.code(), Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("not a directory"), "{}", run.stderr);
    // A directory without a single feed file is no better.
    let empty = tempdir("feeds-empty");
    let run = run_for(
        {
            let mut c = bin();
            c.args(["ip", "--feeds", empty.to_str().unwrap(), "3.5.140.2"]);
            c
        },
        LIMIT,
    );
    assert_eq!(run.code(), Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("no feed files"), "{}", run.stderr);
}

#[test]
fn concurrent_feeds_updates_do_not_share_temp_files() {
    // Each feed is held until both runs asked for it, so both write it at the same moment.
    let arrivals: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let a = Arc::clone(&arrivals);
    let mirror = HostileServer::start(move |req| {
        let name = req.path().trim_start_matches('/').to_owned();
        *a.lock().unwrap().entry(name.clone()).or_insert(0) += 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        while a.lock().unwrap()[&name] < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        match std::fs::read(fixture_feeds().join(&name)) {
            Ok(bytes) => Reply::ok(bytes),
            Err(_) => Reply::status(404),
        }
    })
    .unwrap();
    let cache = tempdir("concurrent");
    // A temp file another run is still writing (the name every run used to share) is not
    // this run's to touch.
    let others = cache.join(".cloud.json.part");
    std::fs::write(&others, b"another run's download, half written").unwrap();
    let spawn = || {
        bin()
            .args(["feeds", "update", "--dir", cache.to_str().unwrap()])
            .args(["--base", &mirror.url("")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (spawn(), spawn());
    let (one, two) = (finish(one, LIMIT), finish(two, LIMIT));
    // The mirror serves the core fixture feeds only: the others are a 404 each, nothing else
    // may fail.
    for run in [&one, &two] {
        for line in run.stderr.lines() {
            assert!(line.contains("HTTP 404"), "{}", run.stderr);
        }
    }
    for entry in std::fs::read_dir(&cache).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == ".meta" || name == ".cloud.json.part" {
            continue;
        }
        assert!(!name.ends_with(".part"), "left behind: {name}");
        assert_eq!(
            std::fs::read(cache.join(&name)).unwrap(),
            fixture(&name),
            "{name} is whole"
        );
    }
    assert_eq!(
        std::fs::read(&others).unwrap(),
        b"another run's download, half written"
    );
}
