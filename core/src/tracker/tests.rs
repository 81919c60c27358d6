//! The tracker's flows with simulated time, as a user lives them: a fresh install browsing
//! before the IP ranges arrive, a refresh that moves a range, a worker stopped at any step.
//!
//! [`World`] plays the worker and the browser: it performs every effect (storage as JSON, as
//! `chrome.storage` holds it; badges per tab; DoH queries answered from a small zone with real
//! wire-format messages), and a stop drops the tracker and whatever effects were not performed
//! yet, then restores a new tracker from storage alone.
#![allow(clippy::unwrap_used)]

mod harness;

use harness::*;

use super::*;
use crate::evidence::HostEvidence;
use crate::profile::Resolution;

#[test]
fn a_new_user_browsing_before_the_ranges_arrive_sees_every_badge_follow_them() {
    let mut w = World::install();
    // Four sites at once, right after install: the feeds are still downloading.
    for (tab, host) in FOUR.iter().enumerate() {
        w.visit(tab as TabId, host, None);
    }
    w.serve_dns();
    // Resolved, but nothing places the addresses yet: "waiting for IP ranges", not "unknown".
    for (tab, _) in FOUR.iter().enumerate() {
        let b = w.badge(tab as TabId);
        assert_eq!(b.text, "?", "{b:?}");
        assert!(b.title.contains("waiting for IP ranges"), "{}", b.title);
    }
    let asked = w.queries_sent;
    let pages = w.pages_told;
    // The ranges land; nothing is reloaded, no DNS query is sent.
    w.feeds_arrive(FEEDS);
    for (tab, want) in ["AWS", "GCP", "CF", "AZ"].iter().enumerate() {
        let b = w.badge(tab as TabId);
        assert_eq!(b.text, *want, "{b:?}");
        assert!(!b.title.contains("waiting"), "{}", b.title);
    }
    assert!(
        w.badge(0).title.contains("ap-northeast-2"),
        "{}",
        w.badge(0).title
    );
    assert_eq!(w.queries_sent, asked, "knowledge changes need no network");
    w.settle();
    assert!(w.pages_told > pages, "the open pages are told");
    // The popup's view and the overview say the same.
    let view = w.t.tab_view(&format!("https://{}/x?y", FOUR[1]), w.now);
    assert_eq!(view.site.as_deref(), Some("shop-gcp.com"));
    assert_eq!(
        view.profile.unwrap().hosting.region.as_deref(),
        Some("asia-east1")
    );
    let o = w.t.overview(w.now);
    let mut clouds: Vec<_> = o
        .sites
        .iter()
        .filter_map(|s| s.class.cloud.clone())
        .collect();
    clouds.sort();
    assert_eq!(clouds, ["aws", "azure", "gcp"]);
    // Behind Cloudflare with nothing saying where it runs: said so, never a cloud.
    let cf = o.sites.iter().find(|s| s.site == "shop-cf.com").unwrap();
    assert!(cf.class.origin_unknown(), "{cf:?}");
    assert!(
        w.badge(2).title.contains("Cloudflare → origin unknown"),
        "{}",
        w.badge(2).title
    );
}

#[test]
fn a_refresh_that_moves_a_range_moves_the_badge_tooltip_and_views() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.visit(7, "www.moving.com", None);
    w.serve_dns();
    assert_eq!(w.badge(7).text, "AWS");
    let asked = w.queries_sent;
    let pages = w.pages_told;
    // The next AWS feed no longer has 3.5.140.0/22; Google Cloud now announces it.
    let moved = FEEDS.replace(AWS_FEED, AWS_FEED_WITHOUT_TOKYO).replace(
        r#"{"ipv4Prefix": "34.80.0.0/15""#,
        r#"{"ipv4Prefix": "3.5.140.0/22", "service": "Google Cloud", "scope": "asia-northeast3"}, {"ipv4Prefix": "34.80.0.0/15""#,
    );
    w.feeds_arrive(&moved);
    let b = w.badge(7);
    assert_eq!(b.text, "GCP", "{b:?}");
    assert!(b.title.contains("asia-northeast3"), "{}", b.title);
    assert_eq!(w.queries_sent, asked);
    w.settle();
    assert!(w.pages_told > pages);
    let view = w.t.tab_view("https://www.moving.com/", w.now);
    assert_eq!(view.summary.unwrap().class.cloud.as_deref(), Some("gcp"));
}

