//! The simulator's queue of inputs due at nodes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use sift_core::{Input, Micros};

/// Inputs by due time, ties in the order they were scheduled. The heap holds 24-byte keys
/// and the inputs wait in slots beside it: reordering a heap of whole messages spent a third
/// of a large run moving them.
#[derive(Debug, Default)]
pub(crate) struct Agenda {
    heap: BinaryHeap<Reverse<(Micros, u64, u32)>>,
    slots: Vec<Option<(u32, Input)>>,
    free: Vec<u32>,
    seq: u64,
}

impl Agenda {
    /// Schedules `input` for `node` at `at`.
    pub(crate) fn push(&mut self, at: Micros, node: u32, input: Input) {
        let entry = Some((node, input));
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = entry;
                slot
            }
            None => {
                self.slots.push(entry);
                (self.slots.len() - 1) as u32
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, slot)));
    }

    /// When the next input is due.
    pub(crate) fn next_at(&self) -> Option<Micros> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// The next input and its node.
    pub(crate) fn pop(&mut self) -> Option<(u32, Input)> {
        let Reverse((_, _, slot)) = self.heap.pop()?;
        self.free.push(slot);
        self.slots[slot as usize].take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sift_core::Timer;

    #[test]
    fn inputs_come_out_by_time_then_by_order_of_scheduling() {
        let mut agenda = Agenda::default();
        agenda.push(20, 1, Input::Start);
        agenda.push(10, 2, Input::Timer(Timer::Gossip));
        agenda.push(20, 3, Input::Timer(Timer::Expiry));
        assert_eq!(agenda.next_at(), Some(10));
        let order: Vec<u32> = std::iter::from_fn(|| agenda.pop().map(|(node, _)| node)).collect();
        assert_eq!(order, vec![2, 1, 3]);
        // Slots are reused.
        agenda.push(5, 4, Input::Start);
        assert_eq!(agenda.slots.len(), 3);
        assert_eq!(agenda.pop().map(|(node, _)| node), Some(4));
    }
}
