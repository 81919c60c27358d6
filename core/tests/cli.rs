//! The `onebasket` CLI end to end: the real fixture feeds, a real DoH server (Debian's unbound
//! on 127.0.0.1) and a real HTTP feed mirror, all started and stopped here.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use onebasket_tests::mirror::Mirror;
use onebasket_tests::unbound::Unbound;
use onebasket_tests::{fixture_feeds, free_port};
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_onebasket"));
    // Keep the user's real cache out of the tests.
    c.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join(format!("onebasket-cli-cache-{}", std::process::id())),
    );
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn feeds() -> String {
    fixture_feeds().to_string_lossy().into_owned()
}

/// Records putting test names into AWS, Google Cloud, Azure and Cloudflare ranges taken from
/// the fixture feeds, with NS records for the DNS layer and Team Cymru TXT answers.
const RECORDS: &[&str] = &[
    "api.aws-site.test. 60 IN A 216.244.7.10",
    "api.aws-site.test. 60 IN AAAA 2600:f0f0:2::10",
    "aws-site.test. 300 IN NS ns-1234.awsdns-12.org.",
    "aws-site.test. 300 IN NS ns-567.awsdns-07.net.",
    "app.gcp-site.test. 60 IN A 8.34.208.5",
    "gcp-site.test. 300 IN NS ns-cloud-a1.googledomains.com.",
    "www.azure-site.test. 60 IN A 4.156.0.10",
    "azure-site.test. 300 IN NS ns1-05.azure-dns.com.",
    "www.cf-site.test. 60 IN CNAME www.cf-site.test.cdn.cloudflare.net.",
    "www.cf-site.test.cdn.cloudflare.net. 60 IN A 104.16.1.1",
    "cf-site.test. 300 IN NS dana.ns.cloudflare.com.",
    "intranet.private-site.test. 60 IN A 10.1.2.3",
    "10.7.244.216.origin.asn.cymru.com. 300 IN TXT \"16509 | 216.244.0.0/20 | US | arin | 2010-01-01\"",
    "AS16509.asn.cymru.com. 300 IN TXT \"16509 | US | arin | 2000-05-04 | AMAZON-02, US\"",
];

