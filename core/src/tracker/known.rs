//! What the tracker knows of every looked-up host: its evidence, what the rules alone say of it,
//! and what it runs on as derived now; plus the verdicts a version that stored verdicts left.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;

use hashbrown::HashTable;
use smallvec::SmallVec;

use crate::classify::{addresses_of, Classifier, Signals};
use crate::deps::{ClassOf, Classes, HostClass};
use crate::evidence::HostEvidence;
use crate::site_record::SiteRecord;

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
///
/// The hosts are kept densely in a `Vec`, found through a hash table of their positions: a
/// `Host` is a few hundred bytes, and a map of them held a slot for each of its spare capacity
/// (about a third: 4 MB with 21,000 hosts), where the table of positions spares 4 bytes a slot.
/// A re-derivation walks the `Vec` in order.
#[derive(Debug, Default)]
pub(super) struct Known {
    hosts: Vec<Host>,
    /// Where each host is in `hosts`, by the hash of its name; the name is read from `hosts`
    /// (a map keyed by a copy of every name took 1.2 MB at 21,000 hosts, this 0.2).
    at: HashTable<u32>,
    /// Hashes the names for `at`.
    hasher: RandomState,
    /// What records of a version that stored verdicts say, for hosts with no evidence yet.
    legacy: Classes,
}

/// Whether a position in `at` is the one of `host` in `hosts`.
fn named<'a>(hosts: &'a [Host], host: &'a str) -> impl Fn(&u32) -> bool + 'a {
    move |&i| {
        hosts
            .get(i as usize)
            .is_some_and(|h| h.evidence.name == host)
    }
}

impl ClassOf for Known {
    fn class_of(&self, host: &str) -> Option<&HostClass> {
        match self.get(host) {
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
            hosts: Vec::with_capacity(hosts.len()),
            at: HashTable::with_capacity(hosts.len()),
            hasher: RandomState::new(),
            legacy: crate::site_record::stored_classes(sites),
        };
        for ev in hosts {
            known.insert(ev, classifier);
        }
        known
    }

    fn get(&self, host: &str) -> Option<&Host> {
        self.hosts.get(self.position(host)?)
    }

    /// Where `host` is in `hosts`.
    fn position(&self, host: &str) -> Option<usize> {
        self.at
            .find(self.hasher.hash_one(host), named(&self.hosts, host))
            .map(|&i| i as usize)
    }

    /// Keeps a host's evidence, its signals and its class.
    pub(super) fn insert(&mut self, evidence: HostEvidence, classifier: &Classifier) {
        let signals = classifier.signals(&evidence);
        let addresses = SmallVec::from_vec(addresses_of(&evidence));
        let mut class = HostClass::default();
        classifier.brief_into(&evidence, &addresses, &signals, &mut class, &mut Vec::new());
        self.legacy.remove(&evidence.name);
        let host = Host {
            evidence,
            signals,
            addresses,
            class,
        };
        match self.position(&host.evidence.name) {
            Some(i) => {
                if let Some(slot) = self.hosts.get_mut(i) {
                    *slot = host;
                }
            }
            None => {
                // More than 4 billion hosts cannot be stored; the position always fits.
                let i = u32::try_from(self.hosts.len()).unwrap_or(u32::MAX);
                let Self {
                    hosts, at, hasher, ..
                } = self;
                let hash = hasher.hash_one(host.evidence.name.as_str());
                hosts.push(host);
                // A growing table rehashes the hosts already in it by their names.
                let rehash = |&j: &u32| {
                    hosts
                        .get(j as usize)
                        .map_or(0, |h| hasher.hash_one(h.evidence.name.as_str()))
                };
                at.insert_unique(hash, i, rehash);
            }
        }
    }

    /// A host's evidence.
    pub(super) fn evidence(&self, host: &str) -> Option<&HostEvidence> {
        self.get(host).map(|h| &h.evidence)
    }

    /// True when something is known of the host: evidence, or a stored verdict.
    pub(super) fn knows(&self, host: &str) -> bool {
        self.class_of(host).is_some()
    }

