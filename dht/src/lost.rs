//! Peers the table dropped because they failed, probed again for a while.
//!
//! A partition makes each side drop every peer of the other, and a node drops a peer that
//! crashed and may restart. Nothing in the table then leads back across, and no lookup over
//! the table can find the other side again. So a node remembers the peers it lost, probes
//! them with its own lookup at growing intervals, and forgets them after [`REMEMBER_FOR`].
//! A lost peer heard from again means the network joined up: the caller refreshes its
//! buckets then, which finds the rest of the other side.

use std::collections::VecDeque;

use sift_core::{Micros, NodeId};

/// Lost peers remembered at most; the oldest go first.
pub const CAPACITY: usize = 64;
/// How long a lost peer is probed before it is forgotten.
pub const REMEMBER_FOR: Micros = 600_000_000;
const FIRST_PROBE: Micros = 2_000_000;
const LONGEST_WAIT: Micros = 60_000_000;

#[derive(Debug)]
struct Lost {
    peer: NodeId,
    since: Micros,
    next_probe: Micros,
    wait: Micros,
}

#[derive(Debug, Default)]
pub struct LostPeers {
    lost: VecDeque<Lost>,
}

impl LostPeers {
    pub fn lose(&mut self, now: Micros, peer: NodeId) {
        if self.lost.iter().any(|l| l.peer == peer) {
            return;
        }
        if self.lost.len() == CAPACITY {
            self.lost.pop_front();
        }
        self.lost.push_back(Lost {
            peer,
            since: now,
            next_probe: now + FIRST_PROBE,
            wait: FIRST_PROBE,
        });
    }

    /// `peer` was heard from; returns whether it had been lost.
    pub fn found(&mut self, peer: &NodeId) -> bool {
        let before = self.lost.len();
        self.lost.retain(|l| l.peer != *peer);
        self.lost.len() < before
    }

    /// The lost peers due for a probe at `now`, each then waiting twice as long for the next
    /// (up to a minute); those lost longer than [`REMEMBER_FOR`] are forgotten.
    pub fn due(&mut self, now: Micros) -> Vec<NodeId> {
        self.lost.retain(|l| now < l.since + REMEMBER_FOR);
        let mut due = Vec::new();
        for lost in &mut self.lost {
            if now >= lost.next_probe {
                due.push(lost.peer);
                lost.wait = (lost.wait * 2).min(LONGEST_WAIT);
                lost.next_probe = now + lost.wait;
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u8) -> NodeId {
        NodeId::from_bytes([n; 32])
    }

    #[test]
    fn probes_back_off_and_lost_peers_are_forgotten() {
        let mut lost = LostPeers::default();
        lost.lose(0, node(1));
        lost.lose(0, node(1));
        assert!(lost.due(1_000_000).is_empty());
        assert_eq!(lost.due(2_000_000), vec![node(1)]);
        assert!(lost.due(5_000_000).is_empty(), "the next probe waits 4 s");
        assert_eq!(lost.due(6_000_000), vec![node(1)]);
        assert!(lost.due(REMEMBER_FOR).is_empty(), "forgotten");
        lost.lose(0, node(2));
        assert!(lost.found(&node(2)));
        assert!(!lost.found(&node(2)));
        for n in 0..=CAPACITY as u8 {
            lost.lose(0, node(n));
        }
        assert!(!lost.found(&node(0)), "the oldest went first");
    }
}
