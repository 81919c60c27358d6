#![allow(clippy::unwrap_used)]

use super::checks::*;
use super::errors::*;
use super::state::*;
use super::*;
use crate::profile::Resolution;

const T0: Millis = 1_780_000_000_000;
const SEC: Millis = 1_000;

fn cfg() -> HealthConfig {
    HealthConfig::default()
}

fn ok(at: Millis) -> Observation {
    Observation::Response { at, status: 200 }
}

fn fail(at: Millis) -> Observation {
    Observation::from_error(at, "net::ERR_CONNECTION_REFUSED")
}

const CHECK_OK: CheckOutcome = CheckOutcome {
    dns: DnsCheck::Resolved,
    http: Some(HttpCheck::Status(200)),
};
const CHECK_503: CheckOutcome = CheckOutcome {
    dns: DnsCheck::Resolved,
    http: Some(HttpCheck::Status(503)),
};
const CHECK_TIMEOUT: CheckOutcome = CheckOutcome {
    dns: DnsCheck::Resolved,
    http: Some(HttpCheck::TimedOut),
};
const CHECK_NO_NETWORK: CheckOutcome = CheckOutcome {
    dns: DnsCheck::ResolverFailed,
    http: Some(HttpCheck::Failed),
};

#[test]
fn chrome_and_firefox_errors_are_classified() {
    use NetErrorKind::*;
    let cases = [
        ("net::ERR_NAME_NOT_RESOLVED", NameNotResolved, Verdict::Fail),
        (
            "net::ERR_CONNECTION_REFUSED",
            ConnectionRefused,
            Verdict::Fail,
        ),
        ("net::ERR_CONNECTION_RESET", ConnectionReset, Verdict::Fail),
        ("net::ERR_CONNECTION_TIMED_OUT", TimedOut, Verdict::Fail),
        ("net::ERR_TIMED_OUT", TimedOut, Verdict::Fail),
        ("net::ERR_SSL_PROTOCOL_ERROR", Tls, Verdict::Fail),
        ("net::ERR_CERT_DATE_INVALID", Certificate, Verdict::Fail),
        (
            "net::ERR_CERT_COMMON_NAME_INVALID",
            Certificate,
            Verdict::Fail,
        ),
        ("net::ERR_ADDRESS_UNREACHABLE", Unreachable, Verdict::Fail),
        ("net::ERR_EMPTY_RESPONSE", BadResponse, Verdict::Fail),
        (
            "net::ERR_CONNECTION_FAILED",
            ConnectionFailed,
            Verdict::Fail,
        ),
        (
            "net::ERR_INTERNET_DISCONNECTED",
            Offline,
            Verdict::Inconclusive,
        ),
        (
            "net::ERR_NAME_RESOLUTION_FAILED",
            ResolverFailed,
            Verdict::Inconclusive,
        ),
        (
            "net::ERR_NETWORK_CHANGED",
            LocalNetwork,
            Verdict::Inconclusive,
        ),
        (
            "net::ERR_PROXY_CONNECTION_FAILED",
            LocalNetwork,
            Verdict::Inconclusive,
        ),
        ("net::ERR_ABORTED", Aborted, Verdict::Ignore),
        ("net::ERR_BLOCKED_BY_CLIENT", Blocked, Verdict::Ignore),
        ("net::ERR_BLOCKED_BY_RESPONSE", Blocked, Verdict::Ignore),
        ("net::ERR_CACHE_MISS", Cache, Verdict::Ignore),
        ("NS_ERROR_UNKNOWN_HOST", NameNotResolved, Verdict::Fail),
        (
            "NS_ERROR_CONNECTION_REFUSED",
            ConnectionRefused,
            Verdict::Fail,
        ),
        ("NS_ERROR_NET_RESET", ConnectionReset, Verdict::Fail),
        ("NS_ERROR_NET_TIMEOUT", TimedOut, Verdict::Fail),
        ("SSL_ERROR_NO_CYPHER_OVERLAP", Tls, Verdict::Fail),
        ("SEC_ERROR_EXPIRED_CERTIFICATE", Certificate, Verdict::Fail),
        ("NS_BINDING_ABORTED", Aborted, Verdict::Ignore),
        ("NS_ERROR_OFFLINE", Offline, Verdict::Inconclusive),
        (
            "  net::err_connection_refused ",
            ConnectionRefused,
            Verdict::Fail,
        ),
        ("net::ERR_SOMETHING_NEW", Other, Verdict::Ignore),
        ("", Other, Verdict::Ignore),
    ];
    for (text, kind, verdict) in cases {
        assert_eq!(classify_net_error(text), kind, "{text}");
        assert_eq!(kind.verdict(), verdict, "{text}");
    }
}

