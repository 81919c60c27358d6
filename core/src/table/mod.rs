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
//! Lookups do not walk a prefix trie. For each address family the overlapping prefixes are
//! flattened once, at build time, into *disjoint* intervals that cover the whole address space:
//! a sorted array of interval start addresses and, per interval, the most specific record
//! containing it (or none). Prefixes either nest or are disjoint, so the records containing an
//! address form a chain determined by the innermost distinct prefix: its own records (canonical
//! order) followed by its parent prefix's chain. Each record stores the next record of its
//! chain and the chain's remaining length, so a match set costs two `u32`s per record (no
//! per-interval lists to deduplicate), and the links are filled in by a stack-based sweep over
//! the sorted records (O(n), no hashing). Equal prefixes from different providers are all in the
//! chain; a CDN /24 inside a cloud /16 answers the /24 first, then the /16.
//!
//! A lookup is then: a direct index on the top 16 address bits (the root of a small,
//! path-compressed multibit trie whose dense slots get child nodes, see `Intervals` in the source) either
//! answers at once (the slot lies inside one interval) or narrows the search to at most a few
//! interval starts, which a branchless binary search resolves. The result is an iterator that
//! holds one record id and the address; no allocation. Its first item is built from a packed
//! 4-byte summary of the record (prefix length and string ids) and the address, so the usual
//! "most specific record" look-up never reads the 40-byte record. IPv6 uses the same code on
//! `u128` addresses: its feed space is concentrated (Azure alone has ~15k prefixes in
//! `2603::/16`), which is what the adaptive depth and path compression are for. Its longest
//! prefixes (/120–/128, inside 1.6k /64s) are reached through a small hash table keyed by the
//! address's /64, which leads straight to that /64's own node. A plain binary search over all
//! intervals would be ~17 dependent, mostly cache-missing probes; a fixed 16-bit index alone
//! left buckets of thousands of IPv6 intervals.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as the IPv4 address `a.b.c.d`,
//! because that is what a dual-stack socket or a DNS answer rendered as IPv6 means; feeds never
//! publish ranges inside `::ffff:0:0/96`, so nothing is lost.
//!
//! A snapshot (format below) stores only the interned strings, the feed metadata and the sorted
//! records; intervals, chains and index are rebuilt on load with the same O(n) sweep, which
//! keeps the file small and the loader simple (no offsets to trust). The records are of a fixed
//! width, so a reader that needs only the records containing a few addresses (the worker's
//! first answer) finds them by binary search in the bytes.
//!
//! # Snapshot format
//!
//! ```text
//! "OBPT"            magic, 4 bytes
//! version           u16 little endian (SNAPSHOT_VERSION, 2; version 1 is still read)
//! body_len          u32 little endian
//! crc32             u32 little endian, CRC-32 (IEEE) of the body
//! body:
//!   providers       varint count, then per string: varint byte length, UTF-8 bytes (strictly ascending)
//!   regions         same
//!   services        same
//!   feeds           varint count, then per feed: file, provider, date?, version?, varint records
//!                   (strings as above; optional strings as varint 0 = none or length + 1)
//!   tags            varint count, then per tag (strictly ascending): varint provider id,
//!                   varint region id + 1 (0 = none), varint service id + 1
//!   IPv4 records    varint count, then per record (strictly ascending by address, length, tag):
//!                   u32 big endian network address (host bits zero), u8 prefix length (0..=32),
//!                   tag index, little endian in the fewest bytes (at least 1) holding the largest
//!   IPv6 records    the same with a 16-byte address and lengths 0..=128
//! ```
//!
//! Version 1 had no tags and one records section: varint count, then per record (canonical
//! order) a u8 code (IPv4: prefix length 0..=32; IPv6: 33 + prefix length), the first
//! ceil(len / 8) bytes of the network address, and the three ids as varints.
//!
//! Varints are unsigned LEB128 and must be minimally encoded; every string must be used by
//! some tag, every tag by some record, and region and service names are never empty (an empty
//! one is none). These canonical-form rules make `to_snapshot(from_snapshot(x)) == x` hold byte
//! for byte for every accepted `x` of the current version.

pub mod probe;
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
    /// The provider's position among the table's providers ([`PrefixTable::providers`]): lets
    /// a caller keep per-provider facts for a table and find them without comparing strings.
    pub provider_index: usize,
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
///
/// `next` and `count` link the record into its match chain (filled in by [`sweep`]): the
/// records matching any address are a chain `first, records[first].next, ...` of length
/// `records[first].count`, so a lookup reaches its most specific record with one load and the
/// iterator knows its exact length up front.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rec {
    prefix: IpNet,
    provider: u32,
    region: u32,
    service: u32,
    /// Next (less or equally specific) record of the match chain, or [`NONE`].
    next: u32,
    /// Length of the match chain starting at this record (this record included).
    count: u32,
}

impl Rec {
    /// An unlinked record (the sweep links it).
    fn new(prefix: IpNet, provider: u32, region: u32, service: u32) -> Self {
        Self {
            prefix,
            provider,
            region,
            service,
            next: NONE,
            count: 0,
        }
    }
}

/// Canonical sort key of a prefix: family (IPv4 first), network address, prefix length.
#[inline]
fn prefix_key(p: &IpNet) -> (u8, u128, u8) {
    match p {
        IpNet::V4(n) => (0, u128::from(u32::from(n.network())), n.prefix_len()),
        IpNet::V6(n) => (1, u128::from(n.network()), n.prefix_len()),
    }
}

/// Canonical sort key of an interned record.
#[inline]
fn rec_key(r: &Rec) -> ((u8, u128, u8), u32, u32, u32) {
    (prefix_key(&r.prefix), r.provider, r.region, r.service)
}

