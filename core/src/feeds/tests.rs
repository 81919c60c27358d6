//! Hand-written samples of every format, good and malformed.
#![allow(clippy::unwrap_used)]

use super::*;

fn spec(file: &str, provider: &str, format: FeedFormat) -> FeedSpec {
    FeedSpec::new(
        file,
        &format!("https://example.invalid/{file}"),
        provider,
        format,
    )
}

fn lists_spec(file: &str, provider: &str, lists: &[&str]) -> FeedSpec {
    FeedSpec {
        lists: lists.iter().map(|l| (*l).to_owned()).collect(),
        ..spec(file, provider, FeedFormat::JsonLists)
    }
}

fn rec(prefix: &str, provider: &str, region: Option<&str>, service: Option<&str>) -> PrefixRecord {
    PrefixRecord::new(prefix.parse().unwrap(), provider, region, service)
}

fn err(spec: &FeedSpec, text: &str) -> (FeedError, String) {
    let e = parse(spec, text.as_bytes()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("{}: ", spec.file)), "{msg}");
    (e, msg)
}

const AWS: &str = r#"{
  "syncToken": "1787411825",
  "createDate": "2026-08-22-15-17-05",
  "prefixes": [
    {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "AMAZON", "network_border_group": "ap-northeast-2"},
    {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "S3", "network_border_group": "ap-northeast-2"},
    {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "EC2", "network_border_group": "ap-northeast-2"},
    {"ip_prefix": "15.230.15.29/32", "region": "eu-central-1", "service": "AMAZON", "network_border_group": "eu-central-1"},
    {"ip_prefix": "52.94.76.7/24", "region": "GLOBAL", "service": "ROUTE53", "network_border_group": "GLOBAL"}
  ],
  "ipv6_prefixes": [
    {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
    {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}
  ]
}"#;

#[test]
fn aws_merges_services_per_prefix() {
    let s = spec("ip-ranges.json", "aws", FeedFormat::AwsIpRanges);
    let feed = parse(&s, AWS.as_bytes()).unwrap();
    assert_eq!(feed.date.as_deref(), Some("2026-08-22"));
    assert_eq!(feed.version.as_deref(), Some("1787411825"));
    assert_eq!(
        feed.records,
        vec![
            rec(
                "3.5.140.0/22",
                "aws",
                Some("ap-northeast-2"),
                Some("EC2,S3")
            ),
            rec(
                "15.230.15.29/32",
                "aws",
                Some("eu-central-1"),
                Some("AMAZON")
            ),
            rec("52.94.76.0/24", "aws", Some("GLOBAL"), Some("ROUTE53")),
            rec("2600:1f18::/33", "aws", Some("us-east-1"), Some("EC2")),
        ]
    );
}