#[test]
fn http_statuses() {
    let at = T0;
    for (status, v) in [
        (200, Verdict::Ok),
        (304, Verdict::Ok),
        (404, Verdict::Ok),
        (429, Verdict::Ok),
        (500, Verdict::Fail),
        (503, Verdict::Fail),
        (522, Verdict::Fail),
        (0, Verdict::Inconclusive),
    ] {
        assert_eq!(
            Observation::Response { at, status }.verdict(),
            v,
            "{status}"
        );
    }
    assert!(needs_get_fallback(405) && needs_get_fallback(501));
    assert!(!needs_get_fallback(200) && !needs_get_fallback(503));
}

#[test]
fn never_seen_is_unknown_and_ok_is_up() {
    let c = cfg();
    let mut h = SiteHealth::default();
    assert_eq!(h.state(T0, &c), HealthState::Unknown);
    assert_eq!(h.record(&ok(T0), T0, &c), HealthState::Up);
    assert_eq!(h.verdict, HealthState::Up);
}

#[test]
fn single_failure_among_many_oks_is_up_alone_is_degraded() {
    let c = cfg();
    // One failure after seven successes: 1 of 8 is under a quarter.
    let mut h = SiteHealth::default();
    for i in 0..7 {
        h.record(&ok(T0 + i * 10 * SEC), T0 + i * 10 * SEC, &c);
    }
    let t = T0 + 80 * SEC;
    assert_eq!(h.record(&fail(t), t, &c), HealthState::Up);
    // One failure after three successes: 1 of 4 is a quarter → degraded.
    let mut h = SiteHealth::default();
    for i in 0..3 {
        h.record(&ok(T0 + i * SEC), T0 + i * SEC, &c);
    }
    assert_eq!(
        h.record(&fail(T0 + 5 * SEC), T0 + 5 * SEC, &c),
        HealthState::Degraded
    );
    // A lone failure on a site never seen otherwise: "some requests failed".
    let mut h = SiteHealth::default();
    assert_eq!(h.record(&fail(T0), T0, &c), HealthState::Degraded);
}

#[test]
fn flapping_site_is_degraded_not_down() {
    let c = cfg();
    let mut h = SiteHealth::default();
    for i in 0..20 {
        let t = T0 + i * 15 * SEC;
        let obs = if i % 2 == 0 { fail(t) } else { ok(t) };
        let state = h.record(&obs, t, &c);
        assert_ne!(state, HealthState::Down, "step {i}");
        if i > 0 {
            assert_eq!(state, HealthState::Degraded, "step {i}");
        }
    }
    assert!(h.samples.len() <= c.max_samples);
}

#[test]
fn consecutive_failures_make_down_and_one_ok_makes_up() {
    let c = cfg();
    let mut h = SiteHealth::default();
    for i in 0..5 {
        h.record(&ok(T0 + i * SEC), T0 + i * SEC, &c);
    }
    let t = T0 + 10 * SEC;
    assert_eq!(h.record(&fail(t), t, &c), HealthState::Up);
    assert_eq!(h.record(&fail(t + SEC), t + SEC, &c), HealthState::Degraded);
    assert_eq!(
        h.record(&fail(t + 2 * SEC), t + 2 * SEC, &c),
        HealthState::Down
    );
    // Down stays down well past the window while nothing answers.
    assert_eq!(h.state(t + 30 * 60 * SEC, &c), HealthState::Down);
    // An answer ends the outage at once, and its failures do not linger as "degraded".
    let back = t + 31 * 60 * SEC;
    let mut h2 = h.clone();
    assert_eq!(h2.record(&ok(back), back, &c), HealthState::Up);
    // Even inside the window.
    assert_eq!(h.record(&ok(t + 3 * SEC), t + 3 * SEC, &c), HealthState::Up);
    assert_eq!(h.consecutive_failures, 0);
}

