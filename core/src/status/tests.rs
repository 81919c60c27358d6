#![allow(clippy::unwrap_used)]

use super::dates::{epoch_text_to_rfc3339, parse_rfc3339};
use super::rss::MAX_RSS_ITEMS;
use super::*;

/// 2024-05-01T12:00:00Z.
const NOW: Millis = 1_714_564_800_000;

const STATUSPAGE_INCIDENT: &str = r#"{
  "page": {"id": "yh6f0r4529hb", "name": "Cloudflare", "url": "https://www.cloudflarestatus.com",
           "time_zone": "Etc/UTC", "updated_at": "2024-05-01T11:58:03.123Z"},
  "components": [
    {"id": "1km35smx8p41", "name": "Cloudflare Sites and Services", "status": "partial_outage",
     "group": true, "components": ["b4lq0k1s2v9c"]},
    {"id": "b4lq0k1s2v9c", "name": "CDN/Cache", "status": "degraded_performance", "group": false,
     "group_id": "1km35smx8p41"},
    {"id": "c7hd92j1lqsx", "name": "DNS Root Servers", "status": "operational", "group": false},
    {"id": "x8pd62z7vvqs", "name": "Frankfurt, Germany - (FRA)", "status": "partial_outage",
     "group": false}
  ],
  "incidents": [
    {"id": "p9k3b1x2c4d5", "name": "Elevated 5xx errors in Europe", "status": "identified",
     "created_at": "2024-05-01T11:20:41.522Z", "updated_at": "2024-05-01T11:55:00.000Z",
     "monitoring_at": null, "resolved_at": null, "impact": "major",
     "shortlink": "https://stspg.io/abcd1234", "started_at": "2024-05-01T11:15:00.000Z",
     "page_id": "yh6f0r4529hb",
     "incident_updates": [{"id": "u1", "status": "identified", "body": "We found the cause."}],
     "components": [
       {"id": "b4lq0k1s2v9c", "name": "CDN/Cache", "status": "degraded_performance"},
       {"id": "x8pd62z7vvqs", "name": "Frankfurt, Germany - (FRA)", "status": "partial_outage"}
     ]},
    {"id": "q1", "name": "Old thing", "status": "resolved", "created_at": "2024-04-30T09:00:00Z",
     "impact": "minor", "shortlink": "https://stspg.io/old", "components": []}
  ],
  "scheduled_maintenances": [],
  "status": {"indicator": "major", "description": "Partial System Outage"}
}"#;

const STATUSPAGE_CLEAR: &str = r#"{
  "page": {"id": "kctbh9vrtdwd", "name": "GitHub", "url": "https://www.githubstatus.com"},
  "components": [{"id": "a", "name": "Git Operations", "status": "operational", "group": false}],
  "incidents": [],
  "scheduled_maintenances": [],
  "status": {"indicator": "none", "description": "All Systems Operational"}
}"#;

const GOOGLE: &str = r#"[
  {"id": "xVSEV3kVaJBmS7SZbnre", "number": "1234567890", "begin": "2024-05-01T10:30:00+00:00",
   "created": "2024-05-01T10:41:00+00:00", "modified": "2024-05-01T11:50:00+00:00",
   "external_desc": "Cloud Run: elevated request latency in us-central1\n",
   "updates": [], "most_recent_update": {"text": "We are investigating."},
   "status_impact": "SERVICE_DISRUPTION", "severity": "medium",
   "service_key": "9D7d2iNBQWN24zc1VamE", "service_name": "Cloud Run",
   "affected_products": [{"title": "Cloud Run", "id": "9D7d2iNBQWN24zc1VamE"}],
   "currently_affected_locations": [{"title": "Iowa (us-central1)", "id": "us-central1"}],
   "previously_affected_locations": [],
   "uri": "incidents/xVSEV3kVaJBmS7SZbnre"},
  {"id": "closed1", "begin": "2024-04-20T08:00:00+00:00", "end": "2024-04-20T09:12:00+00:00",
   "external_desc": "Cloud SQL connectivity issues", "severity": "high",
   "service_name": "Cloud SQL", "currently_affected_locations": [],
   "uri": "incidents/closed1"},
  {"id": "ending-later", "begin": "2024-05-01T11:00:00+00:00",
   "end": "2024-05-01T15:00:00+02:00", "external_desc": "Ends after now (13:00Z)",
   "severity": "low", "service_name": "Cloud DNS", "currently_affected_locations": [],
   "uri": "https://status.example.test/incidents/x"}
]"#;

