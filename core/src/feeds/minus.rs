//! CIDR set difference, used for `minus` (goog.json − cloud.json = Google's own services).

use std::net::IpAddr;

use ipnet::IpNet;

/// Sort key putting every IPv4 address before every IPv6 one.
fn key(addr: IpAddr) -> (u8, u128) {
    match addr {
        IpAddr::V4(a) => (4, u128::from(u32::from(a))),
        IpAddr::V6(a) => (6, u128::from(a)),
    }
}

/// Subtracts prefixes; built once per subtrahend so many prefixes can be checked cheaply.
pub(crate) struct Subtrahend {
    /// Disjoint (no prefix inside another), in address order.
    nets: Vec<IpNet>,
}

impl Subtrahend {
    pub(crate) fn new(nets: &[IpNet]) -> Self {
        // Two prefixes are nested or disjoint, so in (address, length) order a prefix inside
        // another comes after it and after every prefix between them, which are inside it too:
        // comparing with the last one kept drops them all. Disjoint is all `split` needs;
        // `IpNet::aggregate`, which also merges neighbours, was 18 KB of the worker's wasm.
        let mut nets: Vec<IpNet> = nets.iter().map(IpNet::trunc).collect();
        // A few hundred prefixes: the shared sort, not an instance of its own.
        crate::sort::sort_by_key(&mut nets, |n| (key(n.network()), n.prefix_len()));
        nets.dedup_by(|inner, kept| kept.contains(&*inner));
        Self { nets }
    }

    /// The CIDRs covering exactly `prefix` minus the subtrahend, in address order.
    pub(crate) fn difference(&self, prefix: IpNet) -> Vec<IpNet> {
        let prefix = prefix.trunc();
        let first = self
            .nets
            .partition_point(|n| key(n.broadcast()) < key(prefix.network()));
        let len = self
            .nets
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|n| key(n.network()) <= key(prefix.broadcast()))
            .count();
        let overlapping = self.nets.get(first..first + len).unwrap_or_default();
        let mut out = Vec::new();
        split(prefix, overlapping, &mut out);
        out
    }
}

/// `overlapping` is sorted, disjoint, and every entry overlaps `net`, so (CIDRs being nested
/// or disjoint) either one entry covers `net` or all lie strictly inside it.
fn split(net: IpNet, overlapping: &[IpNet], out: &mut Vec<IpNet>) {
    if overlapping.is_empty() {
        out.push(net);
        return;
    }
    if overlapping.iter().any(|n| n.contains(&net)) {
        return;
    }
    let Ok(mut halves) = net.subnets(net.prefix_len() + 1) else {
        return; // unreachable: a host route is covered by anything overlapping it
    };
    let (Some(low), Some(high)) = (halves.next(), halves.next()) else {
        return;
    };
    let cut = overlapping.partition_point(|n| key(n.network()) < key(high.network()));
    let (in_low, in_high) = overlapping.split_at(cut);
    split(low, in_low, out);
    split(high, in_high, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// Nested, equal, neighbouring and host-bit-set subtrahends answer as their aggregate
    /// (ipnet's, which merges neighbours too) does.
    #[test]
    fn a_subtrahend_answers_as_its_aggregate() {
        let list = nets(&[
            "10.0.0.0/25",
            "10.0.0.128/25",
            "10.0.0.0/26",
            "10.0.0.0/25",
            "10.1.2.3/16",
            "10.1.0.0/24",
            "10.3.0.0/16",
            "10.2.0.0/16",
            "192.0.2.77/32",
            "2001:db8::/33",
            "2001:db8:8000::/33",
            "2001:db8:1::/48",
        ]);
        let ours = Subtrahend::new(&list);
        let aggregate = Subtrahend {
            nets: IpNet::aggregate(&list),
        };
        for prefix in [
            "10.0.0.0/8",
            "10.0.0.0/24",
            "10.0.0.0/23",
            "10.1.0.0/16",
            "10.0.0.0/14",
            "192.0.2.0/24",
            "2001:db8::/32",
            "2001:db8::/31",
            "0.0.0.0/0",
        ] {
            let prefix: IpNet = prefix.parse().unwrap();
            assert_eq!(
                ours.difference(prefix),
                aggregate.difference(prefix),
                "{prefix}"
            );
        }
        assert_eq!(ours.nets.len(), 8, "{:?}", ours.nets);
    }

    #[test]
    fn slash8_minus_slash16_leaves_eight_cidrs() {
        let sub = Subtrahend::new(&nets(&["10.1.0.0/16"]));
        let got = sub.difference("10.0.0.0/8".parse().unwrap());
        assert_eq!(
            got,
            nets(&[
                "10.0.0.0/16",
                "10.2.0.0/15",
                "10.4.0.0/14",
                "10.8.0.0/13",
                "10.16.0.0/12",
                "10.32.0.0/11",
                "10.64.0.0/10",
                "10.128.0.0/9",
            ])
        );
    }

    #[test]
    fn equal_and_covering_prefixes_vanish() {
        let sub = Subtrahend::new(&nets(&["10.0.0.0/8", "2001:db8::/32"]));
        assert!(sub.difference("10.0.0.0/8".parse().unwrap()).is_empty());
        assert!(sub.difference("10.9.9.0/24".parse().unwrap()).is_empty());
        assert!(sub
            .difference("2001:db8:1::/48".parse().unwrap())
            .is_empty());
    }

    #[test]
    fn v6_and_several_holes() {
        let sub = Subtrahend::new(&nets(&[
            "2001:db8::/34",
            "2001:db8:8000::/33",
            "10.0.0.0/8",
            "192.0.2.0/25",
        ]));
        assert_eq!(
            sub.difference("2001:db8::/32".parse().unwrap()),
            nets(&["2001:db8:4000::/34"])
        );
        assert_eq!(
            sub.difference("192.0.2.0/24".parse().unwrap()),
            nets(&["192.0.2.128/25"])
        );
        // Disjoint and other-family subtrahends leave the prefix alone.
        assert_eq!(
            sub.difference("198.51.100.0/24".parse().unwrap()),
            nets(&["198.51.100.0/24"])
        );
    }

    #[test]
    fn difference_covers_exactly_the_remaining_addresses() {
        let sub = Subtrahend::new(&nets(&["10.0.0.5/32", "10.0.0.64/27", "10.0.0.200/30"]));
        let parts = sub.difference("10.0.0.0/24".parse().unwrap());
        let remaining: u32 = parts.iter().map(|p| 1u32 << (32 - p.prefix_len())).sum();
        assert_eq!(remaining, 256 - 1 - 32 - 4);
        for n in 0u8..=255 {
            let addr: IpAddr = [10, 0, 0, n].into();
            let removed = n == 5 || (64..96).contains(&n) || (200..204).contains(&n);
            assert_eq!(
                parts.iter().any(|p| p.contains(&addr)),
                !removed,
                "10.0.0.{n}"
            );
        }
    }
}