#[test]
fn dependencies_follow_the_knowledge_too() {
    let mut w = World::install();
    w.visit(1, "www.shop-cf.com", None);
    w.load(1, "www.shop-cf.com", "login.idp-aws.com", "script");
    w.serve_dns();
    w.settle();
    let row = |w: &World| {
        w.t.overview(w.now)
            .sites
            .into_iter()
            .find(|s| s.site == "shop-cf.com")
            .unwrap()
    };
    assert!(
        row(&w)
            .exposure
            .critical
            .iter()
            .all(|e| e.provider != "aws"),
        "no ranges: the login host is not placed"
    );
    w.feeds_arrive(FEEDS);
    let e = row(&w).exposure;
    let aws = e.critical.iter().find(|e| e.key() == "aws").unwrap();
    assert_eq!(aws.via[0].host, "login.idp-aws.com");
    assert!(aws.via[0].third_party);
}

#[test]
fn a_look_up_the_resolver_failed_shows_so_and_is_retried_on_the_next_visit() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.visit(1, "www.shop-aws.com", None);
    w.fail_dns("resolver unreachable: connection refused");
    let b = w.badge(1);
    assert_eq!(b.text, "?");
    assert!(b.title.contains("look-up failed"), "{}", b.title);
    w.advance(60_000);
    w.visit(1, "www.shop-aws.com", None);
    w.serve_dns();
    assert_eq!(w.badge(1).text, "AWS");
    // A later failure does not erase what is known.
    w.advance(EVIDENCE_MAX_AGE_MS + 1);
    w.visit(1, "www.shop-aws.com", None);
    w.fail_dns("timeout");
    assert_eq!(w.badge(1).text, "AWS");
}