#[test]
fn failures_age_out_of_the_window() {
    let c = cfg();
    let mut h = SiteHealth::default();
    h.record(&ok(T0), T0, &c);
    let t = T0 + SEC;
    assert_eq!(h.record(&fail(t), t, &c), HealthState::Degraded);
    // Nine minutes later the failure still counts; eleven minutes later it is gone.
    assert_eq!(h.state(t + 9 * 60 * SEC, &c), HealthState::Degraded);
    assert_eq!(h.state(t + 11 * 60 * SEC, &c), HealthState::Up);
    // A new success prunes the old samples from the stored ring.
    let later = t + 12 * 60 * SEC;
    h.record(&ok(later), later, &c);
    assert_eq!(
        h.samples,
        vec![Sample {
            at: later,
            ok: true
        }]
    );
    // Hours without a conclusive observation: unknown.
    assert_eq!(h.state(later + 3 * 3_600 * SEC, &c), HealthState::Unknown);
}

#[test]
fn a_failure_never_confirmed_and_aged_out_is_unknown() {
    let c = cfg();
    let mut h = SiteHealth::default();
    h.record(&fail(T0), T0, &c);
    assert_eq!(h.state(T0 + 20 * 60 * SEC, &c), HealthState::Unknown);
}

#[test]
fn ignored_errors_change_nothing() {
    let c = cfg();
    let mut h = SiteHealth::default();
    h.record(&ok(T0), T0, &c);
    let before = h.clone();
    for e in [
        "net::ERR_ABORTED",
        "net::ERR_BLOCKED_BY_CLIENT",
        "NS_BINDING_ABORTED",
        "net::ERR_CACHE_MISS",
    ] {
        assert_eq!(
            h.record(&Observation::from_error(T0 + SEC, e), T0 + SEC, &c),
            HealthState::Up
        );
    }
    assert_eq!(h.samples, before.samples);
    assert_eq!(h.consecutive_failures, 0);
}

#[test]
fn resolver_outage_makes_unknown_not_down() {
    let c = cfg();
    let mut h = SiteHealth::default();
    h.after_check(&CHECK_OK, false, T0, &c);
    let resolver_down = CheckOutcome {
        dns: DnsCheck::ResolverFailed,
        http: Some(HttpCheck::Failed),
    };
    assert_eq!(resolver_down.verdict(), Verdict::Inconclusive);
    let mut t = T0;
    for _ in 0..10 {
        t += 5 * 60 * SEC;
        assert_eq!(
            h.after_check(&resolver_down, false, t, &c),
            HealthState::Unknown
        );
    }
    assert_eq!(h.consecutive_failures, 0);
    // A passive ERR_NAME_RESOLUTION_FAILED is the resolver too.
    let obs = Observation::from_error(t + SEC, "net::ERR_NAME_RESOLUTION_FAILED");
    assert_eq!(h.record(&obs, t + SEC, &c), HealthState::Unknown);
    // The resolver is broken but the site answers: up.
    let site_fine = CheckOutcome {
        dns: DnsCheck::ResolverFailed,
        http: Some(HttpCheck::Status(200)),
    };
    assert_eq!(
        h.after_check(&site_fine, false, t + 2 * SEC, &c),
        HealthState::Up
    );
    // The site's own DNS failing (NXDOMAIN, SERVFAIL) is a site failure.
    for dns in [DnsCheck::NoSuchName, DnsCheck::ServFail] {
        let o = CheckOutcome { dns, http: None };
        assert_eq!(o.verdict(), Verdict::Fail);
    }
    assert_eq!(
        DnsCheck::from_resolution(&Resolution::ResolverError("timeout".into())),
        DnsCheck::ResolverFailed
    );
    assert_eq!(
        DnsCheck::from_resolution(&Resolution::NxDomain),
        DnsCheck::NoSuchName
    );
    assert_eq!(
        DnsCheck::from_resolution(&Resolution::Ok),
        DnsCheck::Resolved
    );
}

