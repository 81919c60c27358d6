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
    // Nothing says where it runs behind its CDN: unknown, never "runs on Cloudflare".
    assert_eq!(cf["cloud"], Value::Null);
    assert_eq!(cf["hosting"]["provider"], Value::Null);
    let text = run(&[
        "lookup",
        "--no-asn",
        "--resolver",
        &dns.url(),
        "--feeds",
        &feeds(),
        "www.cf-site.test",
    ]);
    let text = stdout(&text);
    assert!(
        text.contains("hosting    origin unknown behind Cloudflare"),
        "{text}"
    );
    assert!(text.contains("(confidence: unknown)"), "{text}");
    assert!(!text.contains("None"), "{text}");
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

/// One site of the report test's zone: where it is hosted, who answers its DNS.
#[derive(Clone, Copy, PartialEq)]
enum Host {
    Aws,
    Gcp,
    Azure,
    /// Behind Cloudflare, nothing saying where (the origin unknown); `true`: Fastly too.
    Cdn(bool),
    /// A reserved address: no provider.
    Unknown,
}

#[derive(Clone, Copy, PartialEq)]
enum Dns {
    Route53,
    Cloudflare,
    Ns1,
    /// Route 53 and NS1 together: redundant.
    Route53AndNs1,
    /// Its own name servers.
    Own,
    GoogleCloud,
}

/// The 60 sites: hosting cycles over five kinds, DNS over six, every tenth CDN site on two.
fn research_sites() -> Vec<(String, Host, Dns)> {
    (0..60)
        .map(|i| {
            let host = match i % 5 {
                0 => Host::Aws,
                1 => Host::Gcp,
                2 => Host::Azure,
                3 => Host::Cdn(i % 10 == 8),
                _ => Host::Unknown,
            };
            let dns = match i % 6 {
                0 => Dns::Route53,
                1 => Dns::Cloudflare,
                2 => Dns::Ns1,
                3 => Dns::Route53AndNs1,
                4 => Dns::Own,
                _ => Dns::GoogleCloud,
            };
            (format!("s{i}.test"), host, dns)
        })
        .collect()
}

