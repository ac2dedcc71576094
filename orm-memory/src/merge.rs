//! A k-way merge of ordered sequences: how reads spanning a table's parts (a scan, a query of
//! a global secondary index, a snapshot's items) see one sequence in key order.
//!
//! Each part holds its own ordered slice of the table and of every index; an item's key
//! decides its part, so no key is in two parts and merging the parts' ordered ranges by key
//! gives exactly the order one map of the whole table would.

/// Merges sequences each ordered by key (ascending, or descending when not `forward`) into one
/// in the same order. Keys are unique across the sequences.
///
/// With few sequences (a table has 16 parts at most) picking the next head by a linear pass is
/// as fast as a heap, and a single sequence costs no comparison at all.
pub(crate) struct Merge<K, V, I> {
    /// Each non-exhausted sequence with its next entry.
    heads: Vec<((K, V), I)>,
    forward: bool,
}

impl<K: Ord, V, I: Iterator<Item = (K, V)>> Merge<K, V, I> {
    /// Merges `sequences`, each ordered by key in the direction `forward` says.
    pub(crate) fn new(sequences: impl IntoIterator<Item = I>, forward: bool) -> Merge<K, V, I> {
        let heads = sequences
            .into_iter()
            .filter_map(|mut s| s.next().map(|head| (head, s)))
            .collect();
        Merge { heads, forward }
    }
}

impl<K: Ord, V, I: Iterator<Item = (K, V)>> Iterator for Merge<K, V, I> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        let mut best = 0;
        for i in 1..self.heads.len() {
            let (key, best_key) = (&self.heads[i].0 .0, &self.heads[best].0 .0);
            if (key < best_key) == self.forward {
                best = i;
            }
        }
        let (head, sequence) = self.heads.get_mut(best)?;
        Some(match sequence.next() {
            Some(next) => std::mem::replace(head, next),
            None => self.heads.swap_remove(best).0,
        })
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
        let none: Vec<(i32, ())> =
            Merge::new(Vec::<std::vec::IntoIter<(i32, ())>>::new(), true).collect();
        assert!(none.is_empty());
    }
}