    /// The hosts with evidence.
    pub(super) fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|h| h.evidence.name.as_str())
    }

    /// How many hosts have a class (from evidence or a stored verdict).
    pub(super) fn len(&self) -> usize {
        self.hosts.len() + self.legacy.len()
    }

    /// Forgets a host.
    pub(super) fn remove(&mut self, host: &str) {
        self.legacy.remove(host);
        let Self {
            hosts, at, hasher, ..
        } = self;
        let Ok(entry) = at.find_entry(hasher.hash_one(host), named(hosts, host)) else {
            return;
        };
        let i = entry.remove().0 as usize;
        if i < hosts.len() {
            hosts.swap_remove(i);
            // The last host moved into the gap: its position changes from the old last one.
            if let Some(moved) = hosts.get(i) {
                let last = hosts.len() as u32;
                let hash = hasher.hash_one(moved.evidence.name.as_str());
                if let Some(at) = at.find_mut(hash, |&j| j == last) {
                    *at = i as u32;
                }
            }
        }
    }

    /// Forgets everything.
    pub(super) fn clear(&mut self) {
        self.hosts = Vec::new();
        self.at = HashTable::new();
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
        for h in &mut self.hosts {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::table::PrefixTable;

    fn evidence(name: &str, ip: &str) -> HostEvidence {
        HostEvidence {
            name: name.into(),
            addresses: vec![ip.parse().unwrap()],
            ..HostEvidence::default()
        }
    }

    #[test]
    fn hosts_are_found_replaced_and_removed_whatever_their_position() {
        let c = crate::knowledge::classifier(PrefixTable::empty()).unwrap();
        let mut k = Known::restore(
            vec![
                evidence("a.example", "192.0.2.1"),
                evidence("b.example", "192.0.2.2"),
                evidence("c.example", "192.0.2.3"),
            ],
            &[],
            &c,
        );
        assert_eq!(k.len(), 3);
        // Removing the first moves the last into its place; every host is still found.
        k.remove("a.example");
        assert!(k.evidence("a.example").is_none());
        assert_eq!(
            k.evidence("c.example").unwrap().addresses[0].to_string(),
            "192.0.2.3"
        );
        assert_eq!(
            k.evidence("b.example").unwrap().addresses[0].to_string(),
            "192.0.2.2"
        );
        // New evidence of a known host replaces it in place.
        k.insert(evidence("c.example", "192.0.2.33"), &c);
        assert_eq!(k.len(), 2);
        assert_eq!(
            k.evidence("c.example").unwrap().addresses[0].to_string(),
            "192.0.2.33"
        );
        k.insert(evidence("d.example", "192.0.2.4"), &c);
        let mut names: Vec<&str> = k.hosts().collect();
        names.sort_unstable();
        assert_eq!(names, ["b.example", "c.example", "d.example"]);
        // Removing the last host, and one never known.
        k.remove("d.example");
        k.remove("nowhere.example");
        assert_eq!(k.len(), 2);
        assert!(k.knows("b.example") && k.knows("c.example") && !k.knows("d.example"));
        k.clear();
        assert_eq!(k.len(), 0);
        assert!(k.evidence("b.example").is_none());
    }

    fn seen(name: &str, at: u64) -> HostEvidence {
        HostEvidence {
            name: name.to_owned(),
            at,
            ..HostEvidence::default()
        }
    }

    #[test]
    fn hosts_are_found_by_name_after_inserts_replacements_and_removals() {
        let classifier = crate::knowledge::classifier(PrefixTable::empty()).unwrap();
        let names: Vec<String> = (0..100).map(|i| format!("h{i}.example")).collect();
        let mut known = Known::restore(names.iter().map(|n| seen(n, 1)).collect(), [], &classifier);
        // A second look-up replaces the evidence in place.
        known.insert(seen("h7.example", 2), &classifier);
        assert_eq!(known.len(), 100);
        // Removing moves the last host into the gap: it must still be found there.
        for i in (0..100).step_by(3) {
            known.remove(&names[i]);
        }
        known.remove("never.example");
        for (i, name) in names.iter().enumerate() {
            let found = known.evidence(name).map(|e| e.name.as_str());
            assert_eq!(found, (i % 3 != 0).then_some(name.as_str()), "{name}");
        }
        assert_eq!(known.evidence("h7.example").unwrap().at, 2);
        assert_eq!(known.len(), 66);
        // Growing the table past its first capacity rehashes the positions by name.
        for i in 100..1000 {
            known.insert(seen(&format!("h{i}.example"), 3), &classifier);
        }
        assert_eq!(known.evidence("h999.example").unwrap().at, 3);
        assert_eq!(known.evidence("h98.example").unwrap().at, 1);
        assert_eq!(known.hosts().count(), 966);
    }
}
