//! The events a node keeps to repair others: bounded by count, by age since publication, and
//! by time since the node took them in.

use std::collections::HashSet;
use std::sync::Arc;

use super::aged::AgedMap;
use crate::id::EventId;
use crate::strategy::{Micros, Publication};

#[derive(Debug)]
pub(crate) struct EventStore {
    events: AgedMap<EventId, (Arc<Publication>, u16)>,
    retention: Micros,
}

impl EventStore {
    /// At most `capacity` events, none published more than `retention` ago, none taken in
    /// more than `keep_for` ago.
    pub(crate) fn new(capacity: usize, retention: Micros, keep_for: Micros) -> Self {
        EventStore {
            events: AgedMap::new(capacity, keep_for),
            retention,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Whether `publication` is young enough to be kept and passed on at `now`. Age is
    /// counted from the publisher's clock, so an event's whole life in repairs is bounded,
    /// however many nodes pass it along.
    pub(crate) fn is_fresh(&self, now: Micros, publication: &Publication) -> bool {
        now.saturating_sub(publication.published_at) < self.retention
    }

    /// Keeps `publication`, which reached this node in `hops` hops, if it is fresh.
    pub(crate) fn keep(&mut self, now: Micros, publication: Arc<Publication>, hops: u16) {
        if self.is_fresh(now, &publication) {
            self.events.insert(now, publication.id, (publication, hops));
        }
    }

    /// Drops what has aged out.
    pub(crate) fn expire(&mut self, now: Micros) {
        self.events.expire(now);
        let retention = self.retention;
        self.events
            .retain(|_, (publication, _)| now.saturating_sub(publication.published_at) < retention);
    }

    /// The event `id`, with the hops it took to get here, if kept and fresh.
    pub(crate) fn get(&self, now: Micros, id: &EventId) -> Option<(&Arc<Publication>, u16)> {
        self.events
            .get(id)
            .filter(|(publication, _)| self.is_fresh(now, publication))
            .map(|(publication, hops)| (publication, *hops))
    }

    /// The ids of the `max` newest fresh events.
    pub(crate) fn digest(&self, now: Micros, max: usize) -> Vec<EventId> {
        self.events
            .newest_first()
            .filter(|(_, (publication, _))| self.is_fresh(now, publication))
            .map(|(id, _)| *id)
            .take(max)
            .collect()
    }

    /// Up to `max` fresh events, newest first, that `known` does not name.
    pub(crate) fn missing_from(
        &self,
        now: Micros,
        known: &HashSet<EventId>,
        max: usize,
    ) -> Vec<(Arc<Publication>, u16)> {
        self.events
            .newest_first()
            .filter(|(id, (publication, _))| !known.contains(id) && self.is_fresh(now, publication))
            .map(|(_, (publication, hops))| (Arc::clone(publication), *hops))
            .take(max)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;
    use sift_matcher::{Event, EventLimits};

    fn publication(seq: u64, published_at: Micros) -> Arc<Publication> {
        Arc::new(Publication {
            id: EventId {
                origin: NodeId::from_bytes([1; 32]),
                seq,
            },
            published_at,
            event: Event::from_json("{}", &EventLimits::default()).unwrap(),
        })
    }

    #[test]
    fn events_age_out_by_publication_and_by_receipt() {
        // Kept 100 after publication, 30 after receipt, 2 at most.
        let mut store = EventStore::new(2, 100, 30);
        store.keep(50, publication(1, 0), 1);
        // Published too long ago: not kept.
        store.keep(150, publication(2, 20), 1);
        assert_eq!(store.len(), 1);
        store.keep(60, publication(3, 55), 2);
        store.keep(61, publication(4, 56), 2);
        // The oldest went for room.
        assert!(store.get(61, &publication(1, 0).id).is_none());
        assert_eq!(store.digest(61, 10).len(), 2);
        let known: HashSet<EventId> = [publication(3, 55).id].into();
        assert_eq!(store.missing_from(61, &known, 10).len(), 1);
        // 30 after receipt, both are gone.
        store.expire(92);
        assert!(store.is_empty());
    }
}
