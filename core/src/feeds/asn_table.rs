//! An offline IP → origin AS table: CSV lines `range_start,range_end,asn,org` (the layout of
//! the `ip-location-db` ASN files built from RouteViews, the RIRs and DB-IP). It gives
//! `onebasket ip` the AS step that online look-ups get from Team Cymru, for addresses outside
//! every published range and for ranges the AS refines (Google's space run by Google Cloud).

use std::collections::HashMap;
use std::net::IpAddr;

use super::ctx::Ctx;
use super::error::snippet;
use super::geofeed::split_csv;
use super::FeedError;

/// Sorted, disjoint address ranges per family, each with its AS number and holder name.
#[derive(Debug, Clone, Default)]
pub struct AsnTable {
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
    holders: Vec<String>,
    holder_ids: HashMap<String, u32>,
}

#[derive(Debug, Clone, Copy)]
struct Range<T> {
    start: T,
    end: T,
    asn: u32,
    holder: u32,
}

/// What the table says about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsnEntry<'a> {
    /// The origin AS number.
    pub asn: u32,
    /// The AS holder's name as the table spells it (may be empty).
    pub holder: &'a str,
}

impl AsnTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every line of one CSV file (IPv4 and IPv6 lines may mix); `file` names it in
    /// errors. A malformed line fails the whole file and leaves the table as it was.
    /// Returns the number of ranges added.
    pub fn add_csv(&mut self, file: &str, bytes: &[u8]) -> Result<usize, FeedError> {
        let cx = Ctx::new(file);
        let text = cx.text(bytes)?;
        let mut fields = Vec::new();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut holders: Vec<String> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("line {}", n + 1);
            split_csv(line, &mut fields)
                .map_err(|problem| cx.shape(at(), format!("{problem} in {:?}", snippet(line))))?;
            let field = |k: usize| fields.get(k).map_or("", String::as_str);
            let bad = |what: &str| cx.shape(at(), format!("{what} in {:?}", snippet(line)));
            let start: IpAddr = field(0).parse().map_err(|_| bad("invalid start address"))?;
            let end: IpAddr = field(1).parse().map_err(|_| bad("invalid end address"))?;
            let asn: u32 = field(2).parse().map_err(|_| bad("invalid AS number"))?;
            let holder = u32::try_from(holders.len()).unwrap_or(u32::MAX);
            holders.push(field(3).to_owned());
            match (start, end) {
                (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => v4.push(Range {
                    start: u32::from(s),
                    end: u32::from(e),
                    asn,
                    holder,
                }),
                (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => v6.push(Range {
                    start: u128::from(s),
                    end: u128::from(e),
                    asn,
                    holder,
                }),
                _ => return Err(bad("range ends before it starts or mixes families")),
            }
        }
        if v4.is_empty() && v6.is_empty() {
            return Err(FeedError::Empty {
                file: file.to_owned(),
            });
        }
        let added = v4.len() + v6.len();
        // Holder names repeat (84 k ASNs over 412 k ranges): store each once.
        let mut ids = Vec::with_capacity(holders.len());
        for name in holders {
            let next = u32::try_from(self.holders.len()).unwrap_or(u32::MAX);
            let id = *self.holder_ids.entry(name.clone()).or_insert_with(|| {
                self.holders.push(name);
                next
            });
            ids.push(id);
        }
        let remap = |holder: u32| ids.get(holder as usize).copied().unwrap_or(0);
        v4.iter_mut().for_each(|r| r.holder = remap(r.holder));
        v6.iter_mut().for_each(|r| r.holder = remap(r.holder));
        self.v4 = merge(std::mem::take(&mut self.v4), v4);
        self.v6 = merge(std::mem::take(&mut self.v6), v6);
        Ok(added)
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether the table holds no range.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The origin AS of `ip`, if a range covers it.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnEntry<'_>> {
        let (asn, holder) = match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a))?,
            IpAddr::V6(a) => find(&self.v6, u128::from(a))?,
        };
        Some(AsnEntry {
            asn,
            holder: self.holders.get(holder as usize).map_or("", String::as_str),
        })
    }
}