/// "No record": the value of intervals no prefix covers, and the end of every match chain.
const NONE: u32 = u32::MAX;

/// Address-family abstraction so IPv4 (`u32`) and IPv6 (`u128`) share the interval code.
trait Addr: Copy + Ord + fmt::Debug {
    /// Width in bits.
    const BITS: u32;
    /// The lowest address.
    const ZERO: Self;
    /// Leaves of the index hold at most this many interval starts (unless the address bits
    /// run out), so the final binary search stays within two cache lines.
    const LEAF_MAX: usize;
    /// Leaf buckets (at most `LEAF_MAX + 1` intervals) are searched as if this long, a power
    /// of two, in a fixed number of steps (see [`Intervals::last_le_window`]).
    const WINDOW: usize = (Self::LEAF_MAX + 1).next_power_of_two();
    /// A child node gets enough slots for them to average `LEAF_MAX / DENSITY` interval
    /// starts: a higher density means wider nodes, fewer levels, and a larger index.
    const DENSITY: usize;
    /// The `width` (1..=64) bits starting `shift` bits below the most significant one;
    /// `shift + width <= BITS`.
    fn bits(self, shift: u32, width: u32) -> u64;
    /// Number of leading bits `self` and `other` have in common.
    fn common_prefix(self, other: Self) -> u32;
    /// Number of trailing zero bits.
    fn trailing_zeros(self) -> u32;
    /// `self + 1`, or `None` at the top of the address space.
    fn checked_inc(self) -> Option<Self>;
}

macro_rules! impl_addr {
    ($t:ty, $leaf:expr, $density:expr, $bits:expr) => {
        impl Addr for $t {
            const BITS: u32 = <$t>::BITS;
            const ZERO: Self = 0;
            const LEAF_MAX: usize = $leaf;
            const DENSITY: usize = $density;
            #[inline(always)]
            fn bits(self, shift: u32, width: u32) -> u64 {
                $bits(self, shift, width)
            }
            fn common_prefix(self, other: Self) -> u32 {
                (self ^ other).leading_zeros()
            }
            fn trailing_zeros(self) -> u32 {
                <$t>::trailing_zeros(self)
            }
            fn checked_inc(self) -> Option<Self> {
                self.checked_add(1)
            }
        }
    };
}

// A bucket is at most LEAF_MAX + 1 intervals (the one spanning into the slot, plus those
// starting inside), so these make windows of 16 IPv4 pairs (128 bytes, four search steps)
// and 4 IPv6 pairs (128 bytes, two steps). IPv6 nodes were once made 4× denser to cut levels
// (Azure's region /40s, then /48s, /64s and /125s); since the /64 table leads straight to the
// deepest ones, that density bought no speed and cost 3.1 MB of index, which the worker keeps
// for good (a wasm heap never shrinks). The figures behind these choices are in BENCHMARKS.md.
impl_addr!(u32, 15, 4, |a: u32, shift: u32, width: u32| {
    u64::from((a << shift) >> (32 - width))
});
#[cfg(target_arch = "wasm32")]
impl_addr!(u128, 3, 4, bits128);
#[cfg(not(target_arch = "wasm32"))]
impl_addr!(u128, 3, 4, |a: u128, shift: u32, width: u32| {
    ((a << shift) >> (128 - width)) as u64
});

/// [`Addr::bits`] of a `u128` from its two 64-bit halves, for wasm: it has no 128-bit integers,
/// and a shift by a variable amount of a `u128` there is a library call (two per look-up level,
/// and most of the time it took to build the IPv6 index in the worker). Elsewhere the plain
/// shifts are single instructions.
#[inline(always)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn bits128(a: u128, shift: u32, width: u32) -> u64 {
    let (hi, lo) = ((a >> 64) as u64, a as u64);
    // The 64 bits from bit `shift` on (zeros past the end), of which the top `width` are wanted.
    let window = if shift >= 64 {
        lo << (shift - 64)
    } else if shift == 0 {
        hi
    } else {
        (hi << shift) | (lo >> (64 - shift))
    };
    window >> (64 - width)
}

/// Bits indexed by the root node (65,536 slots).
const ROOT_BITS: u32 = 16;
/// Most bits an inner node below the root indexes (65,536 slots; only a cluster of tens of
/// thousands of starts gets one, and it saves several levels of walking).
const MAX_NODE_BITS: u32 = 16;
/// Most bits a node may skip (path compression); the skipped bits are stored as a `u64`.
const MAX_SKIP: u32 = 64;
/// Slot link flag: the whole slot lies in one interval; the low 31 bits are its head + 1.
const UNIFORM: u32 = 1 << 31;
/// Child offsets must fit the 20 bits left in a link (1 Mi slots, 8 MiB of index).
const MAX_CHILD_OFFSET: usize = (1 << 20) - 1;

