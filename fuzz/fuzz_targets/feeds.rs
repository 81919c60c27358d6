//! Every feed parser on every input: the built-in specs (all official feed files, `manual` ones
//! included) plus one spec per format no official file uses (the Cloudflare API JSON), so every
//! parser is reached and the real fixture files work as seeds unchanged. Successful parses go through `FeedSet::apply`,
//! `FeedSet::records` (with goog.json's `minus`) and the table snapshot.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onebasket::feeds::{self, FeedFormat, FeedSet, FeedSpec};
use onebasket::knowledge;
use onebasket::rules::Rules;
use onebasket::table::PrefixTable;

fn specs() -> &'static [FeedSpec] {
    static SPECS: OnceLock<Vec<FeedSpec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        let rules = Rules::builtin().expect("built-in rules");
        // Every feed of the rules (manual ones too) covers each format with the options the
        // real feeds use (json-lists with and without `lists`, `prefix_field`, `date_field`).
        let mut specs = knowledge::all_feed_specs(&rules);
        for &format in FeedFormat::ALL {
            if !specs.iter().any(|s| s.format == format) {
                specs.push(FeedSpec::new(
                    &format!("extra-{format}"),
                    "",
                    "extra",
                    format,
                ));
            }
        }
        specs
    })
}

fuzz_target!(|data: &[u8]| {
    let specs = specs();
    let mut set = FeedSet::new();
    let mut any = false;
    for spec in specs {
        let Ok(feed) = feeds::parse(spec, data) else {
            // A failed apply must leave the set as it was.
            assert!(set.apply(spec, data).is_err());
            assert!(set.get(&spec.file).is_none());
            continue;
        };
        any = true;
        assert!(
            !feed.records.is_empty(),
            "{}: empty feed accepted",
            spec.file
        );
        assert_eq!(feed.file, spec.file);
        assert_eq!(feed.provider, spec.provider);
        // Sorted and deduplicated, host bits cleared.
        assert!(feed.records.windows(2).all(|w| w[0] < w[1]));
        for r in &feed.records {
            assert_eq!(r.prefix, r.prefix.trunc(), "{}: host bits kept", spec.file);
        }
        let applied = set.apply(spec, data).expect("parse succeeded once");
        assert_eq!(applied, &feed);
    }
    if !any {
        return;
    }
    let records = set.records(specs);
    assert!(records.windows(2).all(|w| w[0] < w[1]));
    // The table and its snapshot for small sets only: building them for the thousands of
    // records of a real file on every execution would slow the fuzzer down a hundredfold.
    if records.len() > 256 {
        return;
    }
    let table = knowledge::build_table(&set, specs);
    let snapshot = table.to_snapshot();
    let back = PrefixTable::from_snapshot(&snapshot).expect("own snapshot loads");
    assert_eq!(back.to_snapshot(), snapshot);
    assert_eq!(back.len(), table.len());
});
