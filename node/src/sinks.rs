//! Where a local subscription's events go: its callback, and the registry of the node's
//! subscriptions the driver delivers through and the API reads.
//!
//! The driver never waits on a consumer: every callback takes an event at once or drops it
//! and counts the drop (a stream or closure whose consumer fell a backlog behind, a full pull
//! queue), so a slow client never holds up the overlay or the other clients.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::{Value, json};
use sift_core::{Micros, Publication, SubId};
use tokio::sync::mpsc;

use crate::clock;
use crate::peer_ids::event_id_text;
use crate::pull::PullQueue;
use crate::webhook::Webhook;

/// A delivered event as every callback shows it: its id, when it was published, the event.
pub(crate) fn delivery_json(publication: &Publication) -> Value {
    json!({
        "event_id": event_id_text(&publication.id),
        "published_at": clock::rfc3339(publication.published_at),
        "event": publication.event,
    })
}

/// How a subscription is called back.
#[derive(Debug)]
pub(crate) enum Callback {
    /// A consumer reads a channel: a Server-Sent-Events stream (which takes the receiver
    /// once it connects) or a closure of the Rust API (run on a task of its own).
    Channel {
        sender: mpsc::Sender<Arc<Publication>>,
        receiver: Mutex<Option<mpsc::Receiver<Arc<Publication>>>>,
    },
    Pull(PullQueue),
    Webhook(Webhook),
}

impl Callback {
    pub(crate) fn channel(backlog: usize) -> Self {
        let (sender, receiver) = mpsc::channel(backlog.max(1));
        Callback::Channel {
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Callback::Channel { .. } => "stream",
            Callback::Pull(_) => "pull",
            Callback::Webhook(_) => "webhook",
        }
    }
}

/// A subscription of one of the node's clients.
#[derive(Debug)]
pub(crate) struct LocalSub {
    pub(crate) id: SubId,
    /// The filter as the client wrote it.
    pub(crate) filter: String,
    pub(crate) created: Micros,
    expires: Mutex<Option<Micros>>,
    pub(crate) callback: Callback,
    pub(crate) delivered: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks is a single assignment: a panic elsewhere cannot leave
    // the data half-changed, so a poisoned lock is used as is.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LocalSub {
    pub(crate) fn new(
        id: SubId,
        filter: String,
        created: Micros,
        expires: Option<Micros>,
        callback: Callback,
    ) -> Self {
        LocalSub {
            id,
            filter,
            created,
            expires: Mutex::new(expires),
            callback,
            delivered: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    pub(crate) fn expires(&self) -> Option<Micros> {
        *lock(&self.expires)
    }

    pub(crate) fn set_expires(&self, expires: Option<Micros>) {
        *lock(&self.expires) = expires;
    }

    /// Hands `publication` to the callback without waiting; `false` if the callback's
    /// backlog was full and the event was dropped (and counted).
    pub(crate) fn deliver(&self, publication: Arc<Publication>) -> bool {
        let taken = match &self.callback {
            Callback::Channel { sender, .. } => sender.try_send(publication).is_ok(),
            Callback::Pull(queue) => queue.push(publication),
            Callback::Webhook(webhook) => webhook.events.try_send(publication).is_ok(),
        };
        let counter = if taken {
            &self.delivered
        } else {
            &self.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
        taken
    }

    /// Takes the channel's receiver for good (a closure's task); `None` if it is taken.
    pub(crate) fn take_receiver(&self) -> Option<mpsc::Receiver<Arc<Publication>>> {
        match &self.callback {
            Callback::Channel { receiver, .. } => lock(receiver).take(),
            Callback::Pull(_) | Callback::Webhook(_) => None,
        }
    }

    /// Lends the channel's receiver to one consumer (a stream client) until it goes away;
    /// `None` while another consumer has it.
    pub(crate) fn lend_receiver(self: &Arc<Self>) -> Option<LentReceiver> {
        Some(LentReceiver {
            receiver: Some(self.take_receiver()?),
            home: Arc::downgrade(self),
        })
    }

    pub(crate) fn webhook(&self) -> Option<&Webhook> {
        match &self.callback {
            Callback::Webhook(webhook) => Some(webhook),
            _ => None,
        }
    }

    pub(crate) fn pull_queue(&self) -> Option<&PullQueue> {
        match &self.callback {
            Callback::Pull(queue) => Some(queue),
            _ => None,
        }
    }
}

/// A channel's receiver in a consumer's hands. Dropped (the client disconnected), it goes
/// back to its subscription, if that still exists, for the next consumer. It holds the
/// subscription weakly, so the channel still closes when the subscription ends.
#[derive(Debug)]
pub(crate) struct LentReceiver {
    receiver: Option<mpsc::Receiver<Arc<Publication>>>,
    home: Weak<LocalSub>,
}

impl LentReceiver {
    /// The next event; `None` once the subscription has ended and its events are read.
    pub(crate) async fn recv(&mut self) -> Option<Arc<Publication>> {
        self.receiver.as_mut()?.recv().await
    }
}

impl Drop for LentReceiver {
    fn drop(&mut self) {
        if let (Some(receiver), Some(home)) = (self.receiver.take(), self.home.upgrade())
            && let Callback::Channel { receiver: slot, .. } = &home.callback
        {
            *lock(slot) = Some(receiver);
        }
    }
}

/// The node's local subscriptions, shared by the driver and the API. Every one was made at
/// this node, so its sequence number alone identifies it: that is the id the API shows.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    subs: Mutex<HashMap<u64, Arc<LocalSub>>>,
}

impl Registry {
    pub(crate) fn insert(&self, sub: Arc<LocalSub>) {
        lock(&self.subs).insert(sub.id.seq, sub);
    }

    pub(crate) fn get(&self, id: &SubId) -> Option<Arc<LocalSub>> {
        lock(&self.subs)
            .get(&id.seq)
            .filter(|s| s.id == *id)
            .cloned()
    }

    /// Finds a subscription by the id the API shows.
    pub(crate) fn find(&self, shown: &str) -> Option<Arc<LocalSub>> {
        let seq: u64 = shown.parse().ok()?;
        lock(&self.subs).get(&seq).cloned()
    }

    /// Removes a subscription and ends its callback: a stream's channel closes once the
    /// consumer has read what is left, a pull queue wakes its getters.
    pub(crate) fn remove(&self, id: &SubId) -> Option<Arc<LocalSub>> {
        let removed = {
            let mut subs = lock(&self.subs);
            if subs.get(&id.seq).is_none_or(|s| s.id != *id) {
                return None;
            }
            subs.remove(&id.seq)?
        };
        match &removed.callback {
            Callback::Pull(queue) => queue.close(),
            Callback::Webhook(webhook) => webhook.end(),
            Callback::Channel { .. } => {}
        }
        Some(removed)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.subs).len()
    }

    /// Every subscription, oldest first.
    pub(crate) fn all(&self) -> Vec<Arc<LocalSub>> {
        let mut all: Vec<_> = lock(&self.subs).values().cloned().collect();
        all.sort_by_key(|s| s.id.seq);
        all
    }
}
