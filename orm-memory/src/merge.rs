//! A k-way merge of ordered sequences: how reads spanning a table's parts (a scan, a query of
//! a global secondary index, a snapshot's items) see one sequence in key order.
//!
//! Each part holds its own ordered slice of the table and of every index; an item's key
//! decides its part, so no key is in two parts and merging the parts' ordered ranges by key
//! gives exactly the order one map of the whole table would.

/// Merges sequences each ordered by key (ascending, or descending when not `forward`) into one
/// in the same order. Keys are unique across the sequences.
///
/// The sequences' positions are kept sorted by their next entry's key, the next one out last:
/// taking it is a pop, and the sequence goes back in by binary search on its following entry,
/// so each entry costs about log2(sequences) key comparisons (4 for a table's 16 parts, where a
/// linear pick takes 15) and moves a few indexes, never the sequences; a single sequence costs
/// no comparison.
pub(crate) struct Merge<K, V, I> {
    /// Each sequence with its next entry (`None` once exhausted); never moved.
    heads: Vec<Option<((K, V), I)>>,
    /// The indexes of the non-exhausted `heads`, the next one out last.
    order: Vec<usize>,
    forward: bool,
}

impl<K: Ord, V, I: Iterator<Item = (K, V)>> Merge<K, V, I> {
    /// Merges `sequences`, each ordered by key in the direction `forward` says.
    pub(crate) fn new(sequences: impl IntoIterator<Item = I>, forward: bool) -> Merge<K, V, I> {
        let heads: Vec<Option<((K, V), I)>> = sequences
            .into_iter()
            .filter_map(|mut s| s.next().map(|head| Some((head, s))))
            .collect();
        let mut merge = Merge {
            order: (0..heads.len()).collect(),
            heads,
            forward,
        };
        let mut order = std::mem::take(&mut merge.order);
        // The last out first, the next out last.
        order.sort_unstable_by(|&a, &b| {
            let by_key = merge.key(a).cmp(merge.key(b));
            if forward {
                by_key.reverse()
            } else {
                by_key
            }
        });
        merge.order = order;
        merge
    }

    /// The key of sequence `i`'s next entry.
    fn key(&self, i: usize) -> &K {
        &self.heads[i]
            .as_ref()
            .expect("a sequence in `order` has a head")
            .0
             .0
    }
}

impl<K: Ord, V, I: Iterator<Item = (K, V)>> Iterator for Merge<K, V, I> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        let i = self.order.pop()?;
        let (head, mut sequence) = self.heads[i].take().expect("in `order`: has a head");
        if let Some(next) = sequence.next() {
            self.heads[i] = Some((next, sequence));
            // Behind every sequence whose next entry comes out after this one's.
            let key = self.key(i);
            let at = self.order.partition_point(|&other| {
                let other = self.key(other);
                if self.forward {
                    key < other
                } else {
                    key > other
                }
            });
            self.order.insert(at, i);
        }
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_in_key_order_both_ways() {
        let parts = [vec![1, 4, 9], vec![], vec![2, 3, 10, 11], vec![5]];
        let forward: Vec<i32> = Merge::new(parts.iter().map(|p| p.iter().map(|k| (*k, ()))), true)
            .map(|(k, ())| k)
            .collect();
        assert_eq!(forward, [1, 2, 3, 4, 5, 9, 10, 11]);
        let backward: Vec<i32> = Merge::new(
            parts.iter().map(|p| p.iter().rev().map(|k| (*k, ()))),
            false,
        )
        .map(|(k, ())| k)
        .collect();
        assert_eq!(backward, [11, 10, 9, 5, 4, 3, 2, 1]);
        // Many sequences, interleaved every way: the merge equals the sorted union.
        let many: Vec<Vec<i32>> = (0..16)
            .map(|p| (0..200).filter(|k| (k * 7 + k / 3) % 16 == p).collect())
            .collect();
        let merged: Vec<i32> = Merge::new(many.iter().map(|p| p.iter().map(|k| (*k, ()))), true)
            .map(|(k, ())| k)
            .collect();
        assert_eq!(merged, (0..200).collect::<Vec<_>>());
        let merged: Vec<i32> =
            Merge::new(many.iter().map(|p| p.iter().rev().map(|k| (*k, ()))), false)
                .map(|(k, ())| k)
                .collect();
        assert_eq!(merged, (0..200).rev().collect::<Vec<_>>());
        let none: Vec<(i32, ())> =
            Merge::new(Vec::<std::vec::IntoIter<(i32, ())>>::new(), true).collect();
        assert!(none.is_empty());
    }
}
