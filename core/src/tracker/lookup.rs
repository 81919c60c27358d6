//! Look-ups: when a host is asked about, the queries out and the answers in, and what a
//! finished look-up leaves (evidence, never a verdict).

use crate::engine::{AnswerFormat, Hints, QueryId};
use crate::evidence::HostEvidence;
use crate::Millis;

use super::{Effect, Tracker};

impl Tracker {
    /// Starts looking `host` up unless it already is. Checked here, where every look-up starts,
    /// and not only where a visit is recorded: a host resumed from `pending` or a stored site
    /// may have been recorded under another resolver, and a private name (`nas.home.arpa`) or
    /// private address must never reach one that is not on this machine.
    pub(super) fn lookup(&mut self, host: &str, hints: Hints, now: Millis) {
        if self.pending.contains(host) {
            return;
        }
        if self.site_for(host).is_none() {
            self.log(
                true,
                format!(
                    "OneBasket: cannot look up {host}: a private name or address, and the resolver is not on this machine"
                ),
            );
            return;
        }
        if self.settings.resolve_with_browser && self.caps.browser_dns && hints.resolved.is_none() {
            self.pending.insert(host.to_owned());
            self.effects.push_back(Effect::SavePending);
            self.effects.push_back(Effect::BrowserResolve {
                host: host.to_owned(),
                hints,
            });
            return;
        }
        self.start(host, hints, now);
    }

    /// The browser's resolver answered for `host` (`hints.resolved`; `None` when it failed:
    /// the DoH resolver is asked instead).
    pub fn browser_resolved(&mut self, host: &str, hints: Hints, now: Millis) {
        self.pending.remove(host);
        self.start(host, hints, now);
    }

    fn start(&mut self, host: &str, hints: Hints, now: Millis) {
        match self.engine.start(host, hints, now) {
            Ok(id) => {
                self.lookups.insert(id, host.to_owned());
                self.pending.insert(host.to_owned());
                self.effects.push_back(Effect::SavePending);
                self.drain_engine(now);
            }
            Err(e) => {
                self.pending.remove(host);
                self.effects.push_back(Effect::SavePending);
                self.log(true, format!("OneBasket: cannot look up {host}: {e}"));
            }
        }
    }

    /// The answer to a query: the DoH body, or why there is none (timeout, network, HTTP status).
    pub fn answer(&mut self, id: QueryId, answer: Result<Vec<u8>, String>, now: Millis) {
        self.last_answer_at = now;
        match answer {
            Ok(body) => self
                .engine
                .handle_response(id, AnswerFormat::Wire, &body, now),
            Err(reason) => self.engine.handle_failure(id, &reason, now),
        }
        self.drain_engine(now);
    }

    /// Queues every query the engine wants and applies every finished look-up.
    fn drain_engine(&mut self, now: Millis) {
        while let Some(query) = self.engine.poll_query() {
            self.effects.push_back(Effect::Query {
                resolver: self.settings.resolver.clone(),
                query,
            });
        }
        let mut done = false;
        while let Some((id, evidence)) = self.engine.poll_evidence() {
            if let Some(host) = self.lookups.remove(&id) {
                self.pending.remove(&host);
                done = true;
                self.apply_evidence(evidence, now);
            }
        }
        if done {
            self.effects.push_back(Effect::SavePending);
        }
    }

    /// Keeps a finished look-up's evidence (an inconclusive one — the resolver failed — never
    /// replaces what is known of the host, evidence or a stored verdict: it says nothing about
    /// the host) and shows what follows from it: the badges of the site whose main host it is,
    /// the pages' figures.
    fn apply_evidence(&mut self, evidence: HostEvidence, now: Millis) {
        self.last_evidence_at = now;
        let name = evidence.name.clone();
        if evidence.inconclusive() {
            self.log(
                true,
                format!(
                    "OneBasket: look-up of {name} failed: {}",
                    evidence
                        .resolution
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
            );
        }
        if !evidence.inconclusive() || !self.known.knows(&name) {
            self.known.insert(evidence, self.engine.classifier());
            self.effects.push_back(Effect::SaveHost(name.clone()));
        }
        let main_of = self
            .site_for(&name)
            .filter(|s| self.sites.get(s).is_some_and(|r| r.main_host == name));
        if let Some(site) = main_of {
            if let Some(record) = self.sites.get_mut(&site) {
                // The verdict a version that stored verdicts left gives way to the evidence.
                if self.known.evidence(&name).is_some() && record.profile.is_some() {
                    record.profile = None;
                    record.profiled_at = None;
                    self.save_site(&site);
                }
            }
            self.show_site(&site);
            let since = now.saturating_sub(self.last_answer_at);
            self.log(
                false,
                format!("OneBasket: badge for {site} set {since} ms after the last DoH answer"),
            );
        }
        self.pages_changed(now);
    }
}