#[test]
fn evidence_is_stored_verdicts_are_not() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.visit(1, "www.shop-aws.com", Some("3.5.140.7"));
    w.serve_dns();
    let site = w.stored_site("shop-aws.com");
    assert!(site.get("profile").is_none(), "{site}");
    let ev: HostEvidence = w.stored_host("www.shop-aws.com");
    assert_eq!(ev.connected_ip, "3.5.140.7".parse().ok());
    assert_eq!(
        ev.addresses,
        ["3.5.140.2".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(ev.ttl, Some(60));
    assert_eq!(ev.nameservers, ["ns-1.awsdns-12.org"]);
    assert_eq!(ev.resolution, Some(Resolution::Ok));
    assert_eq!(ev.at, w.now);
}

#[test]
fn a_worker_stopped_at_any_step_loses_nothing() {
    // The whole first-run flow, with the worker stopped after each effect in turn: whatever
    // was performed stays, the rest is lost, and a new worker (woken by the next event) must
    // still end with every site recorded and every badge right.
    let (steps, dep_window) = {
        let mut w = World::install();
        let window = first_run(&mut w, None);
        (w.effects_performed, window)
    };
    assert!(steps > 20, "{steps}");
    for stop_at in 0..steps {
        let mut w = World::install();
        first_run(&mut w, Some(stop_at));
        for (tab, want) in ["AWS", "GCP", "CF", "AZ"].iter().enumerate() {
            assert_eq!(
                w.badge(tab as TabId).text,
                *want,
                "stopped after effect {stop_at}"
            );
        }
        for host in FOUR {
            let site = w.t.site_for(host).unwrap();
            assert!(w.t.site(&site).is_some(), "{site} lost (stop {stop_at})");
            assert!(w.t.host_evidence(host).is_some(), "{host} (stop {stop_at})");
        }
        // A stop before the dependency's delayed write loses that page load's traffic (the
        // next load of the page records it again); once recorded, its look-up is never lost.
        let recorded =
            w.t.site("shop-cf.com")
                .unwrap()
                .deps
                .contains_key("login.idp-aws.com");
        assert!(
            !recorded || w.t.host_evidence("login.idp-aws.com").is_some(),
            "the dependency's look-up was lost (stop {stop_at})"
        );
        assert!(
            recorded || dep_window.contains(&stop_at),
            "a stop after the dependency was written lost it (stop {stop_at})"
        );
        assert!(w.t.pending().is_empty(), "stop {stop_at}");
    }
}

/// Install, four visits, DNS, the feeds: with an optional stop after `stop_at` effects. After
/// a stop, the next event wakes a new worker; the tabs are listed 50 ms later. Returns the
/// effects from the dependency's request to its delayed write.
fn first_run(w: &mut World, stop_at: Option<usize>) -> std::ops::Range<usize> {
    w.stop_after = stop_at;
    for (tab, host) in FOUR.iter().enumerate() {
        w.visit(tab as TabId, host, None);
        w.restart_if_stopped();
    }
    // The Cloudflare shop's login script comes from a third party (a dependency: no visit
    // would look it up again, only `pending`).
    let loaded = w.effects_performed;
    w.load(2, FOUR[2], "login.idp-aws.com", "script");
    w.restart_if_stopped();
    // Its delayed write lands before the answers come.
    w.settle();
    let written = w.effects_performed;
    w.restart_if_stopped();
    for _ in 0..3 {
        w.serve_dns();
        w.restart_if_stopped();
    }
    w.feeds_arrive(FEEDS);
    w.restart_if_stopped();
    w.serve_dns();
    w.restart_if_stopped();
    w.settle();
    // The user reloads nothing, but the browser keeps sending events now and then (a tab
    // finishing, an alarm) that wake a stopped worker.
    w.restart_if_stopped();
    w.serve_dns();
    w.settle();
    loaded..written
}

#[test]
fn a_stop_while_the_new_table_is_applied_restores_it_and_the_badges() {
    let mut w = World::install();
    for (tab, host) in FOUR.iter().enumerate() {
        w.visit(tab as TabId, host, None);
    }
    w.serve_dns();
    // Stopped right after the table was taken, before anything it led to was performed.
    w.stop_after = Some(w.effects_performed);
    w.feeds_arrive(FEEDS);
    assert!(w.stopped);
    w.restart_if_stopped();
    for (tab, want) in ["AWS", "GCP", "CF", "AZ"].iter().enumerate() {
        assert_eq!(w.badge(tab as TabId).text, *want);
    }
}

#[test]
fn a_worker_waking_before_its_table_is_indexed_answers_as_after() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    for (tab, host) in FOUR.iter().enumerate() {
        w.visit(tab as TabId, host, None);
    }
    w.serve_dns();
    w.stop();
    w.restart_if_stopped();
    assert!(
        !w.t.classifier().table().is_indexed(),
        "restored as the worker wakes"
    );
    let views = |w: &World| {
        let tabs: Vec<_> = FOUR
            .iter()
            .map(|h| w.t.tab_view(&format!("https://{h}/"), w.now))
            .collect();
        (tabs, w.t.overview(w.now))
    };
    let before = views(&w);
    let badges: Vec<_> = (0..4).map(|tab| w.badge(tab)).collect();
    assert_eq!(
        badges.iter().map(|b| b.text.as_str()).collect::<Vec<_>>(),
        ["AWS", "GCP", "CF", "AZ"]
    );
    w.t.index_table();
    assert!(w.t.classifier().table().is_indexed());
    assert_eq!(views(&w), before, "the index changes no answer");
    // A refresh brings an indexed table.
    w.feeds_arrive(FEEDS);
    assert!(w.t.classifier().table().is_indexed());
}