/// Disjoint intervals covering one address family, with a path-compressed multibit-trie
/// index over them.
///
/// The root splits the space on the top 16 bits. Each slot of a node says one of three things:
/// * *uniform*: no interval starts strictly inside the slot, so every address in it has the
///   same answer, stored right in the slot (one load: the common case for random addresses
///   and for addresses inside /24-and-shorter prefixes);
/// * *leaf*: at most [`Addr::LEAF_MAX`] intervals start inside; binary-search them in a
///   fixed number of steps;
/// * *child*: a node on the next 1 to 16 bits (sized so its slots average
///   `LEAF_MAX / DENSITY` starts, so sparse regions do not waste memory). Before splitting, a child skips the
///   bits all its interval starts share (path compression, up to 64 bits per node): IPv6 feed
///   space is long runs of common prefix (`2603:1000::/25` holds thousands of Azure /48–/64s),
///   and without skipping a lookup would walk one node per 8 shared bits. The skipped bits are
///   stored in a header slot just before the child's slots; the header and the slot are loaded
///   independently, so the check adds no dependent memory access. An address whose skipped
///   bits differ lies before the first or after the last start of the slot, which the parent
///   slot's range answers directly.
///
/// Interval starts and chain heads are interleaved so the last probe's cache line also holds
/// the answer.
#[derive(Clone, PartialEq, Eq)]
struct Intervals<A> {
    /// `(start, head)`: sorted, distinct interval start addresses (the first is zero) and the
    /// most specific record of each interval (head of its match chain), or [`NONE`].
    ivs: Vec<(A, u32)>,
    /// Trie nodes, flattened: the root's 2^16 + 1 slots first, then per node a header
    /// `[skipped bits >> 32, skipped bits as u32]` and 2^w + 1 slots. Slot `v` is
    /// `[pos, link]`: `pos` is the first interval (within the node's range) whose start has
    /// value `>= v` in the node's bits (the extra last slot closes the range); `link` is
    /// `UNIFORM | (head + 1)`, `0` for a leaf, or `offset << 11 | shift << 4 | (w - 1)` for a
    /// child node indexing `w` bits from bit `shift` with slot 0 at `offset`.
    nodes: Vec<[u32; 2]>,
    /// Families wider than 64 bits: for every /64 with an interval starting strictly inside
    /// it, that /64's own node or leaf (see [`Deep`]).
    deep: Vec<Deep>,
}

/// One entry of [`Intervals::deep`], an open-addressing hash table keyed by the top 64 bits.
///
/// In IPv6 feeds the longest prefixes sit inside /64s (Azure publishes /120s–/128s, 11 k of
/// its 19 k IPv6 prefixes, in 1.6 k /64s) below /40–/64 hierarchies: the walk to them took
/// four to six dependent, mostly cache-missing levels. Each such /64 gets an entry: its few
/// interval starts are searched at once (a leaf), or it gets a node of its own. A look-up
/// is then one probe of a table that stays in cache, and one node.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Deep {
    /// The /64 (top 64 bits of the address).
    key: u64,
    /// The bits from 64 to `shift` every start in the /64 shares (node entries).
    skipped: u64,
    /// First interval starting in the /64.
    lo: u32,
    /// One past the last interval starting in the /64; `0` marks an empty entry.
    hi: u32,
    /// The /64's own node (slot 0), or `0` for a leaf: at most [`Addr::LEAF_MAX`] starts.
    off: u32,
    /// The node's first bit (after the shared bits).
    shift: u8,
    /// The node's width in bits.
    width: u8,
}

impl<A: Addr> Intervals<A> {
    /// The intervals without their index: looked up by a binary search over all of them until
    /// [`Self::index`] builds it.
    fn unindexed(ivs: Vec<(A, u32)>) -> Self {
        Self {
            ivs,
            nodes: Vec::new(),
            deep: Vec::new(),
        }
    }

    /// True once the index is built, or when one interval needs none (an empty family).
    fn is_indexed(&self) -> bool {
        !self.nodes.is_empty() || self.ivs.len() <= 1
    }

    /// Builds the index (again), sized first: grown by pushing, the IPv6 index (5 MB with the
    /// fixture feeds) passed through vectors of 1, 2, 4 and 8 MB, and a wasm worker's memory
    /// never shrinks, so it kept 15 MB for the 5.
    fn index(&mut self) {
        if self.ivs.len() <= 1 {
            // Its root alone would be 2^16 slots (half a MB) to build at every empty start.
            return;
        }
        let mut count = Nodes::Count(0);
        build_node(&mut count, &self.ivs, 0, self.ivs.len(), 0, ROOT_BITS, true);
        build_deep(&mut count, &self.ivs);
        let mut nodes = Vec::with_capacity(count.len());
        let mut out = Nodes::Slots(&mut nodes);
        build_node(&mut out, &self.ivs, 0, self.ivs.len(), 0, ROOT_BITS, true);
        self.deep = build_deep(&mut out, &self.ivs);
        debug_assert_eq!(nodes.len(), nodes.capacity(), "the index was sized exactly");
        self.nodes = nodes;
    }

    /// The [`Deep`] entry of the /64 of `a`, if it has one.
    #[inline(always)]
    fn deep_entry(&self, a: A) -> Option<&Deep> {
        let mask = self.deep.len().checked_sub(1)?;
        let key = a.bits(0, 64);
        let mut i = deep_hash(key, mask);
        loop {
            let e = self.deep.get(i)?;
            if e.hi == 0 {
                return None;
            }
            if e.key == key {
                return Some(e);
            }
            i = (i + 1) & mask;
        }
    }

    /// The answer for `a`, inside the /64 of entry `e`.
    #[inline(always)]
    fn find_deep(&self, a: A, e: &Deep) -> u32 {
        if e.off == 0 {
            // The window from the interval before the /64's first start covers them all; later
            // starts lie in later /64s, after `a`.
            return self.last_le_window((e.lo as usize).saturating_sub(1), a);
        }
        let shift = u32::from(e.shift);
        let skip = shift - 64;
        if skip > 0 {
            let got = a.bits(64, skip);
            if got < e.skipped {
                return self.head_before(e.lo);
            }
            if got > e.skipped {
                return self.head_before(e.hi);
            }
        }
        self.walk(a, e.off as usize, shift, u32::from(e.width))
    }

    /// Intervals for an empty family: one interval, the whole space, matching nothing.
    fn empty() -> Self {
        Self::unindexed(vec![(A::ZERO, NONE)])
    }

    /// Number of intervals.
    fn len(&self) -> usize {
        self.ivs.len()
    }

    /// Head of the interval just before `ivs[i]` (`i >= 1` by construction).
    #[inline(always)]
    fn head_before(&self, i: u32) -> u32 {
        (i as usize)
            .checked_sub(1)
            .and_then(|k| self.ivs.get(k))
            .map_or(NONE, |iv| iv.1)
    }

