//! A record that keeps at most a fixed number of entries, dropping the oldest: what a
//! long-running `serve` keeps per merchant of anything that grows with traffic.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Bounded<T> {
    items: VecDeque<T>,
    cap: usize,
    /// How many entries were dropped to stay within the cap.
    pub dropped: u64,
}

impl<T> Bounded<T> {
    /// `cap` is at least 1: a record that keeps nothing would be a silent one.
    pub fn new(cap: usize) -> Self {
        Bounded { items: VecDeque::new(), cap: cap.max(1), dropped: 0 }
    }

    /// Appends; returns the entry dropped to make room, if any.
    pub fn push(&mut self, item: T) -> Option<T> {
        let evicted = if self.items.len() >= self.cap {
            self.dropped += 1;
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(item);
        evicted
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entries_go_first() {
        let mut record = Bounded::new(3);
        let evicted: Vec<Option<i32>> = (1..=5).map(|n| record.push(n)).collect();
        assert_eq!(evicted, [None, None, None, Some(1), Some(2)]);
        assert_eq!(record.iter().copied().collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!((record.len(), record.dropped), (3, 2));
    }
}