const AWS: &str = r#"[
  {"date": "1714557600", "region_name": "N. Virginia", "status": "2",
   "service": "ec2-us-east-1", "service_name": "Amazon Elastic Compute Cloud (N. Virginia)",
   "summary": "Increased API Error Rates",
   "event_log": [{"summary": "Increased API Error Rates", "message": "We are investigating.",
                  "status": 2, "timestamp": 1714557600}]},
  {"date": "1714550000", "region_name": "Oregon", "status": 0, "service_name": "Amazon S3",
   "summary": "[RESOLVED] Elevated errors"},
  {"date": 1714560000, "region_name": "Ireland", "status": 1, "service_name": "AWS Lambda",
   "summary": "Informational message: delayed invocations"}
]"#;

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

fn utf16be_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_be_bytes());
    }
    out
}

#[test]
fn statuspage_with_an_open_incident() {
    let s = parse_status(
        StatusFormat::Statuspage,
        "cloudflare",
        STATUSPAGE_INCIDENT.as_bytes(),
        NOW,
    )
    .unwrap();
    assert_eq!(s.provider, "cloudflare");
    assert_eq!(s.indicator, Indicator::Major);
    assert_eq!(s.description.as_deref(), Some("Partial System Outage"));
    assert!(s.is_failing());
    assert_eq!(s.incidents.len(), 1, "the resolved incident is left out");
    let i = &s.incidents[0];
    assert_eq!(i.provider, "cloudflare");
    assert_eq!(i.title, "Elevated 5xx errors in Europe");
    assert_eq!(i.severity, "major");
    assert_eq!(i.url.as_deref(), Some("https://stspg.io/abcd1234"));
    assert_eq!(i.started.as_deref(), Some("2024-05-01T11:15:00.000Z"));
    assert_eq!(i.affected, ["CDN/Cache", "Frankfurt, Germany - (FRA)"]);
    assert_eq!(
        s.degraded_components,
        [
            "CDN/Cache (degraded_performance)",
            "Frankfurt, Germany - (FRA) (partial_outage)"
        ]
    );
}

#[test]
fn statuspage_all_clear() {
    let s = parse_status(
        StatusFormat::Statuspage,
        "github",
        STATUSPAGE_CLEAR.as_bytes(),
        NOW,
    )
    .unwrap();
    assert_eq!(s.indicator, Indicator::None);
    assert!(s.incidents.is_empty() && s.degraded_components.is_empty());
    assert!(!s.is_failing());
    // Unknown indicators and null lists are tolerated.
    let odd = r#"{"status": {"indicator": "weird"}, "components": null, "incidents": null}"#;
    let s = parse_status(StatusFormat::Statuspage, "x", odd.as_bytes(), NOW).unwrap();
    assert_eq!(s.indicator, Indicator::Unknown);
    assert_eq!(s.description, None);
}