    /// Head of the last interval at or after `ivs[base]` whose start is `<= a`, searching the
    /// [`Addr::WINDOW`] intervals from `base` (`ivs[base].0 <= a`).
    ///
    /// A bucket is searched as if it were `WINDOW` long, so every search takes the same number
    /// of steps and no loop exit is mispredicted (that misprediction cost more than the rest of
    /// an IPv4 look-up inside a range). Reading past the bucket's end is harmless: every
    /// later interval starts after the slot that holds `a`, so the comparison fails there.
    #[inline(always)]
    fn last_le_window(&self, base: usize, a: A) -> u32 {
        let mut b = base;
        let mut step = A::WINDOW / 2;
        while step > 0 {
            let le = self.ivs.get(b + step).is_some_and(|iv| iv.0 <= a);
            b += step * usize::from(le);
            step /= 2;
        }
        self.ivs.get(b).map_or(NONE, |iv| iv.1)
    }

    /// The head of the match chain of the interval containing `a`.
    ///
    /// Every access is bounds-checked and the loop strictly descends (children follow their
    /// parent and shifts grow), so even a logic error cannot panic or loop forever.
    #[inline(always)]
    fn find(&self, a: A) -> u32 {
        if A::BITS > 64 && !self.deep.is_empty() {
            // Addresses outside the feeds' /16s end at the root: no probe for them.
            let root = self.nodes.get(a.bits(0, ROOT_BITS) as usize);
            if root.is_some_and(|s| s[1] & UNIFORM == 0) {
                if let Some(e) = self.deep_entry(a) {
                    return self.find_deep(a, e);
                }
            }
        }
        self.walk(a, 0, 0, ROOT_BITS)
    }

    /// [`Self::find`] from the node at `off` indexing `width` bits from bit `shift`: the root,
    /// or a /64's own node once `a` is known to lie within that node's prefix.
    #[inline(always)]
    fn walk(&self, a: A, off: usize, shift: u32, width: u32) -> u32 {
        let (mut off, mut shift, mut width) = (off, shift, width);
        loop {
            let slot = off + a.bits(shift, width) as usize;
            let Some(&[lo, link]) = self.nodes.get(slot) else {
                // No index yet (or, were the index wrong, the answer all the same).
                return last_le(&self.ivs, a).map_or(NONE, |iv| iv.1);
            };
            if link & UNIFORM != 0 {
                let h = link & !UNIFORM;
                return h.checked_sub(1).unwrap_or(NONE);
            }
            let below = shift + width;
            let (c_off, c_shift, c_width) =
                ((link >> 11) as usize, (link >> 4) & 127, (link & 15) + 1);
            if link == 0 || c_off <= off || c_shift < below || c_shift + c_width > A::BITS {
                let hi = self.nodes.get(slot + 1).map_or(lo, |s| s[0]);
                // The answer is the last interval starting at or before `a`: inside the slot,
                // or the one just before it (which spans into the slot). Searching from
                // `lo - 1` covers both; the first start being zero makes `lo - 1` valid
                // whenever `lo > 0`, and when `lo == 0` the first interval is the lower bound.
                let base = (lo as usize).saturating_sub(1);
                if (hi as usize).saturating_sub(base) <= A::WINDOW {
                    return self.last_le_window(base, a);
                }
                let bucket = self.ivs.get(base..hi as usize).unwrap_or(&[]);
                return last_le(bucket, a).map_or(NONE, |iv| iv.1);
            }
            let skip = c_shift - below;
            if skip > 0 {
                let [p_hi, p_lo] = self.nodes.get(c_off - 1).copied().unwrap_or([0, 0]);
                let p = (u64::from(p_hi) << 32) | u64::from(p_lo);
                let got = a.bits(below, skip);
                if got < p {
                    // Before the slot's first start.
                    return self.head_before(lo);
                }
                if got > p {
                    // After the slot's last start.
                    let hi = self.nodes.get(slot + 1).map_or(lo, |s| s[0]);
                    return self.head_before(hi);
                }
            }
            off = c_off;
            shift = c_shift;
            width = c_width;
        }
    }

    /// Heap bytes used by this family's intervals and index.
    fn heap_bytes(&self) -> usize {
        self.ivs.len() * std::mem::size_of::<(A, u32)>()
            + self.nodes.len() * 8
            + self.deep.len() * std::mem::size_of::<Deep>()
    }
}

/// The last element of `ivs` (sorted by start, `ivs[0].0 <= a`) whose start is `<= a`.
///
/// A branchless binary search: the comparison feeds arithmetic instead of a jump, because
/// which half holds `a` is a coin flip the branch predictor cannot learn (the standard
/// `partition_point` compiled to a mispredicting jump for `u128` keys).
#[inline(always)]
fn last_le<A: Addr>(ivs: &[(A, u32)], a: A) -> Option<&(A, u32)> {
    let mut base = 0usize;
    let mut size = ivs.len();
    if size == 0 {
        return None;
    }
    while size > 1 {
        let half = size / 2;
        let mid = base + half;
        // Invariant `base + size <= ivs.len()`, so `mid < ivs.len()`: the index cannot panic.
        // The multiply keeps the compiler from turning the select back into a branch
        // (`if le { mid } else { base }` compiled to a mispredicting jump for `u32`).
        let le = ivs[mid].0 <= a;
        base += half * usize::from(le);
        size -= half;
    }
    ivs.get(base)
}

/// Where [`build_node`] puts a node's slots: in the index, or (to size the index before
/// building it) nowhere but their count.
enum Nodes<'a> {
    /// The index's slots.
    Slots(&'a mut Vec<[u32; 2]>),
    /// How many slots the index would have so far.
    Count(usize),
}

