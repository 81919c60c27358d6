//! Exercises every part of the core so that a wasm32 build links all of it; `cargo xtask test`
//! builds this for wasm32-unknown-unknown and fails if the module imports anything (in
//! particular from `env`, the sign of a libc or clock call sneaking into the sans-IO core).
#![deny(missing_docs)]

use onebasket::engine::{Engine, EngineConfig, Hints};
use onebasket::feeds::{FeedSet, FeedSpec};
use onebasket::knowledge;

/// A tiny AWS feed in the official format.
const AWS: &str = r#"{"syncToken":"1","createDate":"2026-08-22-15-17-05","prefixes":[{"ip_prefix":"3.5.140.0/22","region":"ap-northeast-2","network_border_group":"ap-northeast-2","service":"EC2"}],"ipv6_prefixes":[]}"#;

/// Runs a look-up and a snapshot round trip; returns a number that depends on all of it.
pub fn probe(seed: u32) -> u32 {
    let Ok(rules) = onebasket::rules::Rules::builtin() else {
        return 0;
    };
    let Ok(specs) = knowledge::feed_specs(&rules) else {
        return 1;
    };
    let mut set = FeedSet::new();
    let spec: Option<&FeedSpec> = specs.iter().find(|s| s.file == "ip-ranges.json");
    if let Some(spec) = spec {
        let _ = set.apply(spec, AWS.as_bytes());
    }
    let table = knowledge::build_table(&set, &specs);
    let snapshot = table.to_snapshot();
    let Ok(table) = onebasket::table::PrefixTable::from_snapshot(&snapshot) else {
        return 2;
    };
    let Ok(classifier) = knowledge::classifier(table) else {
        return 3;
    };
    let ip = std::net::IpAddr::from([3, 5, 140, (seed & 0xff) as u8]);
    let verdict = classifier.classify_ip(ip);
    let mut engine = Engine::new(classifier, EngineConfig::default());
    let mut n = u32::from(verdict.provider.is_some());
    if engine
        .start("www.example.com", Hints::default(), u64::from(seed))
        .is_ok()
    {
        while let Some(q) = engine.poll_query() {
            n += q.wire.len() as u32;
            engine.handle_failure(q.id, "probe", u64::from(seed));
        }
    }
    while let Some((_, p)) = engine.poll_profile() {
        n += p.evidence.len() as u32;
    }
    n + tracker(seed, &specs, &set)
}

/// Drives the tracker through a visit, its look-up and a table change.
fn tracker(seed: u32, specs: &[FeedSpec], set: &FeedSet) -> u32 {
    use onebasket::tracker::{Capabilities, Stored, Tracker, Traffic, TrafficResult};
    let empty = onebasket::table::PrefixTable::build(&[], Vec::new());
    let Ok(classifier) = knowledge::classifier(empty) else {
        return 4;
    };
    let now = u64::from(seed);
    let mut t = Tracker::restore(Stored::default(), classifier, Capabilities::default(), now);
    t.on_traffic(
        Traffic {
            tab: 1,
            url: "https://www.example.com/".into(),
            kind: "main_frame".into(),
            page_url: None,
            incognito: false,
            ip: None,
            result: TrafficResult::Response {
                status: Some(200),
                headers: Vec::new(),
            },
        },
        now,
    );
    let mut n = 0;
    while let Some(effect) = t.poll_effect() {
        n += 1;
        if let onebasket::tracker::Effect::Query { query, .. } = effect {
            t.answer(query.id, Err("probe".into()), now);
        }
    }
    t.table_changed(knowledge::build_table(set, specs), now);
    n + t.overview(now).sites.len() as u32
        + u32::from(t.tab_view("https://www.example.com/", now).site.is_some())
}

/// The exported entry point.
#[allow(unsafe_code)] // `no_mangle` is what makes the function an export of the module.
#[no_mangle]
pub extern "C" fn onebasket_probe(seed: u32) -> u32 {
    probe(seed)
}