#[test]
fn records_of_a_version_that_stored_verdicts_are_shown_then_gain_evidence() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    // Schema 1: the verdict in the record, no evidence anywhere.
    let legacy = serde_json::json!({
        "site": "old-shop.com", "mainHost": "www.old-shop.com", "firstSeen": 1, "lastSeen": w.now,
        "visits": 3, "hosts": {}, "failures": [], "status": "up", "profiledAt": w.now - 1000,
        "profile": {"name": "www.old-shop.com", "site": "old-shop.com", "addresses": ["34.80.0.9"],
            "cname_chain": [], "dns": {"provider": null, "product": null, "nameservers": []},
            "edge": {"provider": null, "service": null},
            "hosting": {"provider": "gcp", "region": "asia-east1", "service": null, "prefix": "34.80.0.0/15",
                "asn": null, "asn_holder": null, "platform": null},
            "cloud": "gcp", "confidence": "high", "resolution": {"status": "ok"}, "evidence": []},
        "deps": {"api.vendor.com": {"site": "vendor.com", "thirdParty": true, "requests": 2, "types": ["script"],
            "critical": true, "lastSeen": 1,
            "class": {"cloud": "aws", "hosting": "aws", "region": "us-east-1", "edge": null, "dns": null, "resolved": true, "at": 1}}}
    });
    w.store
        .sites
        .insert("old-shop.com".into(), legacy.to_string());
    w.stop();
    w.restart_if_stopped();
    let row =
        w.t.overview(w.now)
            .sites
            .into_iter()
            .find(|s| s.site == "old-shop.com")
            .unwrap();
    assert_eq!(
        row.class.cloud.as_deref(),
        Some("gcp"),
        "the stored verdict is shown"
    );
    assert!(row
        .exposure
        .critical
        .iter()
        .any(|e| e.key() == "aws us-east-1"));
    w.visit(3, "www.old-shop.com", None);
    assert_eq!(w.badge(3).text, "GCP", "shown while it is looked up again");
    w.advance(EVIDENCE_MAX_AGE_MS);
    w.visit(3, "www.old-shop.com", None);
    w.serve_dns();
    // Now derived from evidence (the zone puts it on AWS), and the old verdict is gone.
    assert_eq!(w.badge(3).text, "AWS");
    assert!(w.stored_site("old-shop.com").get("profile").is_none());
}

#[test]
fn a_fresh_stored_verdict_is_not_looked_up_again_and_a_resolver_failure_never_hides_it() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    let legacy = |age: Millis| {
        serde_json::json!({
            "site": "old-shop.com", "mainHost": "www.old-shop.com", "firstSeen": 1, "lastSeen": 1,
            "visits": 1, "hosts": {}, "failures": [], "profiledAt": 1_800_000_000_000u64 - age,
            "profile": {"name": "www.old-shop.com", "site": "old-shop.com", "addresses": ["34.80.0.9"],
                "cname_chain": [], "dns": {"provider": null, "product": null, "nameservers": []},
                "edge": {"provider": null, "service": null},
                "hosting": {"provider": "gcp", "region": "asia-east1", "service": null, "prefix": null,
                    "asn": null, "asn_holder": null, "platform": null},
                "cloud": "gcp", "confidence": "high", "resolution": {"status": "ok"}, "evidence": []}
        })
        .to_string()
    };
    w.store.sites.insert("old-shop.com".into(), legacy(1_000));
    w.stop();
    w.restart_if_stopped();
    w.visit(1, "www.old-shop.com", None);
    assert_eq!(w.queries_sent, 0, "a verdict an hour old is fresh");
    assert_eq!(w.badge(1).text, "GCP");
    // Stale: looked up again; the resolver fails, and the old verdict still stands.
    w.store
        .sites
        .insert("old-shop.com".into(), legacy(EVIDENCE_MAX_AGE_MS + 1));
    w.stop();
    w.restart_if_stopped();
    w.visit(1, "www.old-shop.com", None);
    assert!(w.queries_sent > 0);
    w.fail_dns("resolver unreachable");
    assert_eq!(w.badge(1).text, "GCP");
    assert!(!w.store.hosts.contains_key("www.old-shop.com"));
}