impl Nodes<'_> {
    /// Slots so far: the offset of the next one.
    fn len(&self) -> usize {
        match self {
            Nodes::Slots(v) => v.len(),
            Nodes::Count(n) => *n,
        }
    }

    fn push(&mut self, slot: [u32; 2]) {
        match self {
            Nodes::Slots(v) => v.push(slot),
            Nodes::Count(n) => *n += 1,
        }
    }

    /// Appends a node's slots with these first-interval positions (links to be set).
    fn extend(&mut self, positions: &[u32]) {
        match self {
            Nodes::Slots(v) => v.extend(positions.iter().map(|&p| [p, 0])),
            Nodes::Count(n) => *n += positions.len(),
        }
    }

    fn set_link(&mut self, slot: usize, link: u32) {
        if let Nodes::Slots(v) = self {
            if let Some(s) = v.get_mut(slot) {
                s[1] = link;
            }
        }
    }
}

/// The [`Deep`] table over `ivs` (empty for families of at most 64 bits), appending the
/// /64s' own nodes to `nodes`: one entry per /64 in which an interval starts other than at
/// its first address.
fn build_deep<A: Addr>(nodes: &mut Nodes<'_>, ivs: &[(A, u32)]) -> Vec<Deep> {
    if A::BITS <= 64 {
        return Vec::new();
    }
    let mut entries = Vec::new();
    let mut lo = 0;
    while lo < ivs.len() {
        let key = ivs[lo].0.bits(0, 64);
        let hi = lo + ivs[lo..].partition_point(|iv| iv.0.bits(0, 64) == key);
        let inner = ivs[lo..hi].iter().any(|iv| iv.0.bits(64, 64) != 0);
        let (Ok(l), Ok(h)) = (u32::try_from(lo), u32::try_from(hi)) else {
            break; // more intervals than links can name: never with real feeds
        };
        let mut e = Deep {
            key,
            lo: l,
            hi: h,
            ..Deep::default()
        };
        let n = hi - lo;
        if inner && n > A::LEAF_MAX {
            // A node on the bits after those the starts share, sized as children are.
            let common = ivs[lo].0.common_prefix(ivs[hi - 1].0);
            let shift = common.clamp(64, 64 + MAX_SKIP);
            let w = node_width::<A>(n, shift);
            if nodes.len() + 1 > MAX_CHILD_OFFSET {
                lo = hi;
                continue; // index full: the /64 is walked from the root, still correct
            }
            e.skipped = if shift > 64 {
                ivs[lo].0.bits(64, shift - 64)
            } else {
                0
            };
            e.off = build_node(nodes, ivs, lo, hi, shift, w, false) as u32;
            e.shift = shift as u8;
            e.width = w as u8;
        }
        if inner {
            entries.push(e);
        }
        lo = hi;
    }
    if entries.is_empty() {
        return Vec::new();
    }
    // At most half full, so probes are short and always reach an empty entry.
    let mut table = vec![Deep::default(); (entries.len() * 2).next_power_of_two()];
    let mask = table.len() - 1;
    for e in entries {
        let mut i = deep_hash(e.key, mask);
        while table.get(i).is_some_and(|t| t.hi != 0) {
            i = (i + 1) & mask;
        }
        if let Some(t) = table.get_mut(i) {
            *t = e;
        }
    }
    table
}

/// Bits a node over `n` interval starts indexes from bit `shift`: enough for its slots to
/// average `LEAF_MAX / DENSITY` starts, 1 to [`MAX_NODE_BITS`], and no more than the address has.
fn node_width<A: Addr>(n: usize, shift: u32) -> u32 {
    let want = (A::DENSITY * n)
        .div_ceil(A::LEAF_MAX)
        .next_power_of_two()
        .trailing_zeros();
    want.clamp(1, MAX_NODE_BITS).min(A::BITS - shift)
}

/// Slot of `key` in a [`Deep`] table of `mask + 1` (a power of two) entries: Fibonacci
/// hashing, whose product's top bits depend on every bit of the key.
#[inline(always)]
fn deep_hash(key: u64, mask: usize) -> usize {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h.checked_shr(64 - mask.count_ones()).unwrap_or(0) as usize & mask
}

