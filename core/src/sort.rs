//! Stable sorting through one shared instance of the standard library's sort.
//!
//! Every `sort_by` call with its own element type and comparator is a separate copy of the
//! standard stable sort, 5–7 KB of wasm each: the worker carried fourteen of them (with seven
//! unstable ones, 93 KB raw). The views, the correlation and the knowledge sort tens to
//! thousands of items, so they sort positions through the one instance here, with the
//! comparator behind a `dyn`, and then move the items into place.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, keeping equal items in their order (as `slice::sort_by` does).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    {
        let items = &*v;
        positions(&mut order, &mut |a, b| match (items.get(a), items.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        });
    }
    permute(v, &mut order);
}

/// Sorts `v` by the key `f` gives, keeping equal items in their order.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// The one instance of the standard stable sort: positions by a comparator of positions.
#[inline(never)]
pub fn positions(order: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| cmp(a, b));
}

/// Moves `v[order[i]]` to position `i`, one cycle of the permutation at a time (each item
/// is swapped once); `order` is left as the identity.
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        // A position already in place (or done) holds its own index.
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Pairs with many equal keys: stability shows in the second field's order.
        let mut seed = 0x2545_f491_u32;
        for len in [0, 1, 2, 3, 7, 64, 1000] {
            let items: Vec<(u8, u32)> = (0..len)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    ((seed % 7) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            let mut std = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "{len} items");
            let mut reversed = items.clone();
            let mut std_reversed = items.clone();
            sort_by_key(&mut reversed, |p| std::cmp::Reverse(p.0));
            std_reversed.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(reversed, std_reversed, "{len} items, reversed");
        }
    }

    #[test]
    fn items_without_copy_move_whole() {
        let mut names: Vec<String> = ["delta", "alpha", "charlie", "bravo", "alpha"]
            .map(String::from)
            .to_vec();
        sort_by(&mut names, Ord::cmp);
        assert_eq!(names, ["alpha", "alpha", "bravo", "charlie", "delta"]);
    }
}
