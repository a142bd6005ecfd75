//! Kademlia's iterative lookup, as a pure state machine: ask the α closest peers known for
//! the peers they know closest to the target, take in what they answer, and go on until the
//! `width` closest peers known have all answered: k of them for a node's own key, whose
//! neighbourhood must learn of it and which it must learn, α for a bucket refresh, which
//! needs only to find some nodes in the bucket's range.
//!
//! A lookup's value here is what it teaches the routing table: every peer that answers is
//! heard from (the caller marks it seen), which is how a joining node fills its buckets and
//! how the nodes it asks learn of it. A question unanswered past the timeout, or to a peer the
//! driver reports down, counts as failed for the lookup; only the driver's report takes a peer
//! out of the table (a lost question says little about a peer).

use std::collections::BTreeMap;

use sift_core::keyspace::{Distance, Key};
use sift_core::{Micros, NodeId};

/// Lookups running at once at most; one asked for beyond that is not started (the bucket
/// refresh that wanted it comes round again).
pub const MAX_LOOKUPS: usize = 32;

/// A question to send: [`sift_core::Message::FindNode`] to `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question {
    pub to: NodeId,
    pub query: u64,
    pub target: Key,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Asked(Micros),
    Answered,
    Failed,
}

#[derive(Debug)]
struct Lookup {
    target: Key,
    width: usize,
    /// Candidates by distance to the target; at most `3k` of the closest.
    candidates: BTreeMap<Distance, (NodeId, State)>,
}

#[derive(Debug)]
pub struct Lookups {
    me: NodeId,
    running: BTreeMap<u64, Lookup>,
    next_query: u64,
    k: usize,
    parallelism: usize,
    timeout: Micros,
}

impl Lookups {
    pub fn new(me: NodeId, k: usize, parallelism: usize, timeout: Micros) -> Self {
        Lookups {
            me,
            running: BTreeMap::new(),
            next_query: 0,
            k: k.max(1),
            parallelism: parallelism.max(1),
            timeout,
        }
    }

    pub fn is_running(&self, target: &Key) -> bool {
        self.running.values().any(|l| l.target == *target)
    }

    /// Starts a lookup of `target` from the peers `seeds` (the table's closest), ending when
    /// the `width` closest have answered; pushes the first questions onto `ask`. Nothing
    /// starts when [`MAX_LOOKUPS`] are running or there is no one to ask.
    pub fn start(
        &mut self,
        now: Micros,
        target: Key,
        width: usize,
        seeds: &[NodeId],
        ask: &mut Vec<Question>,
    ) {
        if self.running.len() >= MAX_LOOKUPS || seeds.is_empty() {
            return;
        }
        let query = self.next_query;
        self.next_query += 1;
        let mut lookup = Lookup {
            target,
            width: width.clamp(1, self.k),
            candidates: BTreeMap::new(),
        };
        lookup.add(&self.me, seeds, 3 * self.k);
        self.running.insert(query, lookup);
        self.advance(now, query, ask);
    }

    /// `from` answered `query` with `closest`; returns whether the answer belonged to a
    /// question asked (an unasked-for answer teaches nothing and is dropped).
    pub fn answer(
        &mut self,
        now: Micros,
        from: NodeId,
        query: u64,
        closest: &[NodeId],
        ask: &mut Vec<Question>,
    ) -> bool {
        let Some(lookup) = self.running.get_mut(&query) else {
            return false;
        };
        let distance = Key::of_node(&from).distance(&lookup.target);
        match lookup.candidates.get_mut(&distance) {
            Some((peer, state)) if *peer == from && matches!(state, State::Asked(_)) => {
                *state = State::Answered;
            }
            _ => return false,
        }
        let limit = 3 * self.k;
        lookup.add(&self.me, &closest[..closest.len().min(self.k)], limit);
        self.advance(now, query, ask);
        true
    }

    /// `peer` is down: every question to it failed.
    pub fn failed(&mut self, now: Micros, peer: &NodeId, ask: &mut Vec<Question>) {
        let queries: Vec<u64> = self.running.keys().copied().collect();
        for query in queries {
            if let Some(lookup) = self.running.get_mut(&query) {
                for (candidate, state) in lookup.candidates.values_mut() {
                    if candidate == peer {
                        *state = State::Failed;
                    }
                }
            }
            self.advance(now, query, ask);
        }
    }

