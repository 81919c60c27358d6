//! What the tracker knows of every looked-up host: its evidence, what the rules alone say of it,
//! and what it runs on as derived now; plus the verdicts a version that stored verdicts left.

use std::collections::HashMap;
use std::net::IpAddr;

use smallvec::SmallVec;

use crate::classify::{addresses_of, Classifier, Signals};
use crate::deps::{ClassOf, Classes, HostClass};
use crate::evidence::HostEvidence;
use crate::protocol::SiteRecord;

/// One looked-up host.
#[derive(Debug)]
struct Host {
    /// What its last conclusive look-up observed (or an inconclusive one, when nothing better
    /// is known).
    evidence: HostEvidence,
    /// [`Classifier::signals`] of the evidence: the rules do not change while a worker runs.
    signals: Signals,
    /// [`addresses_of`] the evidence, kept inline: a re-derivation of every host reads them,
    /// and one cache miss per host on a separate allocation was a third of its time.
    addresses: SmallVec<[IpAddr; 2]>,
    /// [`Classifier::brief`] of the evidence under the current table.
    class: HostClass,
}

/// Every host's evidence and derived class.
#[derive(Debug, Default)]
pub(super) struct Known {
    hosts: HashMap<String, Host>,
    /// What records of a version that stored verdicts say, for hosts with no evidence yet.
    legacy: Classes,
}

impl ClassOf for Known {
    fn class_of(&self, host: &str) -> Option<&HostClass> {
        match self.hosts.get(host) {
            Some(h) => Some(&h.class),
            None => self.legacy.get(host),
        }
    }
}

impl Known {
    /// Everything known from storage: the evidence, and the stored verdicts of `sites`.
    pub(super) fn restore<'a>(
        hosts: Vec<HostEvidence>,
        sites: impl IntoIterator<Item = &'a SiteRecord>,
        classifier: &Classifier,
    ) -> Self {
        let mut known = Self {
            hosts: HashMap::with_capacity(hosts.len()),
            legacy: crate::deps::stored_classes(sites),
        };
        for ev in hosts {
            known.insert(ev, classifier);
        }
        known
    }

    /// Keeps a host's evidence, its signals and its class.
    pub(super) fn insert(&mut self, evidence: HostEvidence, classifier: &Classifier) {
        let signals = classifier.signals(&evidence);
        let addresses = SmallVec::from_vec(addresses_of(&evidence));
        let mut class = HostClass::default();
        classifier.brief_into(&evidence, &addresses, &signals, &mut class, &mut Vec::new());
        self.legacy.remove(&evidence.name);
        self.hosts.insert(
            evidence.name.clone(),
            Host {
                evidence,
                signals,
                addresses,
                class,
            },
        );
    }

    /// A host's evidence.
    pub(super) fn evidence(&self, host: &str) -> Option<&HostEvidence> {
        self.hosts.get(host).map(|h| &h.evidence)
    }

    /// True when something is known of the host: evidence, or a stored verdict.
    pub(super) fn knows(&self, host: &str) -> bool {
        self.class_of(host).is_some()
    }

    /// The hosts with evidence.
    pub(super) fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.keys().map(String::as_str)
    }

    /// How many hosts have a class (from evidence or a stored verdict).
    pub(super) fn len(&self) -> usize {
        self.hosts.len() + self.legacy.len()
    }

    /// Forgets a host.
    pub(super) fn remove(&mut self, host: &str) {
        self.hosts.remove(host);
        self.legacy.remove(host);
    }

    /// Forgets everything.
    pub(super) fn clear(&mut self) {
        self.hosts.clear();
        self.legacy.clear();
    }

    /// Forgets the stored verdicts of hosts `keep` says no site uses any more.
    pub(super) fn retain_legacy(&mut self, keep: impl Fn(&str) -> bool) {
        self.legacy.retain(|h, _| keep(h));
    }

    /// Derives every host's class again under `classifier`'s (new) table, in place: most
    /// verdicts survive a refresh unchanged, and then nothing is allocated.
    pub(super) fn rederive(&mut self, classifier: &Classifier) {
        let mut scratch = Vec::new();
        for h in self.hosts.values_mut() {
            classifier.brief_into(
                &h.evidence,
                &h.addresses,
                &h.signals,
                &mut h.class,
                &mut scratch,
            );
        }
    }
}
