//! Longest-prefix match over every provider feed at once, plus a compact versioned snapshot.
//!
//! # Design
//!
//! Records are interned (provider, region and service strings live once in sorted tables and
//! records refer to them by index) and kept in one canonical order: family (IPv4 first), network
//! address, prefix length (less specific first), provider, region, service. Identical records are
//! removed. Because the order is canonical, two tables built from the same set of records are
//! equal field by field, and a snapshot of them is the same bytes.
//!
//! Lookups do not walk a trie. For each address family the overlapping prefixes are flattened
//! once, at build time, into *disjoint* intervals that cover the whole address space: a sorted
//! array of interval start addresses and, per interval, the id of its *match set* (the records
//! that contain every address of the interval, most specific first). Prefixes either nest or are
//! disjoint, so the containing prefixes of any address form a chain and a match set is fully
//! determined by the innermost distinct prefix: there is exactly one match set per distinct
//! prefix (its own records followed by its parent's set) plus the empty set, and the sets are
//! computed with a stack in one sweep over the sorted records (O(n), no hashing).
//!
//! A lookup is then: a direct index on the top 16 address bits (65,537 `u32` offsets) selects
//! the bucket of intervals starting in that 1/65536th of the space, a branch-light binary search
//! inside that (usually tiny) bucket finds the interval, and the answer is a borrowed slice of
//! record ids. No allocation, and only a handful of cache lines are touched. IPv6 uses the same
//! code on `u128` addresses; as almost all IPv6 feed space sits inside `2000::/3`, buckets that
//! hold many intervals get a second-level index on the next 16 bits (see [`Intervals`]).
//!
//! IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as the IPv4 address `a.b.c.d`,
//! because that is what a dual-stack socket or a DNS answer rendered as IPv6 means; feeds never
//! publish ranges inside `::ffff:0:0/96`, so nothing is lost.
//!
//! The snapshot format is described in [`snapshot`](self#snapshot-format) below: a snapshot
//! stores only the interned strings, the feed metadata and the sorted records; intervals are
//! rebuilt on load with the same O(n) sweep, which keeps the file small and the loader simple
//! (no offsets to trust).
//!
//! # Snapshot format
//!
//! ```text
//! "OBPT"            magic, 4 bytes
//! version           u16 little endian (SNAPSHOT_VERSION)
//! body_len          u32 little endian
//! crc32             u32 little endian, CRC-32 (IEEE) of the body
//! body:
//!   providers       varint count, then per string: varint byte length, UTF-8 bytes (strictly ascending)
//!   regions         same
//!   services        same
//!   feeds           varint count, then per feed: file, provider, date?, version?, varint records
//!                   (strings as above; optional strings as varint 0 = none or length + 1)
//!   records         varint count, then per record (strictly ascending canonical order):
//!                   u8 code (IPv4: prefix length 0..=32; IPv6: 33 + prefix length),
//!                   the first ceil(len / 8) bytes of the network address (host bits zero),
//!                   varint provider id, varint region id + 1 (0 = none), varint service id + 1
//! ```
//!
//! Varints are unsigned LEB128 and must be minimally encoded; every string must be used by
//! some record. These canonical-form rules make `to_snapshot(from_snapshot(x)) == x` hold byte
//! for byte for every accepted `x`.

mod snapshot;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use crate::record::PrefixRecord;

pub use snapshot::{SnapshotError, SNAPSHOT_VERSION};

/// Metadata about one feed file that contributed records, carried in the table and snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedInfo {
    /// File name the feed was read from (e.g. `ip-ranges.json`).
    pub file: String,
    /// Provider id the feed belongs to.
    pub provider: String,
    /// Publication date as found in the feed, if any.
    pub date: Option<String>,
    /// Version / sync token / change number as found in the feed, if any.
    pub version: Option<String>,
    /// Number of records the feed produced.
    pub records: u32,
}

/// A borrowed view of one record of a [`PrefixTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// The range (host bits cleared).
    pub prefix: IpNet,
    /// Provider id.
    pub provider: &'a str,
    /// Provider region, if any.
    pub region: Option<&'a str>,
    /// Provider service, if any.
    pub service: Option<&'a str>,
}

impl RecordRef<'_> {
    /// An owned copy of this record.
    pub fn to_record(&self) -> PrefixRecord {
        PrefixRecord::new(self.prefix, self.provider, self.region, self.service)
    }
}