#[test]
fn private_names_reach_only_a_resolver_on_this_machine() {
    let mut w = World::install();
    w.t.settings_changed(
        Settings {
            resolver: "https://dns.example/dns-query".into(),
            ..w.t.settings().clone()
        },
        w.now,
    );
    w.perform();
    w.visit(1, "nas.home.arpa", None);
    assert_eq!(w.queries_sent, 0);
    assert!(w.t.site_for("nas.home.arpa").is_none());
}

#[test]
fn incognito_tabs_are_not_recorded_unless_asked() {
    let mut w = World::install();
    w.visit_with(1, "www.shop-aws.com", None, true);
    assert!(w.t.sites().next().is_none());
    w.t.settings_changed(
        Settings {
            record_incognito: true,
            ..w.t.settings().clone()
        },
        w.now,
    );
    w.visit_with(1, "www.shop-aws.com", None, true);
    assert!(w.t.site("shop-aws.com").is_some());
}

#[test]
fn the_tab_view_is_one_answer_with_the_site_key_from_the_suffix_list() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.visit(1, "www.shop-aws.com", None);
    w.serve_dns();
    // Another host of the same site: the PSL says it is shop-aws.com.
    let v = w.t.tab_view("https://blog.shop-aws.com/post/1", w.now);
    assert_eq!(v.host.as_deref(), Some("blog.shop-aws.com"));
    assert_eq!(v.site.as_deref(), Some("shop-aws.com"));
    let s = v.summary.unwrap();
    assert_eq!(s.main_host, "www.shop-aws.com");
    let p = v.profile.unwrap();
    assert!(p
        .evidence
        .iter()
        .any(|e| e.text.contains("3.5.140.2 is in 3.5.140.0/22")));
    assert!(!v.looking_up);
    let none = w.t.tab_view("chrome://extensions", w.now);
    assert_eq!((none.host, none.site, none.summary), (None, None, None));
    let unseen = w.t.tab_view("https://never.example.org/", w.now);
    assert_eq!(unseen.site.as_deref(), Some("example.org"));
    assert!(unseen.summary.is_none());
}

#[test]
fn dependency_traffic_is_written_coalesced_and_pages_told_once() {
    let mut w = World::install();
    w.visit(1, "www.shop-cf.com", None);
    w.perform();
    let writes = w.site_writes;
    let pages = w.pages_told;
    for i in 0..200 {
        w.load(1, "www.shop-cf.com", &format!("img{i}.pics.com"), "image");
    }
    assert_eq!(w.site_writes, writes, "nothing written before the delay");
    w.settle();
    assert_eq!(w.site_writes, writes + 1);
    assert_eq!(w.pages_told, pages + 1);
}

#[test]
fn retention_forgets_sites_and_the_evidence_no_site_uses() {
    let mut w = World::install();
    w.visit(1, "www.shop-aws.com", None);
    w.load(1, "www.shop-aws.com", "login.idp-aws.com", "script");
    w.serve_dns();
    w.settle();
    assert!(w.store.hosts.contains_key("login.idp-aws.com"));
    w.advance(31 * 86_400_000);
    w.t.prune(w.now);
    w.perform();
    assert!(w.store.sites.is_empty());
    assert!(w.store.hosts.is_empty(), "{:?}", w.store.hosts.keys());
}