#[test]
fn aws_errors_name_file_and_entry() {
    let s = spec("ip-ranges.json", "aws", FeedFormat::AwsIpRanges);
    let bad = AWS.replace(
        "3.5.140.0/22\", \"region\": \"ap-northeast-2\", \"service\": \"S3",
        "3.5.140.0/33\", \"region\": \"ap-northeast-2\", \"service\": \"S3",
    );
    let (e, msg) = err(&s, &bad);
    assert!(matches!(e, FeedError::InvalidPrefix { .. }));
    assert_eq!(
        msg,
        r#"ip-ranges.json: prefixes[1]: invalid prefix "3.5.140.0/33""#
    );

    let (e, msg) = err(&s, &AWS.replace(r#""region": "eu-central-1","#, ""));
    assert!(matches!(e, FeedError::Shape { .. }), "{e:?}");
    assert!(
        msg.starts_with(r#"ip-ranges.json: prefixes[3]: missing field "region" in {"#),
        "{msg}"
    );

    let (e, msg) = err(
        &s,
        &AWS.replace(r#""service": "ROUTE53""#, r#""service": 53"#),
    );
    assert!(matches!(e, FeedError::Shape { .. }));
    assert_eq!(
        msg,
        "ip-ranges.json: prefixes[4].service: expected a string, found a number 53"
    );

    let (e, msg) = err(&s, &AWS[..300]);
    assert!(matches!(e, FeedError::Json { line: 6, .. }), "{e:?}");
    assert!(msg.contains("line 6, column"), "{msg}");

    let (e, _) = err(
        &s,
        r#"{"syncToken": "1", "createDate": "2026-08-22-15-17-05", "prefixes": [], "ipv6_prefixes": []}"#,
    );
    assert_eq!(
        e,
        FeedError::Empty {
            file: "ip-ranges.json".into()
        }
    );

    let (_, msg) = err(&s, r#"{"prefixes": {"ip_prefix": "1.2.3.0/24"}}"#);
    assert!(
        msg.starts_with("ip-ranges.json: prefixes: expected an array, found an object"),
        "{msg}"
    );

    let (_, msg) = err(&s, "[1, 2]");
    assert!(
        msg.starts_with("ip-ranges.json: top level: expected an object"),
        "{msg}"
    );

    let (_, msg) = err(&s, &AWS.replace("2026-08-22-15-17-05", "yesterday"));
    assert!(
        msg.starts_with("ip-ranges.json: createDate: expected a date"),
        "{msg}"
    );
}

#[test]
fn entry_text_is_truncated() {
    let s = spec("ip-ranges.json", "aws", FeedFormat::AwsIpRanges);
    let long = "9".repeat(500);
    let text =
        format!(r#"{{"prefixes": [{{"ip_prefix": "{long}", "region": "x", "service": "y"}}]}}"#);
    let FeedError::InvalidPrefix { text, entry, .. } = parse(&s, text.as_bytes()).unwrap_err()
    else {
        panic!("expected InvalidPrefix");
    };
    assert_eq!(entry, "prefixes[0]");
    assert!(text.chars().count() <= 81 && text.ends_with('…'), "{text}");
}

#[test]
fn invalid_utf8_is_reported_with_position() {
    let s = spec("ips-v4", "cloudflare", FeedFormat::CidrText);
    let e = parse(&s, b"1.1.1.0/24\n1.0.0.0/24 \xff\n").unwrap_err();
    assert_eq!(
        e,
        FeedError::Utf8 {
            file: "ips-v4".into(),
            line: 2,
            column: 12,
            offset: 22
        }
    );
    assert!(e.to_string().starts_with("ips-v4: line 2, column 12"));
}

const GCP: &str = r#"{
  "syncToken": "1778033048194",
  "creationTime": "2026-05-05T19:04:08.194918",
  "prefixes": [{"ipv4Prefix": "34.1.208.0/20", "service": "Google Cloud", "scope": "africa-south1"},
               {"ipv6Prefix": "2600:1900:8000::/44", "service": "Google Cloud", "scope": "africa-south1"}]
}"#;

#[test]
fn gcp_cloud_and_goog() {
    let s = spec("cloud.json", "gcp", FeedFormat::GcpCloud);
    let feed = parse(&s, GCP.as_bytes()).unwrap();
    assert_eq!(feed.date.as_deref(), Some("2026-05-05"));
    assert_eq!(feed.version.as_deref(), Some("1778033048194"));
    assert_eq!(
        feed.records,
        vec![
            rec(
                "34.1.208.0/20",
                "gcp",
                Some("africa-south1"),
                Some("Google Cloud")
            ),
            rec(
                "2600:1900:8000::/44",
                "gcp",
                Some("africa-south1"),
                Some("Google Cloud")
            ),
        ]
    );

    let g = spec("goog.json", "google", FeedFormat::Goog);
    let goog = r#"{"syncToken": "1714053903689", "creationTime": "2024-04-25T07:05:03.68994",
        "prefixes": [{"ipv4Prefix": "8.8.4.0/24"}, {"ipv6Prefix": "2001:4860::/32"}]}"#;
    let feed = parse(&g, goog.as_bytes()).unwrap();
    assert_eq!(feed.date.as_deref(), Some("2024-04-25"));
    assert_eq!(
        feed.records,
        vec![
            rec("8.8.4.0/24", "google", None, None),
            rec("2001:4860::/32", "google", None, None)
        ]
    );

    let (_, msg) = err(&s, &GCP.replace(r#""ipv4Prefix": "34.1.208.0/20", "#, ""));
    assert!(
        msg.starts_with(r#"cloud.json: prefixes[0]: expected exactly one of "ipv4Prefix""#),
        "{msg}"
    );
    let (_, msg) = err(
        &s,
        &GCP.replace("2600:1900:8000::/44", "2600:1900:8000::/129"),
    );
    assert_eq!(
        msg,
        r#"cloud.json: prefixes[1]: invalid prefix "2600:1900:8000::/129""#
    );
    let (_, msg) = err(
        &s,
        &GCP.replace(r#""scope": "africa-south1"}]"#, r#""scope": ["x"]}]"#),
    );
    assert!(
        msg.starts_with("cloud.json: prefixes[1].scope: expected a string, found an array"),
        "{msg}"
    );
    let (e, _) = err(&g, r#"{"prefixes": []}"#);
    assert!(matches!(e, FeedError::Empty { .. }));
}

const AZURE: &str = r#"{
  "changeNumber": 398,
  "cloud": "Public",
  "values": [
    {"name": "AzureCloud", "id": "AzureCloud", "properties": {"changeNumber": 1, "region": "", "regionId": 0, "platform": "Azure", "systemService": "",
      "addressPrefixes": ["20.38.0.0/16", "40.64.0.0/10", "2603:1030::/40", "13.64.0.0/16"], "networkFeatures": ["API"]}},
    {"name": "AzureCloud.eastus", "id": "AzureCloud.eastus", "properties": {"changeNumber": 1, "region": "eastus", "regionId": 32, "platform": "Azure", "systemService": "",
      "addressPrefixes": ["20.38.0.0/16", "2603:1030::/40"]}},
    {"name": "Storage", "id": "Storage", "properties": {"changeNumber": 1, "region": "", "regionId": 0, "platform": "Azure", "systemService": "AzureStorage",
      "addressPrefixes": ["20.38.0.0/16", "52.239.0.0/24"]}},
    {"name": "Storage.EastUS", "id": "Storage.EastUS", "properties": {"changeNumber": 1, "region": "eastus", "regionId": 32, "platform": "Azure", "systemService": "AzureStorage",
      "addressPrefixes": ["20.38.0.0/16"]}},
    {"name": "Sql.WestEurope", "id": "Sql.WestEurope", "properties": {"changeNumber": 1, "region": "westeurope", "regionId": 18, "platform": "Azure", "systemService": "AzureSQL",
      "addressPrefixes": ["52.239.0.0/24", "13.64.0.0/16"]}},
    {"name": "AzureFrontDoor.Frontend", "id": "AzureFrontDoor.Frontend", "properties": {"changeNumber": 1, "region": "", "regionId": 0, "platform": "Azure", "systemService": "AzureFrontDoor",
      "addressPrefixes": ["13.107.246.0/24"]}}
  ]
}"#;

#[test]
fn azure_merges_tags_per_prefix() {
    let s = spec(
        "ServiceTags_Public.json",
        "azure",
        FeedFormat::AzureServiceTags,
    );
    let feed = parse(&s, AZURE.as_bytes()).unwrap();
    assert_eq!(feed.date, None);
    assert_eq!(feed.version.as_deref(), Some("398"));
    assert_eq!(
        feed.records,
        vec![
            rec("13.64.0.0/16", "azure", Some("westeurope"), Some("Sql")),
            rec(
                "13.107.246.0/24",
                "azure",
                None,
                Some("AzureFrontDoor.Frontend")
            ),
            rec("20.38.0.0/16", "azure", Some("eastus"), Some("Storage")),
            rec("40.64.0.0/10", "azure", None, None),
            rec(
                "52.239.0.0/24",
                "azure",
                Some("westeurope"),
                Some("Sql,Storage")
            ),
            rec("2603:1030::/40", "azure", Some("eastus"), None),
        ]
    );
    // A BOM (Windows tooling) is tolerated.
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), AZURE.as_bytes()].concat();
    assert_eq!(parse(&s, &with_bom).unwrap(), feed);

    let (_, msg) = err(
        &s,
        &AZURE.replace("52.239.0.0/24\"]}}", "52.239.0.0/2x\"]}}"),
    );
    assert_eq!(
        msg,
        r#"ServiceTags_Public.json: values[2].properties.addressPrefixes[1]: invalid prefix "52.239.0.0/2x""#
    );
    let (_, msg) = err(
        &s,
        &AZURE.replace(
            r#""addressPrefixes": ["13.107.246.0/24"]"#,
            r#""addressPrefixes": "13.107.246.0/24""#,
        ),
    );
    assert_eq!(
        msg,
        r#"ServiceTags_Public.json: values[5].properties.addressPrefixes: expected an array, found a string "13.107.246.0/24""#
    );
    let (e, _) = err(&s, r#"{"changeNumber": 1, "values": []}"#);
    assert!(matches!(e, FeedError::Empty { .. }));
}

#[test]
fn cidr_text_tolerates_comments_and_blank_lines() {
    let s = spec("ips-v4", "cloudflare", FeedFormat::CidrText);
    let feed = parse(
        &s,
        b"# Cloudflare\n173.245.48.0/20\r\n\n  104.16.0.0/13  # big one\n2400:cb00::/32",
    )
    .unwrap();
    assert_eq!(feed.date, None);
    assert_eq!(
        feed.records,
        vec![
            rec("104.16.0.0/13", "cloudflare", None, None),
            rec("173.245.48.0/20", "cloudflare", None, None),
            rec("2400:cb00::/32", "cloudflare", None, None),
        ]
    );
    let (e, msg) = err(&s, "173.245.48.0/20\n104.16.0.0\n");
    assert!(matches!(e, FeedError::InvalidPrefix { .. }));
    assert_eq!(msg, r#"ips-v4: line 2: invalid prefix "104.16.0.0""#);
    let (_, msg) = err(&s, "<html><body>Captive portal</body></html>\n");
    assert!(
        msg.starts_with("ips-v4: line 1: invalid prefix \"<html>"),
        "{msg}"
    );
    let (e, _) = err(&s, "\n  \n# nothing\n");
    assert!(matches!(e, FeedError::Empty { .. }));
    let (e, _) = err(&s, "");
    assert!(matches!(e, FeedError::Empty { .. }));
}

#[test]
fn cloudflare_api() {
    let s = spec("ips.json", "cloudflare", FeedFormat::CloudflareApi);
    let ok = r#"{"result":{"ipv4_cidrs":["173.245.48.0/20"],"ipv6_cidrs":["2400:cb00::/32"],"etag":"38f79d050aa027e3be3865e495dcc9bc"},"success":true,"errors":[],"messages":[]}"#;
    let feed = parse(&s, ok.as_bytes()).unwrap();
    assert_eq!(
        feed.version.as_deref(),
        Some("38f79d050aa027e3be3865e495dcc9bc")
    );
    assert_eq!(feed.records.len(), 2);

    let failed = r#"{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[]}"#;
    let (e, msg) = err(&s, failed);
    assert!(matches!(e, FeedError::ApiFailure { .. }));
    assert!(
        msg.starts_with("ips.json: success: the API reported failure: [{\"code\":10000"),
        "{msg}"
    );

    let (_, msg) = err(&s, &ok.replace("\"2400:cb00::/32\"", "42"));
    assert_eq!(
        msg,
        "ips.json: result.ipv6_cidrs[0]: expected a prefix string, found a number 42"
    );
    let (_, msg) = err(&s, r#"{"success":"yes"}"#);
    assert!(
        msg.starts_with("ips.json: success: expected a boolean"),
        "{msg}"
    );
    let (e, _) = err(
        &s,
        r#"{"result":{"ipv4_cidrs":[],"ipv6_cidrs":[]},"success":true}"#,
    );
    assert!(matches!(e, FeedError::Empty { .. }));
}

#[test]
fn json_lists_fastly() {
    let s = lists_spec(
        "public-ip-list.json",
        "fastly",
        &["addresses", "ipv6_addresses"],
    );
    let feed = parse(
        &s,
        br#"{"addresses":["151.101.0.0/16"],"ipv6_addresses":["2a04:4e42::/32"]}"#,
    )
    .unwrap();
    assert_eq!(
        feed.records,
        vec![
            rec("151.101.0.0/16", "fastly", None, None),
            rec("2a04:4e42::/32", "fastly", None, None)
        ]
    );
    let (_, msg) = err(&s, r#"{"addresses":["151.101.0.0/16","151.101.0.0/"]}"#);
    assert_eq!(
        msg,
        r#"public-ip-list.json: addresses[1]: invalid prefix "151.101.0.0/""#
    );
    let (_, msg) = err(&s, r#"{"message":"rate limited"}"#);
    assert!(
        msg.starts_with(r#"public-ip-list.json: top level: missing field "addresses""#),
        "{msg}"
    );
    let (e, _) = err(&s, r#"{"addresses":[],"ipv6_addresses":[]}"#);
    assert!(matches!(e, FeedError::Empty { .. }));
}

#[test]
fn oracle() {
    let s = spec("public_ip_ranges.json", "oracle", FeedFormat::Oracle);
    let text = r#"{"last_updated_timestamp": "2025-07-21T07:13:25.457838", "regions": [
        {"region": "us-ashburn-1", "cidrs": [{"cidr": "129.80.0.0/16", "tags": ["OCI"]},
                                              {"cidr": "134.70.24.0/21", "tags": ["OSN", "OBJECT_STORAGE"]}]},
        {"region": "eu-frankfurt-1", "cidrs": [{"cidr": "130.61.0.0/16", "tags": ["OCI"]}]}]}"#;
    let feed = parse(&s, text.as_bytes()).unwrap();
    assert_eq!(feed.date.as_deref(), Some("2025-07-21"));
    assert_eq!(
        feed.records,
        vec![
            rec("129.80.0.0/16", "oracle", Some("us-ashburn-1"), Some("OCI")),
            rec(
                "130.61.0.0/16",
                "oracle",
                Some("eu-frankfurt-1"),
                Some("OCI")
            ),
            rec(
                "134.70.24.0/21",
                "oracle",
                Some("us-ashburn-1"),
                Some("OBJECT_STORAGE,OSN")
            ),
        ]
    );
    let (_, msg) = err(&s, &text.replace("130.61.0.0/16", "130.61.0.0.0/16"));
    assert_eq!(
        msg,
        r#"public_ip_ranges.json: regions[1].cidrs[0]: invalid prefix "130.61.0.0.0/16""#
    );
    let (_, msg) = err(&s, &text.replace(r#"["OCI"]}]}]}"#, r#"["OCI", 7]}]}]}"#));
    assert_eq!(
        msg,
        "public_ip_ranges.json: regions[1].cidrs[0].tags[1]: expected a string, found a number 7"
    );
    let (_, msg) = err(&s, &text.replace(r#""region": "eu-frankfurt-1", "#, ""));
    assert!(
        msg.starts_with(r#"public_ip_ranges.json: regions[1]: missing field "region""#),
        "{msg}"
    );
    let (e, _) = err(
        &s,
        r#"{"last_updated_timestamp": "2025-07-21T07:13:25", "regions": []}"#,
    );
    assert!(matches!(e, FeedError::Empty { .. }));
}

#[test]
fn geofeed_regions_and_linode_date() {
    let s = spec("linode-geofeed.csv", "linode", FeedFormat::Geofeed);
    let text = "# This file contains a self-published geofeed\n\
                # Last modified: 2025-07-24 10:00:06.525037\n\
                # ip_prefix, alpha2code, region, city, postal_code\n\
                2600:3c00::/32,US,US-TX,Richardson,\n\
                45.55.0.0/19,US,US-NY,New York,10001\r\n\
                \n\
                192.0.2.0/24,US,US-NY,,\n\
                198.51.100.0/24,DE,,,\n\
                203.0.113.0/24,,,,\n\
                203.0.113.128/25,US,US-DC,\"Washington, D.C.\",20001\n\
                100.64.0.0/10\n";
    let feed = parse(&s, text.as_bytes()).unwrap();
    assert_eq!(feed.date.as_deref(), Some("2025-07-24"));
    assert_eq!(
        feed.records,
        vec![
            rec("45.55.0.0/19", "linode", Some("US-NY New York"), None),
            rec("100.64.0.0/10", "linode", None, None),
            rec("192.0.2.0/24", "linode", Some("US-NY"), None),
            rec("198.51.100.0/24", "linode", Some("DE"), None),
            rec("203.0.113.0/24", "linode", None, None),
            rec(
                "203.0.113.128/25",
                "linode",
                Some("US-DC Washington, D.C."),
                None
            ),
            rec("2600:3c00::/32", "linode", Some("US-TX Richardson"), None),
        ]
    );
    let d = spec("google.csv", "digitalocean", FeedFormat::Geofeed);
    let feed = parse(&d, b"5.101.96.0/21,NL,NL-NH,Amsterdam,1098 XH\n").unwrap();
    assert_eq!(feed.date, None);
    assert_eq!(
        feed.records,
        vec![rec(
            "5.101.96.0/21",
            "digitalocean",
            Some("NL-NH Amsterdam"),
            None
        )]
    );

    let (_, msg) = err(
        &d,
        "5.101.96.0/21,NL,NL-NH,Amsterdam,1098 XH\n5.101.104.0/33,NL,NL-NH,Amsterdam,\n",
    );
    assert_eq!(
        msg,
        r#"google.csv: line 2: invalid prefix "5.101.104.0/33""#
    );
    let (_, msg) = err(&d, "5.101.96.0/21,NL,NL-NH,\"Amsterdam,1098 XH\n");
    assert!(
        msg.starts_with("google.csv: line 1: unterminated quoted field"),
        "{msg}"
    );
    let (_, msg) = err(&d, ",NL,NL-NH,Amsterdam,\n");
    assert_eq!(msg, r#"google.csv: line 1: invalid prefix """#);
    let (e, _) = err(&d, "# only comments\n# Last modified: 2025-07-24\n");
    assert!(matches!(e, FeedError::Empty { .. }));
}

const GITHUB: &str = r#"{
  "verifiable_password_authentication": false,
  "ssh_key_fingerprints": {"SHA256_ED25519": "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"},
  "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"],
  "hooks": ["192.30.252.0/22", "2a0a:a440::/29"],
  "web": ["192.30.252.0/22", "140.82.112.0/20"],
  "actions": ["4.148.0.0/16", "13.105.117.0/31"],
  "actions_macos": ["13.105.117.0/31"],
  "codespaces": ["20.42.11.16/28"],
  "pages": [],
  "domains": {"website": ["*.github.com"]}
}"#;

#[test]
fn github_meta_services_and_rented_space() {
    let mut s = spec("meta.json", "github", FeedFormat::GithubMeta);
    s.rented.insert("actions".into(), "azure".into());
    s.rented.insert("codespaces".into(), "azure".into());
    let feed = parse(&s, GITHUB.as_bytes()).unwrap();
    assert_eq!(feed.date, None);
    assert_eq!(
        feed.records,
        vec![
            rec("4.148.0.0/16", "azure", None, Some("github-actions")),
            rec("13.105.117.0/31", "azure", None, Some("github-actions")),
            rec("13.105.117.0/31", "github", None, Some("actions_macos")),
            rec("20.42.11.16/28", "azure", None, Some("github-codespaces")),
            rec("140.82.112.0/20", "github", None, Some("web")),
            rec("192.30.252.0/22", "github", None, Some("hooks,web")),
            rec("2a0a:a440::/29", "github", None, Some("hooks")),
        ]
    );
    let (_, msg) = err(
        &s,
        &GITHUB.replace(
            "\"20.42.11.16/28\"",
            "\"20.42.11.16/28\", \"20.42.11.300/28\"",
        ),
    );
    assert_eq!(
        msg,
        r#"meta.json: codespaces[1]: invalid prefix "20.42.11.300/28""#
    );
    let (_, msg) = err(
        &s,
        &GITHUB.replace("\"20.42.11.16/28\"", "\"20.42.11.16/28\", null"),
    );
    assert_eq!(
        msg,
        "meta.json: codespaces[1]: expected a prefix string, found null null"
    );
    let (e, _) = err(
        &s,
        r#"{"verifiable_password_authentication": false, "hooks": []}"#,
    );
    assert!(matches!(e, FeedError::Empty { .. }));
    let (_, msg) = err(&s, r#"{"message": "API rate limit exceeded"#);
    assert!(
        msg.starts_with("meta.json: line 1, column 36: not valid JSON: EOF while parsing"),
        "{msg}"
    );
}

#[test]
fn format_names_round_trip() {
    for &format in FeedFormat::ALL {
        let name = format.as_str();
        assert_eq!(name.parse::<FeedFormat>().unwrap(), format);
        assert_eq!(
            serde_json::to_string(&format).unwrap(),
            format!("\"{name}\"")
        );
        assert_eq!(format.to_string(), name);
    }
    assert_eq!(
        "aws".parse::<FeedFormat>().unwrap_err(),
        UnknownFeedFormat("aws".into())
    );
    let spec: FeedSpec = serde_json::from_str(
        r#"{"file":"meta.json","url":"https://api.github.com/meta","provider":"github","format":"github-meta","rented":{"actions":"azure"}}"#,
    )
    .unwrap();
    assert_eq!(spec.minus, None);
    assert_eq!(
        spec.rented.get("actions").map(String::as_str),
        Some("azure")
    );
    // The one list of names: the error names every format, and serde refuses an unknown one.
    let e = "csv".parse::<FeedFormat>().unwrap_err().to_string();
    for &format in FeedFormat::ALL {
        assert!(e.contains(format.as_str()), "{e}");
    }
    let bad = serde_json::from_str::<FeedSpec>(
        r#"{"file":"f","url":"https://x","provider":"p","format":"fastly"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(bad.contains("unknown feed format \"fastly\""), "{bad}");
    // A spec with a key no parser knows is refused (the rules file's typo guard).
    assert!(serde_json::from_str::<FeedSpec>(
        r#"{"file":"f","url":"https://x","provider":"p","format":"goog","lists_typo":[]}"#
    )
    .is_err());
}

#[test]
fn ip_text_takes_bare_addresses_and_br_separators() {
    let s = spec("quic-cloud-ips.txt", "quic-cloud", FeedFormat::IpText);
    let feed = parse(
        &s,
        b"102.221.36.98<br />103.106.229.82<BR>\n2001:db8::1\n104.244.77.0/24 # a block\n",
    )
    .unwrap();
    assert_eq!(
        feed.records,
        vec![
            rec("102.221.36.98/32", "quic-cloud", None, None),
            rec("103.106.229.82/32", "quic-cloud", None, None),
            rec("104.244.77.0/24", "quic-cloud", None, None),
            rec("2001:db8::1/128", "quic-cloud", None, None),
        ]
    );
    let (_, msg) = err(&s, "1.2.3.4\n1.2.3<br/>");
    assert_eq!(msg, r#"quic-cloud-ips.txt: line 2: invalid prefix "1.2.3""#);
    let (_, msg) = err(&s, "1.2.3.4<b>5.6.7.8");
    assert_eq!(
        msg,
        r#"quic-cloud-ips.txt: line 1: invalid prefix "1.2.3.4<b>5.6.7.8""#
    );
    // cidr-text keeps refusing a bare address: there it is a line cut short.
    let c = spec("ips-v4", "cloudflare", FeedFormat::CidrText);
    let (_, msg) = err(&c, "104.16.0.0/13\n104.24.0.0\n");
    assert_eq!(msg, r#"ips-v4: line 2: invalid prefix "104.24.0.0""#);
    let (_, msg) = err(&c, "1.1.1.0/24<br>1.0.0.0/24");
    assert!(msg.starts_with("ips-v4: line 1: invalid prefix"), "{msg}");
}

#[test]
fn json_lists_shapes() {
    // Bare top-level array (Bunny), bare addresses allowed inside JSON.
    let bunny = spec("bunny.json", "bunny", FeedFormat::JsonLists);
    let feed = parse(&bunny, br#"["89.187.188.227", "2400:52e0:1a00::1"]"#).unwrap();
    assert_eq!(
        feed.records,
        vec![
            rec("89.187.188.227/32", "bunny", None, None),
            rec("2400:52e0:1a00::1/128", "bunny", None, None),
        ]
    );
    let (_, msg) = err(&bunny, r#"{"ipv4": []}"#);
    assert_eq!(
        msg,
        r#"bunny.json: top level: expected an array, found an object {"ipv4":[]}"#
    );
    // Objects with the prefix in a named field, and a date field (CDN77).
    let cdn77 = FeedSpec {
        prefix_field: Some("prefix".into()),
        date_field: Some("updated_at".into()),
        ..lists_spec("cdn77.json", "cdn77", &["prefixes"])
    };
    let feed = parse(
        &cdn77,
        br#"{"updated_at": "2026-07-27T14:00:04.173594+00:00", "prefixes": [{"prefix": "89.222.125.0/26"}]}"#,
    )
    .unwrap();
    assert_eq!(feed.date.as_deref(), Some("2026-07-27"));
    assert_eq!(
        feed.records,
        vec![rec("89.222.125.0/26", "cdn77", None, None)]
    );
    let (_, msg) = err(&cdn77, r#"{"prefixes": [{"cidr": "89.222.125.0/26"}]}"#);
    assert!(
        msg.starts_with(r#"cdn77.json: prefixes[0]: missing field "prefix""#),
        "{msg}"
    );
    let (_, msg) = err(&cdn77, r#"{"prefixes": [{"prefix": "89.222.125.0/33"}]}"#);
    assert_eq!(
        msg,
        r#"cdn77.json: prefixes[0].prefix: invalid prefix "89.222.125.0/33""#
    );
    // A fixed service from the spec fills records the format leaves without one.
    let cloudfront = FeedSpec {
        service: Some("CLOUDFRONT".into()),
        ..lists_spec("cloudfront-ips.json", "aws", &["GLOBAL", "REGIONAL"])
    };
    let feed = parse(&cloudfront, br#"{"REGIONAL": ["13.113.196.64/26"]}"#).unwrap();
    assert_eq!(
        feed.records,
        vec![rec("13.113.196.64/26", "aws", None, Some("CLOUDFRONT"))]
    );
    let (_, msg) = err(&cloudfront, r#"{"GLOBAL": "13.32.0.0/15"}"#);
    assert_eq!(
        msg,
        r#"cloudfront-ips.json: GLOBAL: expected an array, found a string "13.32.0.0/15""#
    );
}

#[test]
fn geofeed_json_spelling() {
    let s = spec("vultr-geofeed.json", "vultr", FeedFormat::Geofeed);
    let feed = parse(
        &s,
        br#"{"description":"x","asn":20473,"updated":"2024-04-18T07:55:40-04:00","subnets":[
            {"ip_prefix":"8.3.29.0/24","alpha2code":"US","region":"US-CA","city":"Los Angeles","postal_code":"90012"},
            {"ip_prefix":"2001:19f0:5000::/38","alpha2code":"NL","region":"","city":""}]}"#,
    )
    .unwrap();
    assert_eq!(feed.date.as_deref(), Some("2024-04-18"));
    assert_eq!(
        feed.records,
        vec![
            rec("8.3.29.0/24", "vultr", Some("US-CA Los Angeles"), None),
            rec("2001:19f0:5000::/38", "vultr", Some("NL"), None),
        ]
    );
    let (_, msg) = err(&s, r#"{"subnets":[{"prefix":"8.3.29.0/24"}]}"#);
    assert!(
        msg.starts_with(r#"vultr-geofeed.json: subnets[0]: missing field "ip_prefix""#),
        "{msg}"
    );
}

#[test]
fn zscaler_regions() {
    let s = spec("zscaler-cenr.json", "zscaler", FeedFormat::ZscalerCenr);
    let feed = parse(
        &s,
        br#"{"zscaler.net":{
              "continent : EMEA":{
                "city : Amsterdam II":[{"range":"147.161.156.0/23"},{"range":"136.226.200.0/23"}],
                "city : Munich I":[{"range":"136.226.200.0/23"}]},
              "continent : APAC":{"city : Tokyo IV":[{"range":"2400:7aa0::/32"},{"range":"165.225.96.0/23"}]},
              "continent : Americas":{"city : Chicago":[{"range":"165.225.96.0/23"}]}},
            "svpnIPs":["165.225.240.56"]}"#,
    )
    .unwrap();
    assert_eq!(
        feed.records,
        vec![
            rec("136.226.200.0/23", "zscaler", Some("EMEA"), None),
            rec("147.161.156.0/23", "zscaler", Some("Amsterdam II"), None),
            rec("165.225.96.0/23", "zscaler", None, None),
            rec("2400:7aa0::/32", "zscaler", Some("Tokyo IV"), None),
        ]
    );
    let (_, msg) = err(
        &s,
        r#"{"zscaler.net":{"continent : EMEA":{"city : X":[{"range":"1.2.3/23"}]}}}"#,
    );
    assert_eq!(
        msg,
        r#"zscaler-cenr.json: zscaler.net.continent : EMEA.city : X[0]: invalid prefix "1.2.3/23""#
    );
}

#[test]
fn github_owned_lists_go_to_their_provider() {
    let mut s = spec("meta.json", "github", FeedFormat::GithubMeta);
    s.owners.insert("pages".into(), "github-pages".into());
    let feed = parse(
        &s,
        br#"{"web": ["140.82.112.0/20"], "pages": ["185.199.108.153/32"]}"#,
    )
    .unwrap();
    assert_eq!(
        feed.records,
        vec![
            rec("140.82.112.0/20", "github", None, Some("web")),
            rec("185.199.108.153/32", "github-pages", None, Some("pages")),
        ]
    );
}

#[test]
fn feed_set_keeps_previous_data_on_failure() {
    let s = spec("ips-v4", "cloudflare", FeedFormat::CidrText);
    let mut set = FeedSet::new();
    assert_eq!(set.apply(&s, b"104.16.0.0/13\n").unwrap().records.len(), 1);
    for bad in [&b""[..], b"104.16.0.0/13\n104.24.0.0/", b"\xff"] {
        assert!(set.apply(&s, bad).is_err());
        let kept = set.get("ips-v4").unwrap();
        assert_eq!(
            kept.records,
            vec![rec("104.16.0.0/13", "cloudflare", None, None)]
        );
    }
    let updated = set.apply(&s, b"104.16.0.0/13\n104.24.0.0/14\n").unwrap();
    assert_eq!(updated.records.len(), 2);
    assert_eq!(set.feeds().count(), 1);
    assert!(set.get("ips-v6").is_none());
}

#[test]
fn feed_set_records_apply_minus() {
    let gcp = spec("cloud.json", "gcp", FeedFormat::GcpCloud);
    let mut goog = spec("goog.json", "google", FeedFormat::Goog);
    goog.minus = Some("gcp".into());
    let mut set = FeedSet::new();
    set.apply(
        &gcp,
        br#"{"prefixes": [{"ipv4Prefix": "10.1.0.0/16", "service": "Google Cloud", "scope": "us-east1"},
                          {"ipv4Prefix": "8.8.8.0/24", "service": "Google Cloud", "scope": "global"},
                          {"ipv6Prefix": "2001:db8:8000::/33", "service": "Google Cloud", "scope": "us-east1"}]}"#,
    )
    .unwrap();
    set.apply(
        &goog,
        br#"{"prefixes": [{"ipv4Prefix": "10.0.0.0/8"}, {"ipv4Prefix": "8.8.8.0/24"}, {"ipv6Prefix": "2001:db8::/32"}]}"#,
    )
    .unwrap();
    set.insert(ParsedFeed {
        file: "extra".into(),
        provider: "google".into(),
        date: None,
        version: None,
        records: vec![rec("10.0.0.0/16", "google", None, None)],
    });
    let specs = [gcp, goog];
    let all = set.records(&specs);
    let google: Vec<String> = all
        .iter()
        .filter(|r| r.provider == "google")
        .map(|r| r.prefix.to_string())
        .collect();
    assert_eq!(
        google,
        [
            // 8.8.8.0/24 equals a cloud prefix and vanishes; 10/8 minus 10.1/16 → 8 CIDRs,
            // and "extra"'s 10.0.0.0/16 (no minus) deduplicates with the first of them.
            "10.0.0.0/16",
            "10.2.0.0/15",
            "10.4.0.0/14",
            "10.8.0.0/13",
            "10.16.0.0/12",
            "10.32.0.0/11",
            "10.64.0.0/10",
            "10.128.0.0/9",
            "2001:db8::/33",
        ]
    );
    assert_eq!(all.iter().filter(|r| r.provider == "gcp").count(), 3);
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "sorted and deduplicated"
    );
    // Without the specs no subtraction happens: goog.json's 3 plus "extra"'s 1.
    assert_eq!(
        set.records(&[])
            .iter()
            .filter(|r| r.provider == "google")
            .count(),
        4
    );
}