/// An interned record: strings are indices into the table's sorted string tables.
///
/// `region` and `service` are `0` for "none" and `index + 1` otherwise, so comparing the
/// integers orders records exactly like comparing the `Option<&str>` they stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rec {
    prefix: IpNet,
    provider: u32,
    region: u32,
    service: u32,
}

/// Canonical sort key of a prefix: family (IPv4 first), network address, prefix length.
fn prefix_key(p: &IpNet) -> (u8, u128, u8) {
    match p {
        IpNet::V4(n) => (0, u128::from(u32::from(n.network())), n.prefix_len()),
        IpNet::V6(n) => (1, u128::from(n.network()), n.prefix_len()),
    }
}

/// Canonical sort key of an interned record.
fn rec_key(r: &Rec) -> ((u8, u128, u8), u32, u32, u32) {
    (prefix_key(&r.prefix), r.provider, r.region, r.service)
}

/// Match set id of the empty set (addresses covered by no record).
const EMPTY_SET: u32 = 0;

/// Address-family abstraction so IPv4 (`u32`) and IPv6 (`u128`) share the interval code.
trait Addr: Copy + Ord + fmt::Debug {
    /// Width in bits.
    const BITS: u32;
    /// The lowest address.
    const ZERO: Self;
    /// Bits `[shift, shift + 16)` counted from the most significant end, as a bucket number.
    fn bits16(self, shift: u32) -> usize;
    /// `self + 1`, or `None` at the top of the address space.
    fn checked_inc(self) -> Option<Self>;
}