#[test]
fn user_offline_is_detected_and_no_site_goes_down() {
    let c = cfg();
    let mut sites: Vec<SiteHealth> = (0..5).map(|_| SiteHealth::default()).collect();
    for h in &mut sites {
        h.after_check(&CHECK_OK, false, T0, &c);
    }
    let round = vec![CHECK_NO_NETWORK; 5];
    assert!(is_offline(&round));
    let mut t = T0;
    for _ in 0..6 {
        t += 5 * 60 * SEC;
        let offline = is_offline(&round);
        for (h, o) in sites.iter_mut().zip(&round) {
            let state = h.after_check(o, offline, t, &c);
            assert_eq!(state, HealthState::Unknown);
        }
    }
    assert!(sites.iter().all(|h| h.consecutive_failures == 0));
    // Even outcomes that would otherwise count (a timeout with DNS "skipped") are not held
    // against the site while the round says offline.
    let mixed = [
        CheckOutcome::RESOLVER_FAILED,
        CheckOutcome {
            dns: DnsCheck::Skipped,
            http: Some(HttpCheck::TimedOut),
        },
    ];
    assert!(is_offline(&mixed));
    let mut h = sites[0].clone();
    h.after_check(&mixed[1], true, t + SEC, &c);
    assert_eq!(h.consecutive_failures, 0);
    // Back online: the next good round is up again.
    assert_eq!(
        sites[0].after_check(&CHECK_OK, false, t + 60 * SEC, &c),
        HealthState::Up
    );
}

#[test]
fn offline_needs_every_check_failed_including_the_resolver() {
    assert!(!is_offline(&[]));
    assert!(is_offline(&[CheckOutcome::RESOLVER_FAILED]));
    // The resolver works: several sites failing is an outage, not the user's network.
    assert!(!is_offline(&[CHECK_TIMEOUT, CHECK_TIMEOUT, CHECK_TIMEOUT]));
    // Any HTTP answer, even a 503, means the network works.
    assert!(!is_offline(&[
        CHECK_NO_NETWORK,
        CheckOutcome {
            dns: DnsCheck::ResolverFailed,
            http: Some(HttpCheck::Status(503)),
        }
    ]));
    // Nobody asked the resolver: no proof of being offline.
    let no_dns = CheckOutcome {
        dns: DnsCheck::Skipped,
        http: Some(HttpCheck::Failed),
    };
    assert!(!is_offline(&[no_dns, no_dns]));
    // A name that does not exist is an answer from the resolver.
    assert!(!is_offline(&[
        CHECK_NO_NETWORK,
        CheckOutcome {
            dns: DnsCheck::NoSuchName,
            http: None,
        }
    ]));
}

#[test]
fn backoff_grows_to_the_cap_and_resets() {
    let c = cfg();
    let mut h = SiteHealth::default();
    let mut t = T0;
    h.after_check(&CHECK_OK, false, t, &c);
    assert_eq!(h.next_check, t + c.check_interval_ms);
    let mut delays = Vec::new();
    let mut states = Vec::new();
    for _ in 0..7 {
        t = h.next_check;
        states.push(h.after_check(&CHECK_503, false, t, &c));
        delays.push((h.next_check - t) / (60 * SEC));
    }
    // Two quick confirmations, then 10, 20, 40 minutes and the one-hour cap.
    assert_eq!(delays, vec![1, 1, 10, 20, 40, 60, 60]);
    assert_eq!(states[0], HealthState::Degraded);
    assert_eq!(states[2], HealthState::Down);
    assert!(states[2..].iter().all(|s| *s == HealthState::Down));
    assert!(!h.due(h.next_check - 1));
    assert!(h.due(h.next_check));
    t = h.next_check;
    assert_eq!(h.after_check(&CHECK_OK, false, t, &c), HealthState::Up);
    assert_eq!(h.failed_checks, 0);
    assert_eq!(h.next_check, t + c.check_interval_ms);
    // Inconclusive checks keep the normal pace and do not grow the backoff.
    h.after_check(&CHECK_NO_NETWORK, false, t + SEC, &c);
    assert_eq!(h.next_check, t + SEC + c.check_interval_ms);
    assert_eq!(h.failed_checks, 0);
}

