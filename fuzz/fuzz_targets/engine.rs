//! The look-up engine driven by arbitrary answers. The input picks the host, the settings, and
//! for each query the engine asks: a transport failure, raw wire or JSON bytes, or a JSON answer
//! built from the input with records of any type for names on and off the question's chain
//! (CNAME chains and loops across answers, 0 and huge TTLs, Team Cymru TXT, SOA). The clock
//! moves forward by input-chosen steps, so cached answers expire. Invariants: the engine asks a
//! bounded number of queries, and once every query is answered every look-up has finished.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onebasket::classify::Classifier;
use onebasket::engine::{AnswerFormat, Engine, EngineConfig, Hints, Query};
use onebasket::rules::Rules;
use onebasket::site::SiteKeys;
use onebasket::table::{FeedInfo, PrefixTable};
use onebasket::PrefixRecord;

/// Far more queries than any look-up needs (A, AAAA, their chains, NS, two Cymru TXT).
const MAX_QUERIES: usize = 400;

const HOSTS: [&str; 8] = [
    "www.example.com",
    "example.com",
    "a.example.net",
    "shop.example.co.uk",
    "3.5.140.2",
    "[2600:1f18::1]",
    "printer.local",
    "xn--mnchen-3ya.de",
];

const NAMES: [&str; 8] = [
    "www.example.com",
    "example.com",
    "a.example.net",
    "b.example.net",
    "shop.example.co.uk",
    "example.co.uk",
    "x.cdn.cloudflare.net",
    "d1.cloudfront.net",
];

const TTLS: [u32; 6] = [0, 1, 60, 300, 86_400, u32::MAX];

fn parts() -> &'static (PrefixTable, Rules, SiteKeys) {
    static PARTS: OnceLock<(PrefixTable, Rules, SiteKeys)> = OnceLock::new();
    PARTS.get_or_init(|| {
        let rec = |p: &str, provider: &str, region: Option<&str>| {
            PrefixRecord::new(p.parse().expect("prefix"), provider, region, None)
        };
        let records = [
            rec("3.5.140.0/22", "aws", Some("ap-northeast-2")),
            rec("104.16.0.0/13", "cloudflare", None),
            rec("2600:1f18::/33", "aws", Some("us-east-1")),
            rec("1.0.0.0/8", "gcp", Some("us-central1")),
        ];
        let feeds = vec![FeedInfo {
            file: "fuzz".into(),
            provider: "aws".into(),
            date: None,
            version: None,
            records: 4,
        }];
        (
            PrefixTable::build(&records, feeds),
            Rules::builtin().expect("built-in rules"),
            SiteKeys::builtin(),
        )
    })
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
        Some(from[usize::from(self.byte()?) % from.len()])
    }
}

fn record(input: &mut Input<'_>, q: &Query) -> Option<serde_json::Value> {
    let kind = input.byte()?;
    let owner = if kind & 0x80 == 0 {
        q.name.clone()
    } else {
        input.pick(&NAMES)?.to_owned()
    };
    let ttl = input.pick(&TTLS)?;
    let (rtype, data) = match kind % 7 {
        0 => {
            let b = input.take(4);
            (
                1,
                format!("{}.{}.{}.{}", b.first()?, b.get(1)?, b.get(2)?, b.get(3)?),
            )
        }
        1 => {
            let b = input.take(16);
            let mut a = [0u8; 16];
            a.get_mut(..b.len())?.copy_from_slice(b);
            (28, std::net::Ipv6Addr::from(a).to_string())
        }
        2 => (5, input.pick(&NAMES)?.to_owned()),
        3 => (2, "dana.ns.cloudflare.com".to_owned()),
        4 => {
            let asn = u32::from(input.byte()?) * 257;
            let b = input.take(3);
            (
                16,
                format!(
                    "\"{asn} | {}.{}.{}.0/24 | US | arin | 2000-01-01\"",
                    b.first()?,
                    b.get(1)?,
                    b.get(2)?
                ),
            )
        }
        5 => {
            let asn = u32::from(input.byte()?) * 257;
            (
                16,
                format!("\"{asn} | US | arin | 2000-01-01 | HOLDER, US\""),
            )
        }
        _ => {
            let min = input.pick(&TTLS)?;
            (
                6,
                format!("ns1.example.net. h.example.net. 1 7200 3600 1209600 {min}"),
            )
        }
    };
    Some(serde_json::json!({"name": owner, "type": rtype, "TTL": ttl, "data": data}))
}

/// A JSON answer to `q` built from the input.
fn structured(input: &mut Input<'_>, q: &Query) -> Option<Vec<u8>> {
    let flags = input.byte()?;
    let status = if flags & 0x07 < 5 { 0 } else { flags & 0x07 };
    let count = (flags >> 3) & 0x07;
    let mut answers = Vec::new();
    let mut authority = Vec::new();
    for _ in 0..count {
        let r = record(input, q)?;
        if r["type"] == 6 {
            authority.push(r);
        } else {
            answers.push(r);
        }
    }
    let doc = serde_json::json!({
        "Status": status,
        "TC": flags & 0x40 != 0 && flags & 0x80 != 0,
        "Question": [{"name": q.name, "type": q.qtype.code()}],
        "Answer": answers,
        "Authority": authority,
    });
    serde_json::to_vec(&doc).ok()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(setup) = input.byte() else { return };
    let (table, rules, sites) = parts();
    let config = EngineConfig {
        asn_lookups: setup & 1 == 1,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(
        Classifier::new(table.clone(), rules.clone(), sites.clone()),
        config,
    );
    let mut now = 1_767_225_600_000u64;
    let mut started = 0;
    let host = HOSTS[usize::from(setup >> 1) % HOSTS.len()];
    for _ in 0..1 + usize::from(setup >> 7) {
        engine
            .start(host, Hints::default(), now)
            .expect("valid host");
        started += 1;
    }
    let mut asked = 0;
    let mut finished = 0;
    while let Some(q) = engine.poll_query() {
        asked += 1;
        assert!(asked <= MAX_QUERIES, "more than {MAX_QUERIES} queries");
        let mode = input.byte();
        now += u64::from(mode.unwrap_or(0) >> 4) * 30_000;
        match mode.map(|m| m & 0x0f) {
            None | Some(0) => engine.handle_failure(q.id, "fuzz", now),
            Some(1) => {
                let n = usize::from(input.byte().unwrap_or(0)) * 2;
                let body = input.take(n).to_vec();
                engine.handle_response(q.id, AnswerFormat::Wire, &body, now);
            }
            Some(2) => {
                let n = usize::from(input.byte().unwrap_or(0)) * 2;
                let body = input.take(n).to_vec();
                engine.handle_response(q.id, AnswerFormat::Json, &body, now);
            }
            Some(_) => match structured(&mut input, &q) {
                Some(body) => engine.handle_response(q.id, AnswerFormat::Json, &body, now),
                None => engine.handle_failure(q.id, "fuzz", now),
            },
        }
        // A later look-up of the same host, once, to reuse (or expire) the cache mid-flight.
        if started < 3 && mode.is_some_and(|m| m == 0xff) {
            engine
                .start(host, Hints::default(), now)
                .expect("valid host");
            started += 1;
        }
        while engine.poll_profile().is_some() {
            finished += 1;
        }
    }
    while engine.poll_profile().is_some() {
        finished += 1;
    }
    assert_eq!(
        engine.pending(),
        0,
        "look-ups left with no query outstanding"
    );
    assert_eq!(finished, started);
});
