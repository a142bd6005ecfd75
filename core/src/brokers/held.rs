//! The subscriptions a broker holds for the nodes of their subscribers, with their leases, and
//! one index over them all.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sift_matcher::{Event, Filter, SubscriptionIndex};

use crate::id::{NodeId, SubId};
use crate::strategy::Micros;

#[derive(Debug)]
struct Held {
    text: Arc<str>,
    /// When the subscription itself expires, if it does.
    expires: Option<Micros>,
    /// When the lease runs out without a refresh.
    lease: Micros,
}

/// Bounded by `max_entries` in all and `max_per_node` for one subscriber's node: a store past
/// either bound is refused, so no peer can make a broker grow without end or crowd the other
/// nodes out. A subscription's subscriber is the node named in its id, the only node allowed
/// to store, refresh or drop it (see [`super::Brokered`]).
#[derive(Debug)]
pub(super) struct HeldSubscriptions {
    held: HashMap<SubId, Held>,
    index: SubscriptionIndex<SubId>,
    /// Subscriptions held per subscriber's node; no entry holds zero.
    per_node: HashMap<NodeId, usize>,
    max_entries: usize,
    max_per_node: usize,
}

impl HeldSubscriptions {
    pub(super) fn new(max_entries: usize, max_per_node: usize) -> Self {
        HeldSubscriptions {
            held: HashMap::new(),
            index: SubscriptionIndex::new(),
            per_node: HashMap::new(),
            max_entries,
            max_per_node,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.held.len()
    }

    /// Every subscription held, in id order.
    pub(super) fn subs(&self) -> Vec<SubId> {
        let mut subs: Vec<SubId> = self.held.keys().copied().collect();
        subs.sort_unstable();
        subs
    }

    /// Holds `sub` with the parsed `filter` of `text` until `lease`; a subscription held
    /// with another filter takes the new one. Returns false if refused: a table full, in all
    /// or for the subscriber's node.
    pub(super) fn store(
        &mut self,
        sub: SubId,
        text: Arc<str>,
        filter: &Filter,
        expires: Option<Micros>,
        lease: Micros,
    ) -> bool {
        if let Some(held) = self.held.get_mut(&sub) {
            if held.text != text {
                self.index.insert(sub, filter);
                held.text = text;
            }
            held.expires = expires;
            held.lease = held.lease.max(lease);
            return true;
        }
        let of_node = self.per_node.get(&sub.origin).copied().unwrap_or(0);
        if self.held.len() >= self.max_entries || of_node >= self.max_per_node {
            return false;
        }
        self.index.insert(sub, filter);
        self.held.insert(
            sub,
            Held {
                text,
                expires,
                lease,
            },
        );
        self.per_node.insert(sub.origin, of_node + 1);
        true
    }

    /// Extends the lease of `sub`; false if it is not held.
    pub(super) fn refresh(&mut self, sub: &SubId, lease: Micros) -> bool {
        match self.held.get_mut(sub) {
            Some(held) => {
                held.lease = held.lease.max(lease);
                true
            }
            None => false,
        }
    }

    pub(super) fn drop_sub(&mut self, sub: &SubId) {
        if self.held.remove(sub).is_none() {
            return;
        }
        self.index.remove(sub);
        if let Some(count) = self.per_node.get_mut(&sub.origin) {
            *count -= 1;
            if *count == 0 {
                self.per_node.remove(&sub.origin);
            }
        }
    }

    /// Drops the subscriptions whose lease or expiry passed at `now`.
    pub(super) fn expire(&mut self, now: Micros) {
        let lapsed: Vec<SubId> = self
            .held
            .iter()
            .filter(|(_, h)| h.lease <= now || h.expires.is_some_and(|at| at <= now))
            .map(|(&sub, _)| sub)
            .collect();
        for sub in lapsed {
            self.drop_sub(&sub);
        }
    }

    /// The nodes with a held subscription that matches `event`, in id order.
    pub(super) fn subscribers(&self, event: &Event) -> BTreeSet<NodeId> {
        self.index
            .matches(event)
            .into_iter()
            .map(|sub| sub.origin)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sift_matcher::EventLimits;

    fn sub(origin: u8, seq: u64) -> SubId {
        SubId {
            origin: NodeId::from_bytes([origin; 32]),
            seq,
        }
    }

    fn store(held: &mut HeldSubscriptions, sub: SubId, text: &str, lease: Micros) -> bool {
        let filter = Filter::parse(text).unwrap();
        held.store(sub, text.into(), &filter, None, lease)
    }

    #[test]
    fn leases_bound_and_replacement() {
        let mut held = HeldSubscriptions::new(3, 2);
        assert!(store(&mut held, sub(1, 1), "x > 1", 100));
        assert!(store(&mut held, sub(2, 1), "x > 5", 100));
        assert!(store(&mut held, sub(2, 2), "x > 6", 50));
        // Node 2 has its two; the table has room for one more, but not for node 2.
        assert!(!store(&mut held, sub(2, 3), "x > 7", 100));
        assert!(!store(&mut held, sub(3, 1), "x > 0", 100));
        held.drop_sub(&sub(2, 2));
        assert!(store(&mut held, sub(2, 3), "x > 7", 10));
        held.drop_sub(&sub(2, 3));
        let event = Event::from_json(r#"{"x": 3}"#, &EventLimits::default()).unwrap();
        let nodes: Vec<NodeId> = held.subscribers(&event).into_iter().collect();
        assert_eq!(nodes, vec![NodeId::from_bytes([1; 32])]);

        assert!(store(&mut held, sub(1, 1), "x > 9", 100));
        assert!(held.subscribers(&event).is_empty());

        assert!(held.refresh(&sub(2, 1), 300));
        assert!(!held.refresh(&sub(3, 1), 300));
        held.expire(200);
        assert_eq!(held.subs(), vec![sub(2, 1)]);
        held.drop_sub(&sub(2, 1));
        assert_eq!(held.len(), 0);
    }
}
