//! Hostname → site key: `normalize_host` and `SiteKeys::site_key` on any text. A normalized name
//! is a valid DNS query name, normalizing is idempotent, and a site key is a suffix of its host.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onebasket::dns::{self, QueryType};
use onebasket::site::{self, HostKind, SiteKey, SiteKeys};

fn keys() -> &'static SiteKeys {
    static KEYS: OnceLock<SiteKeys> = OnceLock::new();
    KEYS.get_or_init(SiteKeys::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let normalized = site::normalize_host(input);
    let key = keys().site_key(input);
    assert_eq!(normalized.is_ok(), key.is_ok(), "{input:?}");
    let (Ok(kind), Ok(key)) = (normalized, key) else {
        return;
    };
    match kind {
        HostKind::Ip(ip) => assert_eq!(key, SiteKey::Ip(ip)),
        HostKind::Name(host) => {
            let name = host.as_str();
            assert!(name.len() <= site::MAX_HOST_LEN, "{name}");
            assert!(name
                .split('.')
                .all(|l| !l.is_empty() && l.len() <= site::MAX_LABEL_LEN));
            assert_eq!(name, name.to_ascii_lowercase());
            assert!(
                dns::build_query(name, QueryType::A).is_ok(),
                "{input:?} normalizes to {name:?}, which cannot be queried"
            );
            // Normalizing again changes nothing.
            match site::normalize_host(name) {
                Ok(HostKind::Name(again)) => assert_eq!(again.as_str(), name, "{input:?}"),
                other => panic!("{input:?} → {name:?} → {other:?}"),
            }
            assert_eq!(keys().site_key(name).ok(), Some(key.clone()));
            let k = key.as_str();
            assert!(
                name == k || name.ends_with(&format!(".{k}")),
                "site {k:?} is not a suffix of {name:?}"
            );
        }
    }
});
