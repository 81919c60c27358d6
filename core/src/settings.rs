//! The user's settings (the `settings` key of `chrome.storage.local`) and their validation.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::dns::DEFAULT_RESOLVER;
use crate::site::host_of_url;

/// The user's settings, stored under the `settings` key of `chrome.storage.local`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// RFC 8484 resolver URL.
    pub resolver: String,
    /// Base URL of a feed mirror holding the official file names, or `null` for the official URLs.
    pub feed_base: Option<String>,
    /// Ask Team Cymru (over the same resolver) for the AS of each site's address.
    pub asn_lookups: bool,
    /// Record sites visited in incognito / private windows.
    pub record_incognito: bool,
    /// Forget sites not visited for this many days.
    pub retention_days: u32,
    /// Resolve addresses with the browser's own resolver where it has one (Firefox
    /// `dns.resolve`) instead of the DoH resolver; NS and AS look-ups still use DoH.
    pub resolve_with_browser: bool,
    /// Check recently visited sites now and then (a DoH resolution and a HEAD request).
    pub active_checks: bool,
    /// Minutes between checks of a healthy site.
    pub check_interval_minutes: u32,
    /// Poll the status pages of the providers the user's sites use.
    pub status_feeds: bool,
    /// Show a notification when failures concentrate on one provider (needs the optional
    /// `notifications` permission).
    pub notify_failures: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resolver: DEFAULT_RESOLVER.to_owned(),
            feed_base: None,
            asn_lookups: true,
            record_incognito: false,
            retention_days: 30,
            resolve_with_browser: false,
            active_checks: true,
            check_interval_minutes: 5,
            status_feeds: true,
            notify_failures: false,
        }
    }
}

/// Why a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A URL setting is not an absolute http(s) URL.
    #[error("{field}: {value:?} is not an absolute URL")]
    NotAUrl {
        /// Which setting.
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// Plain http is only allowed for loopback (testing, a local resolver).
    #[error("{field}: must be https (plain http only on localhost / 127.0.0.1 / [::1])")]
    NotHttps {
        /// Which setting.
        field: &'static str,
    },
    /// Retention outside 1..=3650 days.
    #[error("retentionDays must be between 1 and 3650, not {0}")]
    Retention(u32),
    /// Check interval outside 1..=1440 minutes.
    #[error("checkIntervalMinutes must be between 1 and 1440, not {0}")]
    CheckInterval(u32),
}

impl Settings {
    /// Checks the URLs (https, or http on loopback) and the retention period.
    pub fn validate(&self) -> Result<(), SettingsError> {
        check_url("resolver", &self.resolver)?;
        if let Some(base) = &self.feed_base {
            check_url("feedBase", base)?;
        }
        if !(1..=3650).contains(&self.retention_days) {
            return Err(SettingsError::Retention(self.retention_days));
        }
        if !(1..=1440).contains(&self.check_interval_minutes) {
            return Err(SettingsError::CheckInterval(self.check_interval_minutes));
        }
        Ok(())
    }

    /// The failure detector's tunables for these settings.
    pub fn health_config(&self) -> crate::health::HealthConfig {
        crate::health::HealthConfig {
            check_interval_ms: u64::from(self.check_interval_minutes) * 60_000,
            ..crate::health::HealthConfig::default()
        }
    }

    /// True when the resolver runs on this machine (then local names may be asked).
    pub fn resolver_is_loopback(&self) -> bool {
        host_of_url(&self.resolver).is_some_and(|h| is_loopback_host(&h))
    }
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Accepts `https://host…` anywhere and `http://` only on loopback.
fn check_url(field: &'static str, value: &str) -> Result<(), SettingsError> {
    let not_url = || SettingsError::NotAUrl {
        field,
        value: value.to_owned(),
    };
    let (scheme, _) = value.split_once("://").ok_or_else(not_url)?;
    // The crate's one URL parser; a host with spaces is no URL a user meant.
    let host = host_of_url(value)
        .filter(|h| !h.contains(char::is_whitespace))
        .ok_or_else(not_url)?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" => {
            if is_loopback_host(&host) {
                Ok(())
            } else {
                Err(SettingsError::NotHttps { field })
            }
        }
        _ => Err(not_url()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_defaults_and_wire_names() {
        let s = Settings::default();
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"resolver": DEFAULT_RESOLVER, "feedBase": null, "asnLookups": true, "recordIncognito": false, "retentionDays": 30, "resolveWithBrowser": false, "activeChecks": true, "checkIntervalMinutes": 5, "statusFeeds": true, "notifyFailures": false})
        );
        // Missing keys take their defaults: an older or partial stored object still loads.
        let partial: Settings = serde_json::from_str(r#"{"recordIncognito": true}"#).unwrap();
        assert!(partial.record_incognito);
        assert_eq!(partial.resolver, DEFAULT_RESOLVER);
    }

    #[test]
    fn settings_validation() {
        let mut s = Settings::default();
        assert!(s.validate().is_ok());
        for ok in [
            "http://127.0.0.1:8053/dns-query",
            "http://localhost/x",
            "http://[::1]:5/q",
            "https://dns.example/q",
            "HTTP://LocalHost:8053/q",
        ] {
            s.resolver = ok.to_owned();
            assert!(s.validate().is_ok(), "{ok}");
        }
        for bad in [
            "http://dns.example/q",
            "ftp://x/",
            "dns.google",
            "https://",
            "http://10.0.0.1/q",
            "https://dns example/q",
            "http://user@localhost.evil.example/q",
        ] {
            s.resolver = bad.to_owned();
            assert!(s.validate().is_err(), "{bad}");
        }
        s.resolver = DEFAULT_RESOLVER.to_owned();
        s.feed_base = Some("http://mirror.example".to_owned());
        assert_eq!(
            s.validate(),
            Err(SettingsError::NotHttps { field: "feedBase" })
        );
        s.feed_base = None;
        s.retention_days = 0;
        assert!(s.validate().is_err());
    }
}