#[test]
fn passive_observations_reschedule_the_check() {
    let c = cfg();
    let mut h = SiteHealth::default();
    assert!(h.due(T0));
    h.record(&ok(T0), T0, &c);
    assert!(!h.due(T0 + 60 * SEC));
    assert!(h.due(T0 + c.check_interval_ms));
    // A passive failure brings the check forward to confirm it.
    let t = T0 + 2 * 60 * SEC;
    h.record(&fail(t), t, &c);
    assert_eq!(h.next_check, t + c.confirm_interval_ms);
    // A site in deep backoff that the user loads fine is back to the normal pace.
    let mut down = SiteHealth::default();
    let mut t = T0;
    for _ in 0..6 {
        down.after_check(&CHECK_503, false, t, &c);
        t = down.next_check;
    }
    assert_eq!(down.next_check - down.last_check.unwrap(), c.max_backoff_ms);
    let seen = down.last_check.unwrap() + 60 * SEC;
    assert_eq!(down.record(&ok(seen), seen, &c), HealthState::Up);
    assert_eq!(down.failed_checks, 0);
    assert_eq!(down.next_check, seen + c.check_interval_ms);
}

#[test]
fn sites_due_only_recent_and_due_most_overdue_first() {
    let c = cfg();
    let now = T0 + 10 * 3_600 * SEC;
    let fresh = SiteHealth::default(); // next_check 0: due
    let later = SiteHealth {
        next_check: now + 60 * SEC,
        ..SiteHealth::default()
    };
    let overdue = SiteHealth {
        next_check: now - 3_600 * SEC,
        ..SiteHealth::default()
    };
    let sites = [
        ("a.example", &fresh, now - 60 * SEC),
        ("b.example", &later, now - 60 * SEC),
        ("c.example", &overdue, now - 60 * SEC),
        ("old.example", &fresh, now - 3 * 3_600 * SEC),
    ];
    assert_eq!(
        sites_due(sites.iter().copied(), now, &c),
        vec!["a.example".to_owned(), "c.example".to_owned()]
    );
    let small = HealthConfig {
        max_checks_per_round: 1,
        ..cfg()
    };
    assert_eq!(sites_due(sites.iter().copied(), now, &small).len(), 1);
}

#[test]
fn site_health_serializes_small_and_camel_case() {
    let c = cfg();
    let mut h = SiteHealth::default();
    h.after_check(&CHECK_503, false, T0, &c);
    let v = serde_json::to_value(&h).unwrap();
    assert_eq!(v["consecutiveFailures"], 1);
    assert_eq!(v["verdict"], "degraded");
    assert_eq!(v["samples"][0]["ok"], false);
    let back: SiteHealth = serde_json::from_value(v).unwrap();
    assert_eq!(back, h);
    // Older or partial stored objects load with defaults.
    let partial: SiteHealth = serde_json::from_str(r#"{"nextCheck": 5}"#).unwrap();
    assert_eq!(partial.next_check, 5);
    assert_eq!(partial.verdict, HealthState::Unknown);
    // Many failures stay bounded.
    for i in 0..100 {
        h.record(&fail(T0 + i), T0 + i, &c);
    }
    assert_eq!(h.samples.len(), c.max_samples);
}

#[test]
fn next_round_gathers_sites_due_within_a_minute_while_each_is_still_recent() {
    let c = cfg();
    let now = T0 + 10 * 3_600 * SEC;
    let visit = now - 60 * SEC;
    // Due at once (never checked), in 40 s, in 90 s: the round waits 40 s for the second.
    let sites = [(0, visit), (now + 40 * SEC, visit), (now + 90 * SEC, visit)];
    assert_eq!(next_round(sites, now, &c), Some(now + 40 * SEC));
    // Nothing visited recently enough to be checked when due.
    let old = now - 2 * 3_600 * SEC;
    assert_eq!(next_round([(now + 60 * SEC, old)], now, &c), None);
    assert_eq!(next_round([], now, &c), None);
    // The first site's visit stops being recent 30 s from now: the round does not wait 40 s
    // for the second and lose the first.
    let fading = now + 30 * SEC - c.recent_visit_ms;
    assert_eq!(
        next_round([(0, fading), (now + 40 * SEC, visit)], now, &c),
        Some(now)
    );
}
