//! Local delivery: a node's own subscriptions, their expiry, and duplicate suppression.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use foldhash::HashMap;
use sift_matcher::SubscriptionIndex;

use crate::id::{EventId, SubId};
use crate::seen::{FingerprintKey, SeenCache};
use crate::strategy::{Delivery, Micros, Outputs, Publication, Reach, Subscription, Timer};

#[derive(Clone, Debug, PartialEq)]
pub struct LocalConfig {
    /// Event ids remembered for duplicate suppression (see [`SeenCache`]).
    pub seen_capacity: usize,
    /// How long an event id is remembered.
    pub seen_window: Micros,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            seen_capacity: 65_536,
            seen_window: 120_000_000,
        }
    }
}

/// The subscriptions of the clients attached to one node.
///
/// Expiry is soft state: a subscription matches while `now < expires`, and the first input at
/// or after its expiry removes it and reports it in [`Outputs::expired`], once, whether or not
/// the expiry timer has fired yet.
#[derive(Debug)]
pub struct LocalDelivery {
    subs: HashMap<SubId, Subscription>,
    index: SubscriptionIndex<SubId>,
    /// Expiry times; an entry whose subscription is gone or was renewed is skipped.
    expiries: BinaryHeap<Reverse<(Micros, SubId)>>,
    seen: SeenCache,
}

impl LocalDelivery {
    /// `key` is the node's secret for the fingerprints of the events it has seen.
    pub fn new(config: &LocalConfig, key: FingerprintKey) -> Self {
        LocalDelivery {
            subs: HashMap::default(),
            index: SubscriptionIndex::new(),
            expiries: BinaryHeap::new(),
            seen: SeenCache::new(config.seen_capacity, config.seen_window, key),
        }
    }