#[test]
fn google_open_incidents_only() {
    let mut s = parse_status(StatusFormat::GoogleCloud, "gcp", GOOGLE.as_bytes(), NOW).unwrap();
    let titles: Vec<&str> = s.incidents.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Cloud Run: elevated request latency in us-central1",
            "Ends after now (13:00Z)"
        ]
    );
    assert_eq!(s.indicator, Indicator::Major);
    let run = &s.incidents[0];
    assert_eq!(run.severity, "medium");
    assert_eq!(run.started.as_deref(), Some("2024-05-01T10:30:00+00:00"));
    assert_eq!(run.affected, ["Cloud Run", "Iowa (us-central1)"]);
    assert_eq!(run.url.as_deref(), Some("incidents/xVSEV3kVaJBmS7SZbnre"));
    s.resolve_links("https://status.example.test/incidents.json");
    assert_eq!(
        s.incidents[0].url.as_deref(),
        Some("https://status.example.test/incidents/xVSEV3kVaJBmS7SZbnre")
    );
    assert_eq!(
        s.incidents[1].url.as_deref(),
        Some("https://status.example.test/incidents/x")
    );
    // At 13:00Z the +02:00 end has come: closed; the Cloud Run incident stays open.
    let later = parse_status(
        StatusFormat::GoogleCloud,
        "gcp",
        GOOGLE.as_bytes(),
        NOW + 3_600_000,
    )
    .unwrap();
    assert_eq!(later.incidents.len(), 1);
    assert_eq!(later.incidents[0].severity, "medium");
    // An end that cannot be read was still set: closed.
    let unreadable = r#"[{"begin": "2024-05-01T10:00:00Z", "end": "soon", "severity": "high"}]"#;
    let s2 = parse_status(StatusFormat::GoogleCloud, "gcp", unreadable.as_bytes(), NOW).unwrap();
    assert!(s2.incidents.is_empty());
    // No open incident: all clear.
    let clear = parse_status(StatusFormat::GoogleCloud, "gcp", b"[]", NOW).unwrap();
    assert_eq!(clear.indicator, Indicator::None);
}