#[test]
fn report_gives_the_research_figures_per_category_as_counted_by_hand() {
    let sites = research_sites();
    let mut zone: Vec<String> = Vec::new();
    for (i, (site, host, dns)) in sites.iter().enumerate() {
        let n = 10 + i;
        let a = |ip: String| format!("www.{site}. 60 IN A {ip}");
        match host {
            Host::Aws => zone.push(a(format!("216.244.7.{n}"))),
            Host::Gcp => zone.push(a(format!("8.34.208.{n}"))),
            Host::Azure => zone.push(a(format!("4.156.0.{n}"))),
            Host::Cdn(two) => {
                zone.push(a(format!("104.16.1.{n}")));
                if *two {
                    zone.push(a(format!("151.101.1.{n}")));
                }
            }
            Host::Unknown => zone.push(a(format!("198.51.100.{n}"))),
        }
        let ns = |name: &str| format!("{site}. 300 IN NS {name}");
        match dns {
            Dns::Route53 => zone.push(ns("ns-1.awsdns-01.org.")),
            Dns::Cloudflare => zone.push(ns("dana.ns.cloudflare.com.")),
            Dns::Ns1 => zone.push(ns("dns1.p01.nsone.net.")),
            Dns::Route53AndNs1 => {
                zone.push(ns("ns-2.awsdns-02.org."));
                zone.push(ns("dns2.p02.nsone.net."));
            }
            Dns::Own => zone.push(ns(&format!("ns1.{site}."))),
            Dns::GoogleCloud => zone.push(ns("ns-cloud-a1.googledomains.com.")),
        }
    }
    let records: Vec<&str> = zone.iter().map(String::as_str).collect();
    let unbound = Unbound::start(&records).unwrap();
    let dir = tempdir("research");
    let list = dir.join("sites.txt");
    let names: Vec<String> = sites.iter().map(|(s, _, _)| format!("www.{s}")).collect();
    std::fs::write(&list, names.join("\n")).unwrap();
    let o = run(&[
        "report",
        "--json",
        "--no-asn",
        "--progress",
        "none",
        "--resolver",
        &unbound.url(),
        "--feeds",
        &feeds(),
        list.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["resolved"], 60);
    let c = &r["categories"];
    assert_eq!(c["sites"], 60);

    // Counted by hand from the table above, never from the product.
    let count = |f: &dyn Fn(&Host, &Dns) -> bool| sites.iter().filter(|(_, h, d)| f(h, d)).count();
    let dns_of = |d: &Dns| -> Vec<&'static str> {
        match d {
            Dns::Route53 => vec!["aws"],
            Dns::Cloudflare => vec!["cloudflare"],
            Dns::Ns1 => vec!["ns1"],
            Dns::Route53AndNs1 => vec!["aws", "ns1"],
            Dns::Own => vec![],
            Dns::GoogleCloud => vec!["gcp"],
        }
    };
    let edges_of = |h: &Host| -> Vec<&'static str> {
        match h {
            Host::Cdn(true) => vec!["cloudflare", "fastly"],
            Host::Cdn(false) => vec!["cloudflare"],
            _ => vec![],
        }
    };
    let host_of = |h: &Host| -> Option<&'static str> {
        match h {
            Host::Aws => Some("aws"),
            Host::Gcp => Some("gcp"),
            Host::Azure => Some("azure"),
            _ => None,
        }
    };
    // Every provider a site depends on by any path: its host, its CDNs, its DNS providers and
    // the cloud of each (Route 53 is AWS's, Cloud DNS Google Cloud's).
    let any_of = |h: &Host, d: &Dns| -> Vec<&'static str> {
        let mut v: Vec<&str> = host_of(h).into_iter().collect();
        v.extend(edges_of(h));
        v.extend(dns_of(d));
        v
    };
    let figures = |cat: &str,
                   third: usize,
                   critical: usize,
                   direct: &dyn Fn(&Host, &Dns) -> Vec<&'static str>| {
        let got = &c[cat];
        assert_eq!(got["thirdParty"], third, "{cat} third party");
        assert_eq!(got["critical"], critical, "{cat} critical");
        let mut tally: std::collections::BTreeMap<&str, usize> = Default::default();
        for (_, h, d) in &sites {
            for p in direct(h, d) {
                *tally.entry(p).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = tally.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let providers: Vec<(String, u64)> = got["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["provider"].as_str().unwrap().to_owned(),
                    p["sites"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, u64)> = ranked
            .iter()
            .map(|(p, n)| ((*p).to_owned(), *n as u64))
            .collect();
        assert_eq!(providers, want, "{cat} providers");
        let top3: Vec<&str> = ranked.iter().take(3).map(|(p, _)| *p).collect();
        let reach = count(&|h, d| direct(h, d).iter().any(|p| top3.contains(p)));
        let indirect = count(&|h, d| any_of(h, d).iter().any(|p| top3.contains(p)));
        assert_eq!(got["top3Reach"], reach, "{cat} top-3 reach");
        assert_eq!(
            got["top3ReachIndirect"], indirect,
            "{cat} top-3 reach, indirect"
        );
        let pct = |n: usize| 100.0 * n as f64 / 60.0;
        assert_eq!(got["thirdPartyPercent"].as_f64(), Some(pct(third)), "{cat}");
        assert_eq!(
            got["criticalPercent"].as_f64(),
            Some(pct(critical)),
            "{cat}"
        );
        assert_eq!(got["top3ReachPercent"].as_f64(), Some(pct(reach)), "{cat}");
    };
    figures(
        "dns",
        count(&|_, d| *d != Dns::Own),
        count(&|_, d| !matches!(d, Dns::Own | Dns::Route53AndNs1)),
        &|_, d| dns_of(d),
    );
    figures(
        "cdn",
        count(&|h, _| matches!(h, Host::Cdn(_))),
        count(&|h, _| *h == Host::Cdn(false)),
        &|h, _| edges_of(h),
    );
    figures(
        "hosting",
        count(&|h, _| host_of(h).is_some()),
        count(&|h, _| host_of(h).is_some()),
        &|h, _| host_of(h).into_iter().collect(),
    );
    // The CDN sites count under their CDN, never under a cloud.
    let clouds = r["cloud"].to_string();
    assert!(clouds.contains("cloudflare (origin unknown)"), "{clouds}");
    // The text report says the same in a short table.
    let o = run(&[
        "report",
        "--no-asn",
        "--progress",
        "none",
        "--resolver",
        &unbound.url(),
        "--feeds",
        &feeds(),
        list.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("third-party dependencies (of 60 sites"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("DNS ")),
        "{text}"
    );
}