    pub fn len(&self) -> usize {
        self.subs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    pub fn get(&self, id: &SubId) -> Option<&Subscription> {
        self.subs.get(id)
    }

    pub fn subscriptions(&self) -> impl Iterator<Item = &Subscription> {
        self.subs.values()
    }

    /// Adds or replaces a subscription. One that has already expired is reported expired and
    /// not kept.
    pub fn subscribe(&mut self, now: Micros, sub: Subscription, out: &mut Outputs) {
        self.expire(now, out);
        if sub.expires.is_some_and(|at| at <= now) {
            self.unsubscribe(&sub.id);
            out.expired.push(sub.id);
            return;
        }
        if let Some(at) = sub.expires {
            self.expiries.push(Reverse((at, sub.id)));
            out.timers.push((at, Timer::Expiry));
        }
        self.index.insert(sub.id, &sub.filter);
        self.subs.insert(sub.id, sub);
    }

    /// Removes a subscription; returns it if it was there.
    pub fn unsubscribe(&mut self, id: &SubId) -> Option<Subscription> {
        self.index.remove(id);
        self.subs.remove(id)
    }

    /// Removes and reports every subscription whose expiry is at or before `now`.
    pub fn expire(&mut self, now: Micros, out: &mut Outputs) {
        while let Some(&Reverse((at, id))) = self.expiries.peek() {
            if at > now {
                break;
            }
            self.expiries.pop();
            if self
                .subs
                .get(&id)
                .is_some_and(|sub| sub.expires == Some(at))
            {
                self.unsubscribe(&id);
                out.expired.push(id);
            }
        }
    }

    /// Whether the event `id` was taken in here and is still remembered.
    pub fn has_seen(&self, id: &EventId) -> bool {
        self.seen.contains(id)
    }

    /// Takes in a publication that travelled `hops` hops: the first time its id is seen,
    /// reports the reach, delivers it to every matching subscription and returns true; a
    /// repeat delivers nothing and returns false.
    pub fn receive(
        &mut self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        out: &mut Outputs,
    ) -> bool {
        if !self.take_in(now, publication, hops, out) {
            return false;
        }
        self.deliver_matching(publication, out);
        true
    }

    /// Delivers a publication just taken in ([`Self::take_in`]) to every matching
    /// subscription.
    pub fn deliver_matching(&self, publication: &Arc<Publication>, out: &mut Outputs) {
        if !self.subs.is_empty() {
            out.matching_ops += self.subs.len() as u64;
            let matched = self.index.matches(&publication.event).into_iter().copied();
            deliver(matched.collect(), publication, out);
        }
    }

    /// [`Self::deliver_matching`] for a caller that knows no subscription outside
    /// `candidates` can match (ids this node does not hold are passed over): only their
    /// filters are evaluated. They are evaluated all the same, so the deliveries are exact
    /// whatever the caller was told.
    pub fn deliver_among(
        &self,
        publication: &Arc<Publication>,
        candidates: &[SubId],
        out: &mut Outputs,
    ) {
        let held: Vec<&Subscription> = candidates
            .iter()
            .filter_map(|id| self.subs.get(id))
            .collect();
        out.matching_ops += held.len() as u64;
        let matched = held
            .into_iter()
            .filter(|sub| sub.filter.matches(&publication.event))
            .map(|sub| sub.id);
        deliver(matched.collect(), publication, out);
    }

    /// The first time `publication` (having travelled `hops` hops) is seen, reports its
    /// reach, expires what is due and returns true; a repeat changes nothing and returns
    /// false. [`Self::receive`] is this and [`Self::deliver_matching`].
    pub fn take_in(
        &mut self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        out: &mut Outputs,
    ) -> bool {
        if !self.seen.insert(now, &publication.id) {
            return false;
        }
        out.reached.push(Reach {
            event: publication.id,
            hops,
        });
        self.expire(now, out);
        true
    }
}

/// Delivers `publication` to the `matched` subscriptions, each once, in id order: matches
/// come in an order of their own, and the outputs must depend on the inputs alone.
fn deliver(mut matched: Vec<SubId>, publication: &Arc<Publication>, out: &mut Outputs) {
    matched.sort_unstable();
    matched.dedup();
    out.deliveries
        .extend(matched.into_iter().map(|sub| Delivery {
            sub,
            publication: Arc::clone(publication),
        }));
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use sift_matcher::{Event, EventLimits, Filter};

    use super::*;
    use crate::id::{EventId, NodeId};

    const ME: NodeId = NodeId::from_bytes([1; 32]);

    fn sub(seq: u64, filter: &str, expires: Option<Micros>) -> Subscription {
        Subscription {
            id: SubId { origin: ME, seq },
            filter: Filter::parse(filter).unwrap(),
            expires,
        }
    }

    fn local_delivery() -> LocalDelivery {
        let key = FingerprintKey::derive(&ChaCha8Rng::seed_from_u64(1));
        LocalDelivery::new(&LocalConfig::default(), key)
    }

    fn publication(seq: u64, json: &str) -> Arc<Publication> {
        Arc::new(Publication {
            id: EventId { origin: ME, seq },
            published_at: 0,
            event: Event::from_json(json, &EventLimits::default()).unwrap(),
        })
    }

    fn delivered(out: &Outputs) -> Vec<u64> {
        let mut seqs: Vec<u64> = out.deliveries.iter().map(|d| d.sub.seq).collect();
        seqs.sort();
        seqs
    }

    #[test]
    fn matching_subscriptions_get_each_event_once() {
        let mut local = local_delivery();
        let mut out = Outputs::default();
        local.subscribe(0, sub(1, "price > 100", None), &mut out);
        local.subscribe(0, sub(2, r#"symbol == "ACME""#, None), &mut out);
        let p = publication(1, r#"{"price": 150, "symbol": "ACME"}"#);
        assert!(local.receive(10, &p, 0, &mut out));
        assert_eq!(delivered(&out), vec![1, 2]);
        out.clear();
        assert!(!local.receive(11, &p, 0, &mut out));
        assert!(out.deliveries.is_empty());
        assert!(local.receive(12, &publication(2, r#"{"price": 50}"#), 0, &mut out));
        assert!(out.deliveries.is_empty());
    }

    #[test]
    fn a_subscription_stops_matching_at_its_expiry_and_is_reported_once() {
        let mut local = local_delivery();
        let mut out = Outputs::default();
        local.subscribe(0, sub(1, "x > 0", Some(100)), &mut out);
        assert_eq!(out.timers, vec![(100, Timer::Expiry)]);
        out.clear();
        local.receive(99, &publication(1, r#"{"x": 1}"#), 0, &mut out);
        assert_eq!(delivered(&out), vec![1]);
        out.clear();
        // No timer has fired; the event at the expiry time must still not match.
        local.receive(100, &publication(2, r#"{"x": 1}"#), 0, &mut out);
        assert!(out.deliveries.is_empty());
        assert_eq!(out.expired.len(), 1);
        out.clear();
        local.expire(200, &mut out);
        assert!(out.expired.is_empty() && local.is_empty());
    }

    #[test]
    fn renewal_moves_the_expiry() {
        let mut local = local_delivery();
        let mut out = Outputs::default();
        local.subscribe(0, sub(1, "x > 0", Some(100)), &mut out);
        local.subscribe(50, sub(1, "x > 0", Some(300)), &mut out);
        out.clear();
        local.expire(150, &mut out);
        assert!(out.expired.is_empty() && local.len() == 1);
        local.expire(300, &mut out);
        assert_eq!(out.expired.len(), 1);
    }

    #[test]
    fn unsubscribe_and_past_expiry() {
        let mut local = local_delivery();
        let mut out = Outputs::default();
        local.subscribe(10, sub(1, "x > 0", Some(5)), &mut out);
        assert_eq!(out.expired.len(), 1);
        assert!(local.is_empty());
        local.subscribe(10, sub(2, "x > 0", None), &mut out);
        assert!(local.unsubscribe(&SubId { origin: ME, seq: 2 }).is_some());
        out.clear();
        local.receive(20, &publication(1, r#"{"x": 1}"#), 0, &mut out);
        assert!(out.deliveries.is_empty());
    }
}
