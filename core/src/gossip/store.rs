//! The events a node keeps to repair others: bounded by count, and by age since publication.

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
    pub(crate) fn new(capacity: usize, retention: Micros) -> Self {
        EventStore {
            // Age is checked against the publication (see `is_fresh`), not the arrival.
            events: AgedMap::new(capacity, Micros::MAX),
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