/// A page's main-frame response reached a worker that was stopped before it stored the site,
/// and the tab was still loading when the new worker listed the open tabs: the visit is
/// recorded when the tab is done loading. (Found by the browser's chaos test: the tab then
/// moved on to another page, and the site was never recorded.)
#[test]
fn a_cut_off_visit_whose_tab_was_still_loading_at_the_start_is_recorded_when_it_loads() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.settle();
    // A page seen by this worker, then the stop; the new worker lists a tab still loading.
    w.visit(0, FOUR[0], None);
    w.serve_dns();
    w.stop();
    w.restart_if_stopped();
    let recorded = |w: &World, site: &str| w.store.sites.contains_key(site);
    let loading = |tab: TabId, host: &str, incognito: bool, complete: bool| OpenTab {
        tab,
        url: format!("https://{host}/page"),
        incognito,
        complete,
    };
    w.t.open_tabs(&[loading(7, FOUR[1], false, false)], w.now);
    w.perform();
    assert!(!recorded(&w, "shop-gcp.com"), "a loading tab waits");
    // It is done loading: no main-frame response was seen for it, so its visit was cut off.
    w.advance(300);
    w.t.tab_loaded(&loading(7, FOUR[1], false, true), w.now);
    w.perform();
    assert!(recorded(&w, "shop-gcp.com"), "recorded when done loading");
    // No visit counted: an event still on its way would count it twice.
    assert_eq!(w.stored_site("shop-gcp.com")["visits"], 0);
    w.serve_dns();
    w.settle();
    assert_eq!(w.badge(7).text, "GCP");
    // An incognito tab is not recorded (the user did not opt in), and a page whose main frame
    // this worker saw is its own event's to record: done loading adds no visit.
    w.t.tab_loaded(&loading(8, FOUR[2], true, true), w.now);
    w.visit(9, FOUR[3], None);
    let visits = w.stored_site("shop-az.com")["visits"].clone();
    w.t.tab_loaded(&loading(9, FOUR[3], false, true), w.now);
    w.settle();
    assert!(!recorded(&w, "shop-cf.com"), "incognito recorded");
    assert_eq!(w.stored_site("shop-az.com")["visits"], visits);
}

/// The worker is woken for active checks only when a recently visited site is due (the shell
/// sets one alarm at [`Tracker::next_checks_at`], never sooner than a minute on): sites due
/// close together share a wake, and an idle browser's worker is left stopped. The alarm used
/// to fire every minute whatever there was to check: 180 starts in these three hours.
#[test]
fn checks_wake_the_worker_only_when_a_recent_site_is_due_and_gather_into_one_round() {
    use crate::health::checks::{CheckOutcome, DnsCheck, HttpCheck};
    const MINUTE: Millis = 60_000;
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.settle();
    assert_eq!(w.t.next_checks_at(w.now), None, "nothing visited: no wake");
    // Two sites visited 20 s apart: one round checks both.
    w.visit(1, FOUR[0], None);
    w.advance(20_000);
    w.visit(2, FOUR[1], None);
    w.serve_dns();
    w.settle();
    let (start, mut wakes, mut rounds) = (w.now, Vec::new(), Vec::new());
    // The user then browses no more for three hours.
    while let Some(at) = w.t.next_checks_at(w.now) {
        let at = at.max(w.now + MINUTE);
        assert!(
            at < start + 3 * 60 * MINUTE,
            "a wake after the visits aged out"
        );
        w.advance(at - w.now);
        wakes.push((w.now - start) / MINUTE);
        let plan =
            w.t.plan_checks(false, w.now)
                .expect("a wake finds a round to run");
        let ok = CheckOutcome {
            dns: DnsCheck::Resolved,
            http: Some(HttpCheck::Status(200)),
        };
        w.t.checks_done(&plan, &vec![ok; plan.len()], w.now);
        w.perform();
        rounds.push(plan.len());
    }
    // Every 5 minutes (the check interval) while the visits are recent (2 h), both at once
    // but in the last round, when the first visit has aged out 20 s before the second.
    assert_eq!(wakes.len(), 24, "{wakes:?}");
    assert!(rounds[..23].iter().all(|&n| n == 2), "{rounds:?}");
    assert_eq!(rounds[23], 1, "{rounds:?}");
    assert!(wakes.windows(2).all(|p| p[1] - p[0] == 5), "{wakes:?}");
    // A site that fails is confirmed a minute later, as before.
    w.visit(1, FOUR[0], None);
    w.settle();
    let due = w.t.next_checks_at(w.now).unwrap();
    w.advance(due.max(w.now + MINUTE) - w.now);
    let plan = w.t.plan_checks(false, w.now).unwrap();
    let failed = CheckOutcome {
        dns: DnsCheck::Resolved,
        http: Some(HttpCheck::Failed),
    };
    w.t.checks_done(&plan, &vec![failed; plan.len()], w.now);
    assert_eq!(w.t.next_checks_at(w.now), Some(w.now + MINUTE));
    // Checks turned off: no wake at all.
    w.t.settings_changed(
        Settings {
            active_checks: false,
            ..w.t.settings().clone()
        },
        w.now,
    );
    assert_eq!(w.t.next_checks_at(w.now), None);
}

