//! Provider status documents: every format on every input (so the real documents work as seeds
//! for all four), then link resolution and a serde round trip of what parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onebasket::status::{self, ProviderStatus, StatusFormat};

const FORMATS: [StatusFormat; 4] = [
    StatusFormat::Statuspage,
    StatusFormat::GoogleCloud,
    StatusFormat::AwsHealth,
    StatusFormat::Rss,
];

/// 2024-05-01T12:00:00Z, the seeds' "now": they hold both open and closed incidents.
const NOW: u64 = 1_714_564_800_000;

fuzz_target!(|data: &[u8]| {
    for format in FORMATS {
        let Ok(mut st) = status::parse_status(format, "p", data, NOW) else {
            continue;
        };
        assert_eq!(st.provider, "p");
        st.resolve_links("https://status.example.com/feed.json");
        for url in st.incidents.iter().filter_map(|i| i.url.as_deref()) {
            assert!(url.contains("://"), "relative link left: {url:?}");
        }
        let json = serde_json::to_string(&st).expect("serializes");
        let back: ProviderStatus = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, st);
    }
});