/// Append a node indexing `ivs[lo..hi]` (whose starts share their top `shift` bits) on the
/// next `width` bits, filling in slot links (uniform, leaf or child, recursively); returns the
/// offset of the node's slot 0. `main`: the family's trie (whose IPv6 subtrees inside one
/// /64 are left to [`build_deep`]), not a /64's own node.
fn build_node<A: Addr>(
    nodes: &mut Nodes<'_>,
    ivs: &[(A, u32)],
    lo: usize,
    hi: usize,
    shift: u32,
    width: u32,
    main: bool,
) -> usize {
    let off = nodes.len();
    // Each slot's first interval, kept here: the sizing pass writes no slots to read back.
    let mut positions: Vec<u32> = Vec::with_capacity((1usize << width) + 1);
    let mut i = lo;
    for v in 0..=(1u64 << width) {
        while i < hi && ivs[i].0.bits(shift, width) < v {
            i += 1;
        }
        positions.push(i as u32);
    }
    nodes.extend(&positions);
    let below = shift + width;
    for v in 0..(1usize << width) {
        let (l, h) = (positions[v] as usize, positions[v + 1] as usize);
        let n = h - l;
        // Uniform: nothing starts in the slot, or only one interval, exactly at its first
        // address. (`l >= 1` when `n == 0`: interval 0 starts at address 0, in slot 0 of the
        // root.) Heads that do not fit 31 bits fall back to a leaf.
        let head = match n {
            0 => l.checked_sub(1).map(|k| ivs[k].1),
            1 if ivs[l].0.trailing_zeros() >= A::BITS - below => Some(ivs[l].1),
            _ => None,
        };
        if let Some(head) = head {
            let h1 = head.wrapping_add(1); // NONE + 1 == 0 encodes "no record"
            if h1 < UNIFORM {
                nodes.set_link(off + v, UNIFORM | h1);
            }
            continue;
        }
        if n <= A::LEAF_MAX || below >= A::BITS {
            continue; // leaf
        }
        // Skip the bits every start in the slot shares (n >= 2 distinct starts, so fewer
        // than BITS), then split on enough bits for slots to average LEAF_MAX / DENSITY starts.
        let common = ivs[l].0.common_prefix(ivs[h - 1].0);
        if main && A::BITS > 64 && common >= 64 {
            // All in one /64 with a start inside: `build_deep` gives it a node of its own and
            // look-ups in it never come here. Searching the bucket stays correct regardless.
            continue;
        }
        let c_shift = common.clamp(below, below + MAX_SKIP);
        let w = node_width::<A>(n, c_shift);
        if nodes.len() + 1 > MAX_CHILD_OFFSET {
            continue; // index full (never with real feeds): stay a leaf, still correct
        }
        let skip = c_shift - below;
        let p = if skip > 0 {
            ivs[l].0.bits(below, skip)
        } else {
            0
        };
        nodes.push([(p >> 32) as u32, p as u32]);
        let child = build_node(nodes, ivs, l, h, c_shift, w, main);
        nodes.set_link(off + v, ((child as u32) << 11) | (c_shift << 4) | (w - 1));
    }
    off
}

/// Flatten one family's sorted records (`recs`, global ids starting at `base`) into intervals.
///
/// Sweep in canonical order keeping a stack of the open (containing) prefixes; because
/// prefixes nest or are disjoint, the stack top always contains the next prefix once the
/// prefixes ending before it are popped. Each boundary emits an interval.
///
/// Also links the records into match chains: the records of one distinct prefix point to
/// each other in canonical order, the last one to the first record of the containing prefix.
fn sweep<A: Addr>(recs: &mut [Rec], base: usize, range: impl Fn(&IpNet) -> (A, A)) -> Intervals<A> {
    let mut sweep = Sweep {
        ivs: Vec::with_capacity(recs.len() * 2 + 1),
        cur: A::ZERO,
        stack: Vec::new(),
    };
    // In chunks, each a call of its own: see `snapshot::CHUNK` (the sweep runs at every start).
    let mut i = 0;
    while i < recs.len() {
        let until = (i + snapshot::CHUNK).min(recs.len());
        i = sweep.groups(recs, base, i, until, &range);
    }
    let Sweep {
        mut ivs,
        mut cur,
        mut stack,
    } = sweep;
    let mut done = false; // `cur` ran past the top of the space
    while let Some((top_end, top_head, _)) = stack.pop() {
        if !done && cur <= top_end {
            emit(&mut ivs, cur, top_head);
            match top_end.checked_inc() {
                Some(n) => cur = n,
                None => done = true,
            }
        }
    }
    if !done {
        emit(&mut ivs, cur, NONE);
    }
    ivs.shrink_to_fit();
    Intervals::unindexed(ivs)
}

/// Appends an interval, merged with the previous one if it answers the same (keeps the form
/// canonical).
fn emit<A>(ivs: &mut Vec<(A, u32)>, start: A, head: u32) {
    if ivs.last().map(|iv| iv.1) != Some(head) {
        ivs.push((start, head));
    }
}

/// The state of a [`sweep`] between its chunks.
struct Sweep<A> {
    /// The intervals so far.
    ivs: Vec<(A, u32)>,
    /// The first address not yet assigned to an interval.
    cur: A,
    /// (last address, chain head, chain length) of the open prefixes.
    stack: Vec<(A, u32, u32)>,
}

impl<A: Addr> Sweep<A> {
    /// Sweeps the distinct prefixes that start at records `i..until` (the last one's records
    /// may run past `until`); returns the record after them.
    #[inline(never)]
    fn groups(
        &mut self,
        recs: &mut [Rec],
        base: usize,
        mut i: usize,
        until: usize,
        range: &impl Fn(&IpNet) -> (A, A),
    ) -> usize {
        let Self { ivs, cur, stack } = self;
        while i < until {
            let Some(r) = recs.get(i) else { break };
            let mut j = i + 1;
            while recs.get(j).is_some_and(|n| n.prefix == r.prefix) {
                j += 1;
            }
            let (s, e) = range(&r.prefix);
            while let Some(&(top_end, top_head, _)) = stack.last() {
                if top_end >= s {
                    break;
                }
                if *cur <= top_end {
                    emit(ivs, *cur, top_head);
                }
                stack.pop();
                // top_end < s, so this cannot overflow.
                *cur = top_end.checked_inc().unwrap_or(top_end);
            }
            let (parent, parent_count) = stack.last().map_or((NONE, 0), |t| (t.1, t.2));
            if *cur < s {
                emit(ivs, *cur, parent);
            }
            *cur = s;
            // Link records i..j (one distinct prefix) in order, then on to the parent chain.
            let group = (j - i) as u32;
            for (k, rec) in recs.get_mut(i..j).unwrap_or(&mut []).iter_mut().enumerate() {
                let k = k as u32;
                rec.next = if k + 1 < group {
                    (base + i) as u32 + k + 1
                } else {
                    parent
                };
                rec.count = group - k + parent_count;
            }
            let head = (base + i) as u32;
            stack.push((e, head, group + parent_count));
            i = j;
        }
        i
    }
}