#[test]
fn ip_classifies_fixture_addresses_v4_and_v6() {
    let o = run(&[
        "ip",
        "--feeds",
        &feeds(),
        "--json",
        "216.244.7.10",
        "8.34.208.5",
        "4.156.0.10",
        "104.16.1.1",
        "2600:f0f0:2::1",
        "192.168.1.1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 6);
    assert_eq!(v[0]["address"], "216.244.7.10");
    assert_eq!(v[0]["provider"], "aws");
    assert_eq!(v[0]["region"], "us-east-1");
    assert_eq!(v[0]["service"], "EC2");
    assert_eq!(v[0]["prefix"], "216.244.7.0/24");
    assert_eq!(v[1]["provider"], "gcp");
    assert_eq!(v[1]["region"], "europe-west1");
    assert_eq!(v[2]["provider"], "azure");
    assert_eq!(v[2]["region"], "eastus");
    assert_eq!(v[3]["provider"], "cloudflare");
    assert_eq!(v[3]["prefix"], "104.16.0.0/13");
    assert_eq!(v[4]["provider"], "aws");
    assert_eq!(v[4]["region"], "us-east-1");
    assert_eq!(v[5]["provider"], Value::Null);
}

#[test]
fn ip_streams_stdin_and_reports_bad_lines_without_stopping() {
    let mut child = bin()
        .args(["ip", "--feeds", &feeds(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    let n = 200_000u32;
    for i in 0..n {
        input.push_str(&format!(
            "{}.{}.{}.{}\n",
            3 + i % 200,
            (i >> 8) % 256,
            i % 256,
            i % 7
        ));
        if i == 1000 {
            input.push_str("not-an-address\n");
        }
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "a bad line makes the exit non-zero"
    );
    assert_eq!(
        stdout(&o).lines().count(),
        n as usize,
        "every good line printed"
    );
    let err = stderr(&o);
    assert!(
        err.contains("\"not-an-address\" is not an IP address"),
        "{err}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("not an IP address"))
            .count(),
        1
    );
}

/// The lines of the fixture's IP→AS table (gzipped CSV) that cover `addresses`: a small table
/// of real rows, so the debug-built CLI does not read 24 MB in every test run.
fn asn_rows(file: &str, addresses: &[&str]) -> String {
    use std::io::Read;
    let mut csv = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture_feeds().join(file)).unwrap())
        .read_to_string(&mut csv)
        .unwrap();
    let wanted: Vec<std::net::IpAddr> = addresses.iter().map(|a| a.parse().unwrap()).collect();
    csv.lines()
        .filter(|line| {
            let mut f = line.split(',');
            let (Some(a), Some(b)) = (f.next(), f.next()) else {
                return false;
            };
            let (Ok(a), Ok(b)) = (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>())
            else {
                return false;
            };
            wanted.iter().any(|w| a <= *w && *w <= b)
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn ip_falls_back_to_an_offline_as_table() {
    let dir = tempdir("asn");
    let table = dir.join("asn.csv");
    let addresses = [
        "1.44.96.10",
        "34.3.8.1",
        "8.8.8.8",
        "4.156.0.10",
        "192.0.2.1",
    ];
    std::fs::write(&table, asn_rows("asn-ipv4.csv.gz", &addresses)).unwrap();
    let table_s = table.to_str().unwrap();
    let f = feeds();
    let mut args = vec!["ip", "--feeds", &f, "--asn-table", table_s, "--json"];
    args.extend(addresses);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_lines(&o);
    // Outside every feed: the AS's provider.
    assert_eq!(
        (
            &v[0]["provider"],
            &v[0]["asn"],
            &v[0]["basis"],
            &v[0]["prefix"]
        ),
        (
            &Value::from("aws"),
            &Value::from(16509),
            &Value::from("asn"),
            &Value::Null
        )
    );
    // Google's range, originated by Google Cloud's AS: Google Cloud.
    assert_eq!(v[1]["provider"], "gcp");
    assert_eq!(v[1]["basis"], "range-and-asn");
    assert_eq!(v[1]["prefix"], "34.3.8.0/21");
    assert_eq!(v[2]["provider"], "google");
    assert_eq!(v[2]["asn_holder"], "Google LLC");
    // Azure eastus, GitHub Actions only as an overlay beside it.
    assert_eq!(v[3]["provider"], "azure");
    assert_eq!(v[3]["region"], "eastus");
    assert_eq!(v[3]["service"], Value::Null);
    let notes: Vec<&str> = v[3]["also"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["note"].as_str())
        .collect();
    assert_eq!(
        notes,
        ["GitHub actions may run here (Microsoft Azure space GitHub rents)"]
    );
    assert_eq!(v[4]["provider"], Value::Null);
    assert_eq!(v[4]["asn"], Value::Null);

    // Text: a sixth column with the AS only when a table is given.
    let o = run(&[
        "ip",
        "--feeds",
        &f,
        "--asn-table",
        table_s,
        "1.44.96.10",
        "192.0.2.1",
    ]);
    assert_eq!(
        stdout(&o),
        "1.44.96.10\taws\t-\t-\t-\tAS16509\n192.0.2.1\t-\t-\t-\t-\t-\n"
    );
    let o = run(&["ip", "--feeds", &f, "1.44.96.10"]);
    assert_eq!(stdout(&o), "1.44.96.10\t-\t-\t-\t-\n");

    // The fixture as shipped is gzipped: refused with what to do.
    let gz = fixture_feeds().join("asn-ipv4.csv.gz");
    let o = run(&[
        "ip",
        "--feeds",
        &f,
        "--asn-table",
        gz.to_str().unwrap(),
        "1.1.1.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("gzip-compressed: unpack it first"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ip_reads_the_extra_feeds_by_their_file_names() {
    let extra = fixture_feeds().join("../feeds-extra");
    let o = run(&[
        "ip",
        "--feeds",
        extra.to_str().unwrap(),
        "--json",
        "45.60.1.1",
        "205.234.175.10",
        "147.161.156.1",
        "89.222.125.7",
        "8.3.29.10",
        "13.32.1.1",
        "23.50.1.1",
        "2400:7aa0:131b::1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<(String, String)> = json_lines(&o)
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("-").to_owned();
            (s("provider"), format!("{} {}", s("region"), s("service")))
        })
        .collect();
    let want = [
        ("imperva", "- -"),
        ("cachefly", "- -"),
        ("zscaler", "Amsterdam II -"),
        ("cdn77", "- -"),
        ("vultr", "US-CA Los Angeles -"),
        ("aws", "- CLOUDFRONT"),
        ("akamai", "- -"),
        ("zscaler", "- -"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(got, want);
    // The feeds the folder lacks are named; the converted snapshots have no official name.
    let err = stderr(&o);
    let missing = err
        .lines()
        .find(|l| l.contains("so their ranges are unknown"))
        .unwrap_or_default();
    assert!(missing.contains("ip-ranges.json"), "{err}");
    assert!(missing.contains("bunny-edgeserverlist.json"), "{err}");
    assert!(!err.contains("imperva-ips.json"), "{err}");
}

#[test]
fn missing_feed_files_are_reported_and_skipped() {
    let dir = tempdir("partial-feeds");
    std::fs::copy(fixture_feeds().join("ips-v4"), dir.join("ips-v4")).unwrap();
    let o = run(&["ip", "--feeds", dir.to_str().unwrap(), "104.16.1.1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("cloudflare"));
    assert!(
        stderr(&o).contains("so their ranges are unknown: ip-ranges.json,"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lookup_over_a_real_doh_server_prints_every_layer() {
    let dns = Unbound::start(RECORDS).unwrap();
    let o = run(&[
        "lookup",
        "--json",
        "--resolver",
        &dns.url(),
        "--feeds",
        &feeds(),
        "api.aws-site.test",
        "APP.GCP-SITE.TEST.",
        "https://www.azure-site.test/path",
        "www.cf-site.test",
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 4, "{}", stdout(&o));
    let by_name = |n: &str| {
        v.iter()
            .find(|p| p["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing in {v:?}"))
    };

    let aws = by_name("api.aws-site.test");
    assert_eq!(aws["site"], "aws-site.test");
    assert_eq!(aws["hosting"]["provider"], "aws");
    assert_eq!(aws["hosting"]["region"], "us-east-1");
    assert_eq!(aws["hosting"]["service"], "EC2");
    assert_eq!(aws["hosting"]["asn"], 16509);
    assert_eq!(aws["hosting"]["asn_holder"], "AMAZON-02, US");
    assert_eq!(aws["dns"]["provider"], "aws");
    assert_eq!(aws["edge"]["provider"], Value::Null);
    assert_eq!(aws["cloud"], "aws");
    let addrs: Vec<&str> = aws["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        addrs.contains(&"216.244.7.10") && addrs.contains(&"2600:f0f0:2::10"),
        "{addrs:?}"
    );
    let evidence = aws["evidence"].to_string();
    assert!(
        evidence.contains("216.244.7.10 is in 216.244.7.0/24"),
        "{evidence}"
    );
    assert!(
        evidence.contains("ip-ranges.json of 2026-08-22"),
        "{evidence}"
    );

    let gcp = by_name("app.gcp-site.test");
    assert_eq!(gcp["hosting"]["provider"], "gcp");
    assert_eq!(gcp["hosting"]["region"], "europe-west1");
    assert_eq!(gcp["dns"]["provider"], "gcp");
    assert_eq!(gcp["cloud"], "gcp");

    let azure = by_name("www.azure-site.test");
    assert_eq!(azure["hosting"]["provider"], "azure");
    assert_eq!(azure["hosting"]["region"], "eastus");
    assert_eq!(azure["dns"]["provider"], "azure");

    let cf = by_name("www.cf-site.test");
    assert_eq!(
        cf["cname_chain"],
        serde_json::json!(["www.cf-site.test.cdn.cloudflare.net"])
    );
    assert_eq!(cf["edge"]["provider"], "cloudflare");
    assert_eq!(cf["dns"]["provider"], "cloudflare");
    assert_eq!(cf["cloud"], "cloudflare");
}

#[test]
fn lookup_over_https_with_the_resolvers_own_ca() {
    // h2 over TLS, as against a public resolver; the test resolver's self-signed certificate
    // is trusted with --ca-cert only.
    let dns = Unbound::start_tls(RECORDS).unwrap();
    let url = dns.url();
    assert!(url.starts_with("https://"), "{url}");
    let ca = dns.certificate().unwrap();
    let feeds = feeds();
    let args = [
        "lookup",
        "--json",
        "--no-asn",
        "--resolver",
        &url,
        "--feeds",
        &feeds,
        "api.aws-site.test",
    ];
    let o = run(&[&args[..], &["--ca-cert", ca.to_str().unwrap()]].concat());
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 1, "{}", stdout(&o));
    assert_eq!(v[0]["hosting"]["provider"], "aws");
    assert_eq!(v[0]["hosting"]["region"], "us-east-1");
    // Without the CA the certificate is refused: one clear line, a failing exit.
    let o = run(&args);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("api.aws-site.test"), "{err}");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("resolver"),
        "{err}"
    );
    // A --ca-cert that is no certificate is named.
    let o = run(&[
        "lookup",
        "--resolver",
        &url,
        "--ca-cert",
        "/nonexistent.pem",
        "api.aws-site.test",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--ca-cert /nonexistent.pem"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lookup_human_output_names_the_stack() {
    let dns = Unbound::start(RECORDS).unwrap();
    let o = run(&[
        "lookup",
        "--resolver",
        &dns.url(),
        "--feeds",
        &feeds(),
        "api.aws-site.test",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Route 53"), "{out}");
    assert!(out.contains("us-east-1"), "{out}");
    assert!(out.contains("AS16509"), "{out}");
}

#[test]
fn lookup_reports_each_bad_item_and_still_prints_the_others() {
    let dns = Unbound::start(RECORDS).unwrap();
    let long = format!("{}.test", "a".repeat(64));
    let o = run(&[
        "lookup",
        "--json",
        "--resolver",
        &dns.url(),
        "--feeds",
        &feeds(),
        "nothing-here.test",
        &long,
        "api.aws-site.test",
        "intranet.private-site.test",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("nothing-here.test: no such domain (NXDOMAIN)"),
        "{err}"
    );
    assert!(err.contains("invalid hostname"), "{err}");
    let v = json_lines(&o);
    assert!(v
        .iter()
        .any(|p| p["name"] == "api.aws-site.test" && p["hosting"]["provider"] == "aws"));
    let private = v
        .iter()
        .find(|p| p["name"] == "intranet.private-site.test")
        .unwrap();
    assert_eq!(
        private["hosting"]["provider"],
        Value::Null,
        "a private address is not evidence"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unreachable_resolver_is_one_clear_line_per_name() {
    let port = free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}/dns-query");
    let o = run(&[
        "lookup",
        "--timeout",
        "2",
        "--resolver",
        &url,
        "--feeds",
        &feeds(),
        "a.example.com",
        "b.example.com",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(
        err.lines().filter(|l| l.contains("unreachable")).count(),
        2,
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn plain_http_resolver_off_loopback_is_refused() {
    let o = run(&[
        "lookup",
        "--resolver",
        "http://192.0.2.1/dns-query",
        "--feeds",
        &feeds(),
        "example.com",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("only accepted on loopback"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn report_shares_sites_per_cloud_region_and_dns() {
    let dns = Unbound::start(RECORDS).unwrap();
    let dir = tempdir("report");
    let list = dir.join("sites.txt");
    std::fs::write(&list, "# test list\n1,api.aws-site.test\n2,app.gcp-site.test\nwww.azure-site.test\nwww.cf-site.test\n").unwrap();
    let o = run(&[
        "report",
        "--json",
        "--no-asn",
        "--resolver",
        &dns.url(),
        "--feeds",
        &feeds(),
        list.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["sites"], 4);
    assert_eq!(r["resolved"], 4);
    let cloud = r["cloud"].as_array().unwrap();
    assert_eq!(cloud.len(), 4);
    assert!(
        cloud
            .iter()
            .all(|s| s["sites"] == 1 && s["percent"] == 25.0),
        "{cloud:?}"
    );
    assert!(r["region"].to_string().contains("aws us-east-1"));
    assert!(r["dns"].to_string().contains("cloudflare"));
}

#[test]
fn feeds_update_uses_conditional_requests_and_keeps_the_last_good_copy() {
    let src = tempdir("mirror");
    for f in [
        "ips-v4",
        "ips-v6",
        "public-ip-list.json",
        "goog.json",
        "cloud.json",
    ] {
        std::fs::copy(fixture_feeds().join(f), src.join(f)).unwrap();
    }
    let mirror = Mirror::start(src.clone()).unwrap();
    let xdg = tempdir("xdg");
    let cache = xdg.join("onebasket").join("feeds");
    let cache_s = cache.to_str().unwrap();
    let first = run(&[
        "feeds",
        "update",
        "--dir",
        cache_s,
        "--base",
        &mirror.base(),
    ]);
    // Files the mirror lacks fail (404) and make the exit non-zero; the others land.
    assert_eq!(first.status.code(), Some(1));
    let out = stdout(&first);
    assert!(
        out.contains("cloud.json") && out.contains("updated") && out.contains("2026-05-05"),
        "{out}"
    );
    assert!(
        stderr(&first).contains("ip-ranges.json: GET"),
        "{}",
        stderr(&first)
    );
    assert!(cache.join("ips-v4").is_file());

    let second = run(&[
        "feeds",
        "update",
        "--dir",
        cache_s,
        "--base",
        &mirror.base(),
    ]);
    assert!(stdout(&second).contains("unchanged"), "{}", stdout(&second));
    assert!(mirror.requests().iter().any(|r| r.status == 304));

    // A broken download never replaces the good copy.
    std::fs::write(src.join("cloud.json"), b"{\"prefixes\": [").unwrap();
    let third = run(&[
        "feeds",
        "update",
        "--dir",
        cache_s,
        "--base",
        &mirror.base(),
    ]);
    assert!(
        stderr(&third).contains("cloud.json: downloaded file rejected"),
        "{}",
        stderr(&third)
    );
    assert!(stderr(&third).contains("keeping the last good copy"));
    assert_eq!(
        std::fs::read(cache.join("cloud.json")).unwrap(),
        std::fs::read(fixture_feeds().join("cloud.json")).unwrap()
    );

    // Without --feeds the XDG cache is what `ip` reads.
    let o = bin()
        .env("XDG_CACHE_HOME", &xdg)
        .args(["ip", "104.16.1.1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("cloudflare"), "{}", stdout(&o));
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "onebasket-cli-{name}-{}-{}",
        std::process::id(),
        free_port().unwrap()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