    /// Fails the questions unanswered past the timeout, and asks the next candidates.
    pub fn tick(&mut self, now: Micros, ask: &mut Vec<Question>) {
        let queries: Vec<u64> = self.running.keys().copied().collect();
        for query in queries {
            if let Some(lookup) = self.running.get_mut(&query) {
                for (_, state) in lookup.candidates.values_mut() {
                    if let State::Asked(at) = *state
                        && now >= at + self.timeout
                    {
                        *state = State::Failed;
                    }
                }
            }
            self.advance(now, query, ask);
        }
    }

    /// Asks the closest waiting candidates while fewer than α questions are out; ends the
    /// lookup when the `width` closest live candidates have all answered.
    fn advance(&mut self, now: Micros, query: u64, ask: &mut Vec<Question>) {
        let Some(lookup) = self.running.get_mut(&query) else {
            return;
        };
        let mut out = lookup
            .candidates
            .values()
            .filter(|(_, s)| matches!(s, State::Asked(_)))
            .count();
        let live: Vec<&mut (NodeId, State)> = lookup
            .candidates
            .values_mut()
            .filter(|(_, s)| *s != State::Failed)
            .take(lookup.width)
            .collect();
        for (peer, state) in live {
            if out >= self.parallelism {
                break;
            }
            if *state == State::Waiting {
                *state = State::Asked(now);
                out += 1;
                ask.push(Question {
                    to: *peer,
                    query,
                    target: lookup.target,
                });
            }
        }
        if out == 0 {
            self.running.remove(&query);
        }
    }
}

impl Lookup {
    /// Takes in candidates, keeping the `limit` closest.
    fn add(&mut self, me: &NodeId, peers: &[NodeId], limit: usize) {
        for peer in peers {
            if peer == me {
                continue;
            }
            let distance = Key::of_node(peer).distance(&self.target);
            self.candidates
                .entry(distance)
                .or_insert((*peer, State::Waiting));
        }
        while self.candidates.len() > limit {
            self.candidates.pop_last();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use crate::table::RoutingTable;

    /// A network of 300 nodes whose tables hold at most 3 peers per bucket, offered in a
    /// shuffled order: a lookup, answered from the nodes' own tables, ends having asked the 3
    /// nodes closest to the target.
    #[test]
    fn a_lookup_converges_on_the_closest_nodes() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let nodes: Vec<NodeId> = (0..300).map(|_| NodeId::random(&mut rng)).collect();
        let tables: Vec<RoutingTable> = nodes
            .iter()
            .enumerate()
            .map(|(i, me)| {
                let mut table = RoutingTable::new(me, 3);
                for j in 0..nodes.len() {
                    table.seen(nodes[(i + j * 7) % nodes.len()]);
                }
                table
            })
            .collect();
        let target = Key::of_content(b"symbol=ACME");
        let me = nodes[0];
        let mut lookups = Lookups::new(me, 3, 2, 1_000);
        let mut ask = Vec::new();
        lookups.start(0, target, 3, &tables[0].closest(&target, 3), &mut ask);
        let mut asked = Vec::new();
        let mut now = 0;
        while let Some(question) = ask.pop() {
            now += 1;
            asked.push(question.to);
            let at = nodes.iter().position(|n| *n == question.to).unwrap();
            let closest = tables[at].closest(&question.target, 3);
            assert!(lookups.answer(now, question.to, question.query, &closest, &mut ask));
        }
        assert!(!lookups.is_running(&target), "the lookup ended");
        let mut by_distance = nodes.clone();
        by_distance.sort_by_key(|n| Key::of_node(n).distance(&target));
        for closest in &by_distance[..3] {
            assert!(asked.contains(closest) || *closest == me);
        }
    }

    #[test]
    fn silence_and_failures_end_questions() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let peers: Vec<NodeId> = (0..4).map(|_| NodeId::random(&mut rng)).collect();
        let mut lookups = Lookups::new(NodeId::random(&mut rng), 20, 2, 100);
        let mut ask = Vec::new();
        lookups.start(0, Key([0; 32]), 20, &peers, &mut ask);
        assert_eq!(ask.len(), 2);
        let first = ask[0];
        // An answer nobody asked for is refused.
        assert!(!lookups.answer(1, peers[0], first.query + 1, &[], &mut Vec::new()));
        ask.clear();
        lookups.failed(5, &first.to, &mut ask);
        assert_eq!(ask.len(), 1, "a failed question makes room for the next");
        ask.clear();
        lookups.tick(200, &mut ask);
        // Both questions out timed out: the last waiting peer is asked; when it is silent
        // too, the lookup ends.
        assert_eq!(ask.len(), 1);
        lookups.tick(400, &mut ask);
        assert!(!lookups.is_running(&Key([0; 32])));
    }
}
