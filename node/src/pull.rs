//! A pull queue: a subscription's events held for a consumer that asks for them, with
//! acknowledgements and a visibility timeout, for at-least-once consumers.
//!
//! A taken event is *unacknowledged* until the consumer acks its receipt; if the ack does not
//! come within the visibility timeout the event becomes visible again, ahead of newer ones,
//! and the next get takes it with a new receipt. The queue holds at most `capacity` events,
//! waiting and unacknowledged together; an event that arrives to a full queue is refused (the
//! subscription counts it as dropped), so a consumer that stopped reading costs the node a
//! bounded amount of memory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sift_core::Publication;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The longest an unacknowledged event stays invisible.
pub(crate) const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug)]
pub(crate) struct PullQueue {
    state: Mutex<State>,
    arrived: Notify,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Oldest first; redelivered events go to the front.
    waiting: VecDeque<Held>,
    /// By receipt.
    unacked: BTreeMap<u64, (Instant, Held)>,
    next_receipt: u64,
    /// The subscription ended: getters stop waiting.
    closed: bool,
}

#[derive(Clone, Debug)]
struct Held {
    publication: Arc<Publication>,
    /// Times the event was handed out before.
    redeliveries: u32,
}

/// An event handed to a consumer: ack `receipt` to be done with it.
#[derive(Clone, Debug)]
pub(crate) struct Pulled {
    pub(crate) receipt: u64,
    pub(crate) publication: Arc<Publication>,
    pub(crate) redeliveries: u32,
}

/// How a queue stands, for listings and stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueueCounts {
    pub(crate) waiting: usize,
    pub(crate) unacked: usize,
}

impl PullQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        PullQueue {
            state: Mutex::new(State::default()),
            arrived: Notify::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing under the lock is meant to panic; if something did, each update is a
        // single push, pop or insert, so the data is still consistent: carry on with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an event; `false` if the queue was full (or closed) and refused it.
    pub(crate) fn push(&self, publication: Arc<Publication>) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        if state.waiting.len() + state.unacked.len() >= self.capacity {
            return false;
        }
        state.waiting.push_back(Held {
            publication,
            redeliveries: 0,
        });
        drop(state);
        self.arrived.notify_waiters();
        true
    }

    /// Takes up to `max` visible events at once, without waiting. They become visible again
    /// after `visibility` unless acknowledged (at most [`MAX_VISIBILITY`]).
    pub(crate) fn poll(&self, max: usize, visibility: Duration) -> Vec<Pulled> {
        let now = Instant::now();
        let visible_again = now + visibility.min(MAX_VISIBILITY);
        let mut state = self.lock();
        state.make_overdue_visible(now);
        let mut taken = Vec::new();
        while taken.len() < max {
            let Some(held) = state.waiting.pop_front() else {
                break;
            };
            let receipt = state.next_receipt;
            state.next_receipt += 1;
            taken.push(Pulled {
                receipt,
                publication: Arc::clone(&held.publication),
                redeliveries: held.redeliveries,
            });
            state.unacked.insert(receipt, (visible_again, held));
        }
        taken
    }

    /// Takes up to `max` events, waiting up to `wait` for the first one (or for an
    /// unacknowledged one to become visible again).
    pub(crate) async fn get(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Vec<Pulled> {
        let give_up = Instant::now() + wait.min(MAX_VISIBILITY);
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let taken = self.poll(max, visibility);
            let (closed, next_visible) = {
                let state = self.lock();
                (
                    state.closed,
                    state.unacked.values().map(|(at, _)| *at).min(),
                )
            };
            let now = Instant::now();
            if !taken.is_empty() || closed || now >= give_up {
                return taken;
            }
            let until = next_visible.map_or(give_up, |at| at.min(give_up));
            tokio::select! {
                () = &mut arrived => {}
                () = tokio::time::sleep_until(until) => {}
            }
        }
    }

    /// Acknowledges receipts; returns how many were outstanding (an unknown or repeated
    /// receipt, or one whose visibility lapsed, acknowledges nothing).
    pub(crate) fn ack(&self, receipts: &[u64]) -> usize {
        let now = Instant::now();
        let mut state = self.lock();
        state.make_overdue_visible(now);
        receipts
            .iter()
            .filter(|receipt| state.unacked.remove(receipt).is_some())
            .count()
    }

    pub(crate) fn counts(&self) -> QueueCounts {
        let state = self.lock();
        QueueCounts {
            waiting: state.waiting.len(),
            unacked: state.unacked.len(),
        }
    }

    /// The subscription ended: wake every getter; nothing more arrives.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.arrived.notify_waiters();
    }
}