/// Appends the packed heads ([`pack_head`]) of `recs`.
#[inline(never)]
fn pack_heads(heads: &mut Vec<u32>, recs: &[Rec]) {
    heads.extend(recs.iter().map(pack_head));
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
    /// Per record, what a look-up's first answer needs, packed by [`pack_head`]: 4 bytes
    /// instead of the 40 of a [`Rec`], so the table stays in cache (the record fetch was a
    /// fifth of an IPv6 look-up).
    heads: Vec<u32>,
    feeds: Vec<FeedInfo>,
    v4: Intervals<u32>,
    v6: Intervals<u128>,
    /// Records of the snapshot a [`PrefixTable::from_snapshot_around`] table left out.
    omitted: usize,
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
            .field("v4_intervals", &self.v4.len())
            .field("v6_intervals", &self.v6.len())
            .field("v4_index_slots", &self.v4.nodes.len())
            .field("v6_index_slots", &self.v6.nodes.len())
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
        // An empty region or service is none, as in `PrefixRecord::new` (the fields are public,
        // so a record may carry `Some("")`); the snapshot loader refuses empty names.
        fn region(r: &PrefixRecord) -> Option<&str> {
            r.region.as_deref().filter(|s| !s.is_empty())
        }
        fn service(r: &PrefixRecord) -> Option<&str> {
            r.service.as_deref().filter(|s| !s.is_empty())
        }
        let providers = intern_table(records.iter().map(|r| r.provider.as_str()));
        let regions = intern_table(records.iter().filter_map(region));
        let services = intern_table(records.iter().filter_map(service));
        let mut recs: Vec<Rec> = records
            .iter()
            .map(|r| {
                Rec::new(
                    r.prefix.trunc(),
                    id_of(&providers, &r.provider),
                    region(r).map_or(0, |s| id_of(&regions, s) + 1),
                    service(r).map_or(0, |s| id_of(&services, s) + 1),
                )
            })
            .collect();
        recs.sort_unstable_by_key(rec_key);
        recs.dedup();
        let boxed = |t: Vec<&str>| t.into_iter().map(Box::from).collect();
        let mut table = Self::assemble(
            boxed(providers),
            boxed(regions),
            boxed(services),
            recs,
            feeds,
        );
        table.index();
        table
    }

    /// Build the lookup structures but the index from canonical parts (sorted, deduplicated,
    /// ids in range).
    fn assemble(
        providers: Vec<Box<str>>,
        regions: Vec<Box<str>>,
        services: Vec<Box<str>>,
        records: Vec<Rec>,
        feeds: Vec<FeedInfo>,
    ) -> Self {
        let split = records.partition_point(|r| matches!(r.prefix, IpNet::V4(_)));
        let mut records = records;
        let (r4, r6) = records.split_at_mut(split);
        let v4 = sweep(r4, 0, v4_range);
        let v6 = sweep(r6, split, v6_range);
        // In chunks, each a call of its own: see `snapshot::CHUNK`.
        let mut heads = Vec::with_capacity(records.len());
        for chunk in records.chunks(snapshot::CHUNK) {
            pack_heads(&mut heads, chunk);
        }
        Self {
            providers,
            regions,
            services,
            records,
            heads,
            feeds,
            v4,
            v6,
            omitted: 0,
        }
    }

    /// A table with no records and no feeds.
    pub fn empty() -> Self {
        Self {
            providers: Vec::new(),
            regions: Vec::new(),
            services: Vec::new(),
            records: Vec::new(),
            heads: Vec::new(),
            feeds: Vec::new(),
            v4: Intervals::empty(),
            v6: Intervals::empty(),
            omitted: 0,
        }
    }

    /// All records containing `ip`, most specific first (IPv4-mapped IPv6 is looked up as IPv4).
    #[inline(always)]
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
    #[inline(always)]
    pub fn lookup_v4(&self, ip: u32) -> Matches<'_> {
        self.matches(self.v4.find(ip), IpAddr::V4(Ipv4Addr::from(ip)))
    }

    /// All records containing the IPv6 address `ip`, most specific first (no IPv4 mapping).
    #[inline(always)]
    pub fn lookup_v6(&self, ip: u128) -> Matches<'_> {
        self.matches(self.v6.find(ip), IpAddr::V6(Ipv6Addr::from(ip)))
    }

    #[inline(always)]
    fn matches(&self, head: u32, addr: IpAddr) -> Matches<'_> {
        Matches {
            table: self,
            next: head,
            state: State::Head(addr),
        }
    }

    /// Record `id` as a look-up of `addr` answers it, from `heads` alone (`None` if `id` is
    /// not a record or its ids did not fit the packing).
    #[inline(always)]
    fn head_view(&self, id: u32, addr: IpAddr) -> Option<RecordRef<'_>> {
        let h = *self.heads.get(id as usize)?;
        if h == NO_HEAD {
            return None;
        }
        let len = (h >> 24) as u8;
        // The record's prefix contains `addr`, so it is `addr` with the host bits cleared.
        let prefix = match addr {
            IpAddr::V4(a) => IpNet::V4(Ipv4Net::new(a, len).ok()?.trunc()),
            IpAddr::V6(a) => IpNet::V6(Ipv6Net::new(a, len).ok()?.trunc()),
        };
        let provider_index = (h >> 18 & 63) as usize;
        Some(RecordRef {
            prefix,
            provider: self.providers.get(provider_index).map_or("", |s| s),
            provider_index,
            region: opt_str(&self.regions, h >> 8 & 1023),
            service: opt_str(&self.services, h & 255),
        })
    }

    /// The most specific record containing `ip`, if any.
    #[inline]
    pub fn first(&self, ip: IpAddr) -> Option<RecordRef<'_>> {
        self.lookup(ip).next()
    }

    /// Number of (distinct) records (of the whole snapshot, for a
    /// [`Self::from_snapshot_around`] table).
    pub fn len(&self) -> usize {
        self.records.len() + self.omitted
    }

    /// True if the table holds no records (its whole snapshot, as [`Self::len`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The provider ids of the table's records, by [`RecordRef::provider_index`].
    pub fn providers(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.providers.iter().map(|p| &**p)
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
        (self.v4.len(), self.v6.len())
    }

    /// Approximate heap bytes of the lookup structures and records (strings excluded).
    pub fn heap_bytes(&self) -> usize {
        self.v4.heap_bytes()
            + self.v6.heap_bytes()
            + self.records.len() * (std::mem::size_of::<Rec>() + 4)
    }

    fn view(&self, r: &Rec) -> RecordRef<'_> {
        // Ids are in range by construction (`build`) or validation (`from_snapshot`).
        RecordRef {
            prefix: r.prefix,
            provider: self.providers.get(r.provider as usize).map_or("", |s| s),
            provider_index: r.provider as usize,
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
        let mut table = snapshot::decode(bytes, None)?;
        table.index();
        Ok(table)
    }

    /// [`Self::from_snapshot`] without building the look-up index, which is most of a load:
    /// the table answers at once, each look-up a binary search over the intervals (about 17
    /// probes), until [`Self::index`] builds it. For a caller whose first answers need a few
    /// look-ups and that can build the index after them (the extension's worker on waking).
    pub fn from_snapshot_unindexed(bytes: &[u8]) -> Result<Self, SnapshotError> {
        snapshot::decode(bytes, None)
    }

    /// The records of a snapshot that contain one of `addresses`: a look-up of one of them
    /// answers as the whole table's would, and so do [`Self::len`], [`Self::is_empty`] and
    /// [`Self::feeds`]; any other address may find less. It skips what most of a load is (~80 k
    /// records read, checked and kept, the intervals' sweep): the records are found by binary
    /// search, for a caller that knows every address its first answer looks up (the extension's
    /// worker woken by the popup). The header, checksum, strings and the records kept are
    /// checked; the order of the rest is left to the whole load that follows. Only to answer
    /// from: the records left out make it no table to store. (A version 1 snapshot is read
    /// whole.)
    pub fn from_snapshot_around(bytes: &[u8], addresses: &[IpAddr]) -> Result<Self, SnapshotError> {
        snapshot::decode(bytes, Some(&snapshot::Around::new(addresses)))
    }

    /// Whether `bytes` are a snapshot of a version older than the one written (loaded or not):
    /// a table that loads from one is worth writing again, for later reads of the current
    /// layout.
    pub fn is_older_snapshot(bytes: &[u8]) -> bool {
        snapshot::version(bytes).is_some_and(|v| v < SNAPSHOT_VERSION)
    }

    /// Builds the look-up index if the table has none ([`Self::from_snapshot_unindexed`]).
    pub fn index(&mut self) {
        if !self.v4.is_indexed() {
            self.v4.index();
        }
        if !self.v6.is_indexed() {
            self.v6.index();
        }
    }

    /// True when the look-up index is built (always, but after
    /// [`Self::from_snapshot_unindexed`] until [`Self::index`]).
    pub fn is_indexed(&self) -> bool {
        self.v4.is_indexed() && self.v6.is_indexed()
    }
}