/// The status pages likewise: the worker is woken when one of a provider the sites use is due
/// (at once for a provider new to them, then hourly while nothing fails), and never when they
/// are turned off or no site runs on a provider that has one.
#[test]
fn status_pages_wake_the_worker_only_when_one_is_due() {
    use crate::status::POLL_QUIET_MS;
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.settle();
    assert_eq!(w.t.next_status_poll_at(w.now), None, "no site: no page");
    w.visit(1, FOUR[0], None);
    w.serve_dns();
    w.settle();
    assert_eq!(
        w.t.next_status_poll_at(w.now),
        Some(w.now),
        "a new provider: at once"
    );
    assert!(!w.t.plan_status(w.now).is_empty());
    assert_eq!(
        w.t.next_status_poll_at(w.now),
        Some(w.now + POLL_QUIET_MS),
        "then hourly"
    );
    w.t.settings_changed(
        Settings {
            status_feeds: false,
            ..w.t.settings().clone()
        },
        w.now,
    );
    assert_eq!(w.t.next_status_poll_at(w.now), None, "turned off");
}

/// A worker woken by the popup answers it from the tab's site alone (`tracker::first`): the same
/// view as from everything stored, for each site, a host of a site, a site whose look-up a stop
/// cut off, one never seen and pages that are no website; and it read one site.
#[test]
fn the_first_answer_from_the_tab_s_site_alone_is_the_view_from_everything_stored() {
    let mut w = World::install();
    w.feeds_arrive(FEEDS);
    w.settle();
    for (tab, host) in FOUR.iter().enumerate() {
        w.visit(tab as TabId, host, None);
        // A dependency every site shares, and another site's main host as a dependency.
        w.load(tab as TabId, host, "login.idp-aws.com", "script");
        w.load(tab as TabId, host, FOUR[(tab + 1) % FOUR.len()], "image");
    }
    w.serve_dns();
    w.settle();
    // A look-up the stop cuts off.
    w.visit(9, "www.moving.com", None);
    w.stop();
    let full = w.restored();
    let urls = FOUR.iter().map(|h| format!("https://{h}/page?q")).chain(
        [
            "https://www.moving.com/",
            "https://api.shop-aws.com/x",
            "https://never.example/",
            "https://192.168.1.1/",
            "chrome://newtab/",
        ]
        .map(str::to_owned),
    );
    let (mut recorded, mut looking_up) = (0, 0);
    for url in urls {
        let first = w.restored_for_tab(&url);
        let view = first.tab_view(&url, w.now);
        assert_eq!(view, full.tab_view(&url, w.now), "{url}");
        assert_eq!(
            first.tab_panel(&url, w.now),
            full.tab_panel(&url, w.now),
            "{url}"
        );
        recorded += usize::from(
            view.summary
                .is_some_and(|s| !s.exposure.critical.is_empty()),
        );
        looking_up += usize::from(view.looking_up);
        assert!(first.sites().count() <= 1, "{url}");
    }
    // Not vacuous: sites with dependencies, and the cut-off look-up, were compared.
    assert_eq!((recorded, looking_up), (5, 1));
}