/// Sorted by start and made disjoint: where two ranges overlap, the one starting later wins
/// from its start on (the fixture has one such pair, two DoD blocks), so a look-up is one
/// binary search.
fn merge<T: Copy + Ord + One>(mut a: Vec<Range<T>>, b: Vec<Range<T>>) -> Vec<Range<T>> {
    a.extend(b);
    a.sort_by(|x, y| x.start.cmp(&y.start).then(y.end.cmp(&x.end)));
    let mut out: Vec<Range<T>> = Vec::with_capacity(a.len());
    for r in a {
        if let Some(last) = out.last_mut() {
            if r.start <= last.end {
                if r.start == last.start {
                    // Same start: the wider (earlier sorted) keeps it; drop the other.
                    continue;
                }
                last.end = r.start.minus_one();
            }
        }
        out.push(r);
    }
    out
}

fn find<T: Copy + Ord>(ranges: &[Range<T>], addr: T) -> Option<(u32, u32)> {
    let i = ranges.partition_point(|r| r.start <= addr).checked_sub(1)?;
    let r = ranges.get(i)?;
    (addr <= r.end).then_some((r.asn, r.holder))
}

/// The address before this one (`start > 0` is guaranteed where it is used).
trait One {
    fn minus_one(self) -> Self;
}

impl One for u32 {
    fn minus_one(self) -> Self {
        self.saturating_sub(1)
    }
}

impl One for u128 {
    fn minus_one(self) -> Self {
        self.saturating_sub(1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_ranges_of_both_families() {
        let mut t = AsnTable::new();
        let csv = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n\
                   8.8.8.0,8.8.8.255,15169,Google LLC\n\
                   2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n";
        assert_eq!(t.add_csv("asn.csv", csv.as_bytes()).unwrap(), 3);
        let hit = |a: &str| {
            t.lookup(a.parse().unwrap())
                .map(|e| (e.asn, e.holder.to_owned()))
        };
        assert_eq!(hit("1.0.0.7"), Some((13335, "Cloudflare, Inc.".into())));
        assert_eq!(hit("8.8.8.255"), Some((15169, "Google LLC".into())));
        assert_eq!(hit("8.8.9.0"), None);
        assert_eq!(hit("0.0.0.1"), None);
        assert_eq!(
            hit("2001:4860:4860::8888"),
            Some((15169, "Google LLC".into()))
        );
        assert_eq!(hit("2001:4861::"), None);
    }

    #[test]
    fn overlapping_ranges_resolve_to_the_later_start() {
        let mut t = AsnTable::new();
        let csv = "214.95.0.0,215.0.255.255,749,DoD\n215.0.0.0,215.1.3.255,721,DoD NIC\n";
        t.add_csv("asn.csv", csv.as_bytes()).unwrap();
        let asn = |a: &str| t.lookup(a.parse().unwrap()).map(|e| e.asn);
        assert_eq!(asn("214.255.255.255"), Some(749));
        assert_eq!(asn("215.0.0.1"), Some(721));
        assert_eq!(asn("215.1.3.255"), Some(721));
    }

    #[test]
    fn a_bad_line_fails_the_file_and_keeps_the_table() {
        let mut t = AsnTable::new();
        t.add_csv("a.csv", b"8.8.8.0,8.8.8.255,15169,Google LLC\n")
            .unwrap();
        for (bad, want) in [
            ("8.8.4.0,8.8.4.255,AS15169,Google\n", "invalid AS number"),
            ("8.8.4.0,8.8.3.0,15169,Google\n", "ends before it starts"),
            ("8.8.4.0,2001::,15169,Google\n", "mixes families"),
            ("8.8.4,8.8.4.255,15169,Google\n", "invalid start address"),
            ("8.8.4.0,8.8.4.255,15169,\"Goo\n", "unterminated"),
        ] {
            let e = t.add_csv("b.csv", bad.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("b.csv: line 1: ") && e.contains(want), "{e}");
        }
        assert!(matches!(
            t.add_csv("c.csv", b"# nothing\n"),
            Err(FeedError::Empty { .. })
        ));
        assert_eq!(t.len(), 1);
    }
}