impl Addr for u32 {
    const BITS: u32 = 32;
    const ZERO: Self = 0;
    #[inline(always)]
    fn bits16(self, shift: u32) -> usize {
        ((self << shift) >> 16) as usize
    }
    fn checked_inc(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl Addr for u128 {
    const BITS: u32 = 128;
    const ZERO: Self = 0;
    #[inline(always)]
    fn bits16(self, shift: u32) -> usize {
        ((self << shift) >> 112) as usize
    }
    fn checked_inc(self) -> Option<Self> {
        self.checked_add(1)
    }
}

/// Buckets of the top-level index holding more intervals than this get a second-level index.
///
/// Below this size a binary search is a few probes within one or two cache lines; above it
/// (in practice only IPv6 buckets such as `2603::/16`, where Azure publishes ~15k prefixes) the
/// second level cuts ~12 dependent probes over hundreds of KiB down to a few.
const SUBINDEX_THRESHOLD: usize = 256;

/// Disjoint intervals covering one address family, with a two-level direct index.
#[derive(Clone, PartialEq, Eq)]
struct Intervals<A> {
    /// Sorted, distinct interval start addresses; `starts[0] == 0`.
    starts: Vec<A>,
    /// Match set id of each interval (same length as `starts`).
    sets: Vec<u32>,
    /// `index[h]` = first interval whose start has top-16-bit value `>= h`; 65,537 entries.
    index: Vec<u32>,
    /// Per top-level bucket: `u32::MAX`, or the offset into `sub` of a 65,537-entry index on the
    /// next 16 bits (values relative to the bucket's first interval).
    sub_of: Vec<u32>,
    /// Concatenated second-level indexes.
    sub: Vec<u32>,
}

impl<A: Addr> Intervals<A> {
    /// Index the intervals (`starts` sorted, first start zero).
    fn new(starts: Vec<A>, sets: Vec<u32>) -> Self {
        let index = bucket_index(&starts, 0);
        let mut sub_of = vec![u32::MAX; 1 << 16];
        let mut sub = Vec::new();
        // IPv4 addresses have only 16 bits below the top-level bucket: a second level would be
        // exact but 256 KiB each; the threshold keeps it for IPv6 in practice, and for IPv4 only
        // if a /16 is split into very many intervals.
        for (h, w) in index.windows(2).enumerate() {
            let (lo, hi) = (w[0] as usize, w[1] as usize);
            if hi - lo > SUBINDEX_THRESHOLD && A::BITS > 32 {
                sub_of[h] = sub.len() as u32;
                sub.extend(bucket_index(&starts[lo..hi], 16));
            }
        }
        Self {
            starts,
            sets,
            index,
            sub_of,
            sub,
        }
    }

    /// Intervals for an empty family: one interval, the whole space, matching nothing.
    fn empty() -> Self {
        Self::new(vec![A::ZERO], vec![EMPTY_SET])
    }

    /// The match set id of the interval containing `a`.
    #[inline]
    fn find(&self, a: A) -> u32 {
        let h = a.bits16(0);
        let (Some(&lo), Some(&hi)) = (self.index.get(h), self.index.get(h + 1)) else {
            return EMPTY_SET;
        };
        let (mut lo, mut hi) = (lo as usize, hi as usize);
        if let Some(&off) = self.sub_of.get(h) {
            if off != u32::MAX {
                let s = off as usize + a.bits16(16);
                if let (Some(&sl), Some(&sh)) = (self.sub.get(s), self.sub.get(s + 1)) {
                    (lo, hi) = (lo + sl as usize, lo + sh as usize);
                }
            }
        }
        let bucket = self.starts.get(lo..hi).unwrap_or(&[]);
        // The answer is the last interval starting at or before `a`: inside the bucket, or the
        // one just before it (which spans into the bucket). `starts[0] == 0` guarantees
        // `lo + pp >= 1` whenever `lo == 0`.
        let pp = bucket.partition_point(|&s| s <= a);
        let i = (lo + pp).wrapping_sub(1);
        self.sets.get(i).copied().unwrap_or(EMPTY_SET)
    }
}

/// `idx[h]` = number of `starts` whose 16 bits at `shift` are `< h`, for `h` in `0..=65536`.
fn bucket_index<A: Addr>(starts: &[A], shift: u32) -> Vec<u32> {
    let mut index = Vec::with_capacity((1 << 16) + 1);
    let mut i = 0usize;
    for h in 0..=(1usize << 16) {
        while i < starts.len() && starts[i].bits16(shift) < h {
            i += 1;
        }
        index.push(i as u32);
    }
    index
}

/// Match sets: set `s` is `items[offsets[s]..offsets[s + 1]]`, record ids most specific first.
#[derive(Clone, PartialEq, Eq)]
struct Sets {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Sets {
    fn new() -> Self {
        // Set 0 is the empty set.
        Self {
            offsets: vec![0, 0],
            items: Vec::new(),
        }
    }

    /// A new set: records `ids` (one distinct prefix) followed by the `parent` set.
    fn push(&mut self, ids: std::ops::Range<usize>, parent: u32) -> u32 {
        let id = (self.offsets.len() - 1) as u32;
        self.items.extend(ids.map(|i| i as u32));
        let p = self.range(parent);
        self.items.extend_from_within(p);
        self.offsets.push(self.items.len() as u32);
        id
    }

    fn range(&self, set: u32) -> std::ops::Range<usize> {
        let s = set as usize;
        match (self.offsets.get(s), self.offsets.get(s + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    fn get(&self, set: u32) -> &[u32] {
        self.items.get(self.range(set)).unwrap_or(&[])
    }
}

/// Flatten one family's sorted records (`recs`, global ids starting at `base`) into intervals.
///
/// Sweep in canonical order keeping a stack of the open (containing) prefixes; because
/// prefixes nest or are disjoint, the stack top always contains the next prefix once the
/// prefixes ending before it are popped. Each boundary emits an interval.
fn sweep<A: Addr>(
    recs: &[Rec],
    base: usize,
    range: impl Fn(&IpNet) -> (A, A),
    sets: &mut Sets,
) -> Intervals<A> {
    let mut starts: Vec<A> = Vec::with_capacity(recs.len() * 2 + 1);
    let mut ids: Vec<u32> = Vec::with_capacity(recs.len() * 2 + 1);
    let mut emit = |start: A, set: u32| {
        // Merge with the previous interval if it answers the same (keeps the form canonical).
        if ids.last() != Some(&set) {
            starts.push(start);
            ids.push(set);
        }
    };
    let mut cur = A::ZERO; // first address not yet assigned to an interval
    let mut done = false; // `cur` ran past the top of the space
    let mut stack: Vec<(A, u32)> = Vec::new(); // (last address, match set) of open prefixes
    let mut i = 0;
    while let Some(r) = recs.get(i) {
        let mut j = i + 1;
        while recs.get(j).is_some_and(|n| n.prefix == r.prefix) {
            j += 1;
        }
        let (s, e) = range(&r.prefix);
        while let Some(&(top_end, top_set)) = stack.last() {
            if top_end >= s {
                break;
            }
            if cur <= top_end {
                emit(cur, top_set);
            }
            stack.pop();
            // top_end < s, so this cannot overflow.
            cur = top_end.checked_inc().unwrap_or(top_end);
        }
        let parent = stack.last().map_or(EMPTY_SET, |t| t.1);
        if cur < s {
            emit(cur, parent);
        }
        cur = s;
        let set = sets.push(base + i..base + j, parent);
        stack.push((e, set));
        i = j;
    }
    while let Some((top_end, top_set)) = stack.pop() {
        if !done && cur <= top_end {
            emit(cur, top_set);
            match top_end.checked_inc() {
                Some(n) => cur = n,
                None => done = true,
            }
        }
    }
    if !done {
        emit(cur, EMPTY_SET);
    }
    Intervals::new(starts, ids)
}

fn v4_range(p: &IpNet) -> (u32, u32) {
    match p {
        IpNet::V4(n) => (u32::from(n.network()), u32::from(n.broadcast())),
        IpNet::V6(_) => (0, 0), // never called: the caller splits by family
    }
}

fn v6_range(p: &IpNet) -> (u128, u128) {
    match p {
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
        IpNet::V4(_) => (0, 0), // never called: the caller splits by family
    }
}

/// All published prefixes of all feeds, answering longest-prefix-match queries.
#[derive(Clone)]
pub struct PrefixTable {
    providers: Vec<Box<str>>,
    regions: Vec<Box<str>>,
    services: Vec<Box<str>>,
    /// Canonical order; IPv4 records first.
    records: Vec<Rec>,
    feeds: Vec<FeedInfo>,
    sets: Sets,
    v4: Intervals<u32>,
    v6: Intervals<u128>,
}

impl PartialEq for PrefixTable {
    /// Same records and same feeds (the lookup structures are derived from the records).
    fn eq(&self, other: &Self) -> bool {
        self.providers == other.providers
            && self.regions == other.regions
            && self.services == other.services
            && self.records == other.records
            && self.feeds == other.feeds
    }
}

impl Eq for PrefixTable {}

impl fmt::Debug for PrefixTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixTable")
            .field("records", &self.records.len())
            .field("providers", &self.providers)
            .field("regions", &self.regions.len())
            .field("services", &self.services.len())
            .field("v4_intervals", &self.v4.starts.len())
            .field("v6_intervals", &self.v6.starts.len())
            .field("feeds", &self.feeds)
            .finish()
    }
}

impl Default for PrefixTable {
    fn default() -> Self {
        Self::empty()
    }
}

/// Sorted, deduplicated string table from an iterator of strings.
fn intern_table<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = it.collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn id_of(table: &[&str], s: &str) -> u32 {
    // Every string was collected into `table` first, so the search always succeeds.
    table.binary_search(&s).map_or(0, |i| i as u32)
}

impl PrefixTable {
    /// Build a table from records (any order; host bits are cleared, duplicates removed).
    ///
    /// Tables are limited to `u32::MAX` records, far beyond any real feed set.
    pub fn build(records: &[PrefixRecord], feeds: Vec<FeedInfo>) -> Self {
        let providers = intern_table(records.iter().map(|r| r.provider.as_str()));
        let regions = intern_table(records.iter().filter_map(|r| r.region.as_deref()));
        let services = intern_table(records.iter().filter_map(|r| r.service.as_deref()));
        let mut recs: Vec<Rec> = records
            .iter()
            .map(|r| Rec {
                prefix: r.prefix.trunc(),
                provider: id_of(&providers, &r.provider),
                region: r.region.as_deref().map_or(0, |s| id_of(&regions, s) + 1),
                service: r.service.as_deref().map_or(0, |s| id_of(&services, s) + 1),
            })
            .collect();
        recs.sort_unstable_by_key(rec_key);
        recs.dedup();
        let boxed = |t: Vec<&str>| t.into_iter().map(Box::from).collect();
        Self::assemble(
            boxed(providers),
            boxed(regions),
            boxed(services),
            recs,
            feeds,
        )
    }

    /// Build the lookup structures from canonical parts (sorted, deduplicated, ids in range).
    fn assemble(
        providers: Vec<Box<str>>,
        regions: Vec<Box<str>>,
        services: Vec<Box<str>>,
        records: Vec<Rec>,
        feeds: Vec<FeedInfo>,
    ) -> Self {
        let split = records.partition_point(|r| matches!(r.prefix, IpNet::V4(_)));
        let mut sets = Sets::new();
        let (r4, r6) = records.split_at(split);
        let v4 = sweep(r4, 0, v4_range, &mut sets);
        let v6 = sweep(r6, split, v6_range, &mut sets);
        Self {
            providers,
            regions,
            services,
            records,
            feeds,
            sets,
            v4,
            v6,
        }
    }

    /// A table with no records and no feeds.
    pub fn empty() -> Self {
        Self {
            providers: Vec::new(),
            regions: Vec::new(),
            services: Vec::new(),
            records: Vec::new(),
            feeds: Vec::new(),
            sets: Sets::new(),
            v4: Intervals::empty(),
            v6: Intervals::empty(),
        }
    }

    /// All records containing `ip`, most specific first (IPv4-mapped IPv6 is looked up as IPv4).
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Matches<'_> {
        match ip {
            IpAddr::V4(a) => self.lookup_v4(u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.lookup_v4(u32::from(v4)),
                None => self.lookup_v6(u128::from(a)),
            },
        }
    }

    /// All records containing the IPv4 address `ip` (host byte order), most specific first.
    #[inline]
    pub fn lookup_v4(&self, ip: u32) -> Matches<'_> {
        self.matches(self.v4.find(ip))
    }

    /// All records containing the IPv6 address `ip`, most specific first (no IPv4 mapping).
    #[inline]
    pub fn lookup_v6(&self, ip: u128) -> Matches<'_> {
        self.matches(self.v6.find(ip))
    }

    #[inline]
    fn matches(&self, set: u32) -> Matches<'_> {
        Matches {
            table: self,
            ids: self.sets.get(set).iter(),
        }
    }