impl State {
    /// Unacknowledged events whose visibility lapsed go back to the front, oldest first.
    fn make_overdue_visible(&mut self, now: Instant) {
        let overdue: Vec<u64> = self
            .unacked
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(&receipt, _)| receipt)
            .collect();
        for receipt in overdue.into_iter().rev() {
            if let Some((_, mut held)) = self.unacked.remove(&receipt) {
                held.redeliveries += 1;
                self.waiting.push_front(held);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sift_core::{EventId, NodeId};
    use sift_matcher::Event;

    use super::*;

    fn publication(seq: u64) -> Arc<Publication> {
        Arc::new(Publication {
            id: EventId {
                origin: NodeId::from_bytes([1; 32]),
                seq,
            },
            published_at: 0,
            event: Event::from_json(&format!(r#"{{"n": {seq}}}"#), &Default::default()).unwrap(),
        })
    }

    fn seqs(pulled: &[Pulled]) -> Vec<u64> {
        pulled.iter().map(|p| p.publication.id.seq).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn unacked_events_come_back_after_the_visibility_timeout() {
        let queue = PullQueue::new(10);
        for seq in 0..3 {
            assert!(queue.push(publication(seq)));
        }
        let visibility = Duration::from_secs(30);
        let first = queue.poll(2, visibility);
        assert_eq!(seqs(&first), [0, 1]);
        assert_eq!(queue.ack(&[first[0].receipt]), 1);
        assert_eq!(queue.ack(&[first[0].receipt]), 0, "an ack counts once");

        assert_eq!(seqs(&queue.poll(10, visibility)), [2]);
        assert!(queue.poll(10, visibility).is_empty());

        tokio::time::advance(visibility).await;
        let again = queue.poll(10, visibility);
        assert_eq!(seqs(&again), [1, 2], "unacked events return, oldest first");
        assert_eq!(again[0].redeliveries, 1);
        assert_eq!(
            queue.ack(&[first[1].receipt]),
            0,
            "a lapsed receipt acks nothing"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_blocking_get_waits_for_an_event_or_its_deadline() {
        let queue = Arc::new(PullQueue::new(10));
        let getter = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                queue
                    .get(5, Duration::from_secs(30), Duration::from_secs(10))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        queue.push(publication(7));
        assert_eq!(seqs(&getter.await.unwrap()), [7]);

        let empty = queue
            .get(5, Duration::from_secs(30), Duration::from_secs(2))
            .await;
        assert!(empty.is_empty());
    }

    #[test]
    fn a_full_queue_refuses() {
        let queue = PullQueue::new(2);
        assert!(queue.push(publication(0)));
        assert!(queue.push(publication(1)));
        assert!(!queue.push(publication(2)));
        let taken = queue.poll(1, Duration::from_secs(30));
        assert!(
            !queue.push(publication(3)),
            "unacked events count against the bound"
        );
        queue.ack(&[taken[0].receipt]);
        assert!(queue.push(publication(4)));
        assert_eq!(
            queue.counts(),
            QueueCounts {
                waiting: 2,
                unacked: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_enormous_visibility_is_capped() {
        let queue = PullQueue::new(2);
        queue.push(publication(0));
        assert_eq!(queue.poll(1, Duration::MAX).len(), 1);
        tokio::time::advance(MAX_VISIBILITY).await;
        assert_eq!(queue.poll(1, Duration::MAX).len(), 1, "visible again");
    }
}