/// Iterator over the records matching one address, most specific first.
#[derive(Clone, Debug)]
pub struct Matches<'a> {
    table: &'a PrefixTable,
    /// The match chain's record at which the iterator stands ([`State`]), or [`NONE`]. The
    /// chain length stored in every record gives the exact remaining length, and creating the
    /// iterator touches no record.
    next: u32,
    state: State,
}

/// Where a [`Matches`] stands on its chain.
#[derive(Clone, Copy, Debug)]
enum State {
    /// Nothing yielded yet: `next` is the head, answered from `heads` and the address looked
    /// up, so the common "most specific record only" look-up never reads a [`Rec`].
    Head(IpAddr),
    /// `next` was yielded from `heads`; the next record is its successor.
    Follow,
    /// `next` is the next record to yield.
    At,
}

/// Packed [`PrefixTable::heads`] entry whose ids do not fit: read the record instead.
const NO_HEAD: u32 = u32::MAX;

/// Pack what a look-up's first answer needs: prefix length (8 bits), provider (6), region
/// (10) and service (8) ids, or [`NO_HEAD`] if an id is too large. Real feeds use 10
/// providers, 258 regions and 163 services; a larger table only loses the shortcut.
fn pack_head(r: &Rec) -> u32 {
    if r.provider < 64 && r.region < 1024 && r.service < 256 {
        u32::from(r.prefix.prefix_len()) << 24 | r.provider << 18 | r.region << 8 | r.service
    } else {
        NO_HEAD
    }
}

impl<'a> Iterator for Matches<'a> {
    type Item = RecordRef<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        match std::mem::replace(&mut self.state, State::At) {
            State::Head(addr) => {
                if let Some(r) = self.table.head_view(self.next, addr) {
                    self.state = State::Follow;
                    return Some(r);
                }
            }
            State::Follow => self.next = self.table.records.get(self.next as usize)?.next,
            State::At => {}
        }
        let r = self.table.records.get(self.next as usize)?;
        self.next = r.next;
        Some(self.table.view(r))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self
            .table
            .records
            .get(self.next as usize)
            .map_or(0, |r| r.count as usize);
        let n = match self.state {
            State::Follow => n.saturating_sub(1),
            State::Head(_) | State::At => n,
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Matches<'_> {}

impl std::iter::FusedIterator for Matches<'_> {}

/// String `id - 1` of table `t`; `0` means none.
fn opt_str(t: &[Box<str>], id: u32) -> Option<&str> {
    id.checked_sub(1)
        .and_then(|i| t.get(i as usize))
        .map(|s| &**s)
}