    /// The most specific record containing `ip`, if any.
    #[inline]
    pub fn first(&self, ip: IpAddr) -> Option<RecordRef<'_>> {
        self.lookup(ip).next()
    }

    /// Number of (distinct) records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True if the table holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Metadata of the feeds the table was built from.
    pub fn feeds(&self) -> &[FeedInfo] {
        &self.feeds
    }

    /// Every record in canonical order (IPv4 then IPv6, by address, less specific first).
    pub fn records(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        self.records.iter().map(|r| self.view(r))
    }

    /// Number of disjoint intervals per family (IPv4, IPv6); a size diagnostic.
    pub fn interval_counts(&self) -> (usize, usize) {
        (self.v4.starts.len(), self.v6.starts.len())
    }

    fn view(&self, r: &Rec) -> RecordRef<'_> {
        // Ids are in range by construction (`build`) or validation (`from_snapshot`).
        RecordRef {
            prefix: r.prefix,
            provider: self.providers.get(r.provider as usize).map_or("", |s| s),
            region: opt_str(&self.regions, r.region),
            service: opt_str(&self.services, r.service),
        }
    }

    /// Encode the table as a snapshot (see the module docs for the format).
    pub fn to_snapshot(&self) -> Vec<u8> {
        snapshot::encode(self)
    }

    /// Decode and validate a snapshot; never panics, whatever the bytes.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, SnapshotError> {
        snapshot::decode(bytes)
    }
}