#[test]
fn aws_current_events_utf8_and_utf16() {
    let s = parse_status(StatusFormat::AwsHealth, "aws", AWS.as_bytes(), NOW).unwrap();
    assert_eq!(s.incidents.len(), 2, "the resolved event is left out");
    assert_eq!(s.indicator, Indicator::Major);
    let ec2 = &s.incidents[0];
    assert_eq!(ec2.title, "Increased API Error Rates");
    assert_eq!(ec2.severity, "degraded");
    assert_eq!(ec2.started.as_deref(), Some("2024-05-01T10:00:00Z"));
    assert_eq!(
        ec2.affected,
        ["Amazon Elastic Compute Cloud (N. Virginia)", "N. Virginia"]
    );
    assert_eq!(s.incidents[1].severity, "informational");
    assert_eq!(
        s.incidents[1].started.as_deref(),
        Some("2024-05-01T10:40:00Z")
    );
    for body in [utf16le_bom(AWS), utf16be_bom(AWS)] {
        assert_eq!(
            parse_status(StatusFormat::AwsHealth, "aws", &body, NOW).unwrap(),
            s
        );
    }
    // UTF-8 with a BOM, and UTF-16LE without one.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(AWS.as_bytes());
    assert_eq!(
        parse_status(StatusFormat::AwsHealth, "aws", &bom, NOW).unwrap(),
        s
    );
    let bare: Vec<u8> = utf16le_bom(AWS)[2..].to_vec();
    assert_eq!(
        parse_status(StatusFormat::AwsHealth, "aws", &bare, NOW).unwrap(),
        s
    );
    // An empty list (what the dashboard serves on a quiet day, BOM included).
    let quiet = parse_status(StatusFormat::AwsHealth, "aws", &utf16le_bom("[]"), NOW).unwrap();
    assert_eq!(quiet.indicator, Indicator::None);
    assert!(quiet.incidents.is_empty());
    // The old {"current": [...]} wrapper.
    let wrapped = format!(r#"{{"current": {AWS}, "archive": []}}"#);
    assert_eq!(
        parse_status(StatusFormat::AwsHealth, "aws", wrapped.as_bytes(), NOW)
            .unwrap()
            .incidents
            .len(),
        2
    );
}

#[test]
fn malformed_documents_are_errors() {
    let all = [
        StatusFormat::Statuspage,
        StatusFormat::GoogleCloud,
        StatusFormat::AwsHealth,
    ];
    for format in all {
        for body in [
            &b""[..],
            b"   \n",
            b"{\"status\": {\"indicator\": \"no",
            b"\xff\xfe\x5b",
        ] {
            let e = parse_status(format, "p", body, NOW).unwrap_err();
            assert!(e.to_string().starts_with("p: "), "{e}");
        }
        let huge = vec![b' '; MAX_STATUS_BYTES + 1];
        assert!(matches!(
            parse_status(format, "p", &huge, NOW),
            Err(StatusError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_status(format, "p", b"\xc3\x28", NOW),
            Err(StatusError::Encoding { .. })
        ));
        assert!(matches!(
            parse_status(format, "p", b"  ", NOW),
            Err(StatusError::Empty { .. })
        ));
    }
    let bad: &[(StatusFormat, &str)] = &[
        (StatusFormat::Statuspage, r#"[]"#),
        (StatusFormat::Statuspage, r#"{"components": []}"#),
        (StatusFormat::Statuspage, r#"{"status": {"indicator": 3}}"#),
        (
            StatusFormat::Statuspage,
            r#"{"status": {"indicator": "none"}, "incidents": [{"name": 1}]}"#,
        ),
        (
            StatusFormat::Statuspage,
            &STATUSPAGE_INCIDENT[..STATUSPAGE_INCIDENT.len() / 2],
        ),
        (StatusFormat::GoogleCloud, r#"{"incidents": []}"#),
        (StatusFormat::GoogleCloud, r#"[{"begin": 17, "end": null}]"#),
        (
            StatusFormat::GoogleCloud,
            r#"[{"currently_affected_locations": "us"}]"#,
        ),
        (StatusFormat::GoogleCloud, &GOOGLE[..GOOGLE.len() - 3]),
        (StatusFormat::AwsHealth, r#"{"events": []}"#),
        (StatusFormat::AwsHealth, r#""text""#),
        (StatusFormat::AwsHealth, r#"[1, 2]"#),
        (StatusFormat::AwsHealth, &AWS[..40]),
    ];
    for (format, body) in bad {
        let e = parse_status(*format, "prov", body.as_bytes(), NOW).unwrap_err();
        assert!(
            matches!(&e, StatusError::Malformed { provider, .. } if provider == "prov"),
            "{format:?} {body}: {e}"
        );
    }
    // Odd-length and unpaired-surrogate UTF-16.
    let mut odd = utf16le_bom("[]");
    odd.push(b' ');
    assert!(matches!(
        parse_status(StatusFormat::AwsHealth, "aws", &odd, NOW),
        Err(StatusError::Encoding { .. })
    ));
    let lone = [0xFF, 0xFE, 0x00, 0xD8, b'[', 0];
    assert!(matches!(
        parse_status(StatusFormat::AwsHealth, "aws", &lone, NOW),
        Err(StatusError::Encoding { .. })
    ));
}

#[test]
fn garbage_never_panics() {
    // Every prefix of every sample, in every format: errors or values, never a panic.
    for sample in [STATUSPAGE_INCIDENT, STATUSPAGE_CLEAR, GOOGLE, AWS] {
        let bytes = sample.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            for format in [
                StatusFormat::Statuspage,
                StatusFormat::GoogleCloud,
                StatusFormat::AwsHealth,
            ] {
                let _ = parse_status(format, "p", &bytes[..cut], NOW);
            }
        }
    }
}

#[test]
fn poll_cadence() {
    assert_eq!(next_poll(NOW, false, false, Some(NOW)), None);
    assert_eq!(next_poll(NOW, true, true, None), Some(NOW));
    assert_eq!(
        next_poll(NOW, true, true, Some(NOW)),
        Some(NOW + 5 * 60_000)
    );
    assert_eq!(
        next_poll(NOW, false, true, Some(NOW)),
        Some(NOW + 3_600_000)
    );
    // A failure opening mid-hour brings the next poll forward to 5 minutes after the last.
    let last = NOW - 30 * 60_000;
    assert!(next_poll(NOW, true, true, Some(last)).unwrap() <= NOW);
    assert!(next_poll(NOW, false, true, Some(last)).unwrap() > NOW);
}

#[test]
fn formats_and_kinds() {
    assert_eq!(
        serde_json::to_value(StatusFormat::GoogleCloud).unwrap(),
        serde_json::json!("google-cloud")
    );
    assert_eq!(
        serde_json::from_value::<StatusFormat>(serde_json::json!("aws-health")).unwrap(),
        StatusFormat::AwsHealth
    );
    assert_eq!(
        serde_json::to_value(StatusFormat::Rss).unwrap(),
        serde_json::json!("rss")
    );
    // The shipped rules name their status sources by these formats.
    let rules = crate::rules::Rules::builtin().unwrap();
    let parsable = rules
        .providers()
        .iter()
        .filter_map(|p| p.status.as_ref())
        .count();
    assert!(parsable >= 3);
}

#[test]
fn dates() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_rfc3339("2024-05-01T12:00:00Z"), Some(NOW));
    assert_eq!(parse_rfc3339("2024-05-01T14:00:00+02:00"), Some(NOW));
    assert_eq!(
        parse_rfc3339("2024-05-01T07:00:00.250-05:00"),
        Some(NOW + 250)
    );
    assert_eq!(
        parse_rfc3339("2024-05-01T12:00:00.1234567Z"),
        Some(NOW + 123)
    );
    for bad in [
        "",
        "2024-05-01",
        "2024-13-01T00:00:00Z",
        "2024-05-01T12:00:00",
        "2024-05-01T12:00:00+0200",
        "1969-12-31T23:59:59Z",
        "2024-05-01T12:00:00.Z",
        "２024-05-01T12:00:00Z",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
    assert_eq!(
        epoch_text_to_rfc3339("1714564800").as_deref(),
        Some("2024-05-01T12:00:00Z")
    );
    assert_eq!(
        epoch_text_to_rfc3339("0").as_deref(),
        Some("1970-01-01T00:00:00Z")
    );
    assert_eq!(
        epoch_text_to_rfc3339("951782400").as_deref(),
        Some("2000-02-29T00:00:00Z")
    );
    assert_eq!(epoch_text_to_rfc3339("soon"), None);
    assert_eq!(epoch_text_to_rfc3339("-5"), None);
}

/// Azure's status feed while an incident is open, in the shape it is published (RSS 2.0 with an
/// Atom namespace, HTML descriptions in CDATA).
const AZURE_RSS_INCIDENT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>Azure Status</title>
    <link>https://azure.status.microsoft/en-us/status/</link>
    <description>Azure Status</description>
    <language>en-us</language>
    <lastBuildDate>Wed, 29 Oct 2025 17:05:00 Z</lastBuildDate>
    <item>
      <guid isPermaLink="false">https://azure.status.microsoft/en-us/status/#QNBQ-5W8</guid>
      <link>https://azure.status.microsoft/en-us/status/history/?trackingId=QNBQ-5W8</link>
      <category>Azure Front Door</category>
      <category>Global</category>
      <title>Active - Azure Front Door &amp; CDN &#8211; connectivity issues &nbsp;(Tracking ID QNBQ-5W8)</title>
      <description><![CDATA[<p><strong>Impact Statement:</strong> Starting at 16:00 UTC on 29 October 2025, customers &amp; Microsoft services leveraging Azure Front Door may experience latencies.</p>]]></description>
      <pubDate>Wed, 29 Oct 2025 16:45:00 Z</pubDate>
      <a10:updated>2025-10-29T17:00:00Z</a10:updated>
    </item>
    <item>
      <title>[RESOLVED] Storage - East US 2</title>
      <link>https://azure.status.microsoft/en-us/status/history/?trackingId=X</link>
      <pubDate>Tue, 28 Oct 2025 10:00:00 Z</pubDate>
    </item>
  </channel>
</rss>"#;

const AZURE_RSS_CLEAR: &str = r#"<?xml version="1.0" encoding="utf-8"?><rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0"><channel><title>Azure Status</title><link>https://azure.status.microsoft/en-us/status/</link><description>Azure Status</description><language>en-us</language><lastBuildDate>Thu, 30 Oct 2025 08:00:00 Z</lastBuildDate></channel></rss>"#;

#[test]
fn rss_items_are_open_incidents() {
    let st = parse_status(
        StatusFormat::Rss,
        "azure",
        AZURE_RSS_INCIDENT.as_bytes(),
        NOW,
    )
    .unwrap();
    assert!(st.is_failing());
    assert_eq!(st.indicator, Indicator::Major);
    assert_eq!(st.incidents.len(), 1, "the resolved item is left out");
    let i = &st.incidents[0];
    assert_eq!(i.provider, "azure");
    // Entities resolved (`&amp;`, `&#8211;`); `&nbsp;` is not XML and is kept as written.
    assert_eq!(
        i.title,
        "Active - Azure Front Door & CDN \u{2013} connectivity issues &nbsp;(Tracking ID QNBQ-5W8)"
    );
    assert_eq!(
        i.url.as_deref(),
        Some("https://azure.status.microsoft/en-us/status/history/?trackingId=QNBQ-5W8")
    );
    assert_eq!(i.started.as_deref(), Some("Wed, 29 Oct 2025 16:45:00 Z"));
    assert_eq!(i.affected, ["Azure Front Door", "Global"]);
    assert_eq!(i.severity, "incident");

    let clear = parse_status(StatusFormat::Rss, "azure", AZURE_RSS_CLEAR.as_bytes(), NOW).unwrap();
    assert!(!clear.is_failing());
    assert_eq!(clear.indicator, Indicator::None);
    assert!(clear.incidents.is_empty());
}

#[test]
fn rss_that_is_not_a_status_feed_is_refused() {
    let bad = |doc: &str| match parse_status(StatusFormat::Rss, "azure", doc.as_bytes(), NOW) {
        Err(StatusError::Malformed {
            format, message, ..
        }) => {
            assert_eq!(format, "rss");
            message
        }
        other => panic!("{doc:?} gave {other:?}"),
    };
    assert!(bad("<html><body>Service Unavailable</body></html>").contains("expected <rss>"));
    assert!(bad(r#"<rss version="2.0"></rss>"#).contains("no <channel>"));
    assert!(bad("<rss><channel><item><title>x</title>").contains("ends inside"));
    assert!(bad("<rss><channel><item></channel></rss>").contains("not well-formed"));
    assert!(bad("{\"status\": \"ok\"}").contains("not an RSS document"));
    assert!(
        bad("<rss><channel><title>&#xFFFFFFFF;</title></channel></rss>")
            .contains("character reference")
    );
    let deep = format!("<rss><channel>{}", "<x>".repeat(100));
    assert!(bad(&deep).contains("nested deeper"));
    let many = format!(
        "<rss><channel>{}</channel></rss>",
        "<item><title>t</title></item>".repeat(MAX_RSS_ITEMS + 1)
    );
    assert!(bad(&many).contains("more than"));
}

#[test]
fn rss_entities_from_a_doctype_never_expand() {
    // The "billion laughs": quick-xml reads no DTD, so the references stay as written, once.
    let lol = r#"<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><item><title>&lol3;</title></item></channel></rss>"#;
    let st = parse_status(StatusFormat::Rss, "azure", lol.as_bytes(), NOW).unwrap();
    assert_eq!(st.incidents[0].title, "&lol3;");
}