/// Iterator over the records matching one address, most specific first.
#[derive(Clone, Debug)]
pub struct Matches<'a> {
    table: &'a PrefixTable,
    ids: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for Matches<'a> {
    type Item = RecordRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let id = *self.ids.next()?;
        self.table
            .records
            .get(id as usize)
            .map(|r| self.table.view(r))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for Matches<'_> {}

impl std::iter::FusedIterator for Matches<'_> {}

impl DoubleEndedIterator for Matches<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let id = *self.ids.next_back()?;
        self.table
            .records
            .get(id as usize)
            .map(|r| self.table.view(r))
    }
}

/// String `id - 1` of table `t`; `0` means none.
fn opt_str(t: &[Box<str>], id: u32) -> Option<&str> {
    id.checked_sub(1)
        .and_then(|i| t.get(i as usize))
        .map(|s| &**s)
}

/// Build an `IpNet` from a family/length/address triple (used by the snapshot decoder).
fn make_prefix(v6: bool, len: u8, addr: u128) -> Option<IpNet> {
    if v6 {
        Ipv6Net::new(Ipv6Addr::from(addr), len).ok().map(IpNet::V6)
    } else {
        let a = u32::try_from(addr).ok()?;
        Ipv4Net::new(Ipv4Addr::from(a), len).ok().map(IpNet::V4)
    }
}
