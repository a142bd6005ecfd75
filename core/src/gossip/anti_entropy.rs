//! Anti-entropy: every round a node sends one random peer a digest of the events it holds,
//! and the two make up what one side lacks.
//!
//! - push: the peer asks for the digest's events it has not seen ([`Message::Want`]) and
//!   the node sends them;
//! - pull: the peer sends the events it holds that the digest does not name;
//! - push-pull: both, in the same three messages.
//!
//! An event spreads to all `N` nodes in `O(log N)` rounds (Karp et al. 2000 for push-pull).
//! Digests and answers are bounded ([`AntiEntropyConfig`]); a digest names the newest events
//! only, so under a high rate an older event may be sent to a node that has it (the
//! seen-cache drops it) but never missed while it is among the newest.
//!
//! A pulling node gossips every round from its start, since it learns by asking; a pushing
//! one only while it holds events.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::rounds::Rounds;
use super::store::EventStore;
use super::{Dissemination, GossipConfig, Node};
use crate::id::NodeId;
use crate::strategy::{Micros, Publication, StrategyKind};
use crate::wire::Message;

/// Which way an exchange makes up differences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exchange {
    Push,
    Pull,
    PushPull,
}

impl Exchange {
    const ALL: [Exchange; 3] = [Exchange::Push, Exchange::Pull, Exchange::PushPull];

    pub fn name(self) -> &'static str {
        match self {
            Exchange::Push => "push",
            Exchange::Pull => "pull",
            Exchange::PushPull => "push-pull",
        }
    }

    /// Whether the digest's sender offers what the receiver lacks.
    fn pushes(self) -> bool {
        matches!(self, Exchange::Push | Exchange::PushPull)
    }

    /// Whether the digest's sender asks for what it lacks.
    fn pulls(self) -> bool {
        matches!(self, Exchange::Pull | Exchange::PushPull)
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Exchange {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Exchange::ALL
            .into_iter()
            .find(|e| e.name() == name)
            .ok_or_else(|| format!("unknown exchange `{name}`; known: push, pull, push-pull"))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AntiEntropyConfig {
    /// The exchange of the `anti-entropy` strategy.
    pub exchange: Exchange,
    /// Most event ids a digest names.
    pub digest_max: usize,
    /// Most events sent in answer to one digest or want.
    pub repairs_max: usize,
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            exchange: Exchange::PushPull,
            digest_max: 1_024,
            repairs_max: 256,
        }
    }
}

/// The anti-entropy part of a node, on its own (the `anti-entropy` strategy) or backing
/// another protocol (rumor mongering, pbcast).
#[derive(Debug)]
pub(crate) struct AntiEntropy {
    exchange: Exchange,
    digest_max: usize,
    repairs_max: usize,
    store: EventStore,
    rounds: Rounds,
}

impl AntiEntropy {
    /// Exchanges of `exchange` over the events taken in during the last `keep_for` (and
    /// published within the retention of `config`).
    pub(crate) fn new(exchange: Exchange, keep_for: Micros, config: &GossipConfig) -> Self {
        AntiEntropy {
            exchange,
            digest_max: config.anti_entropy.digest_max.max(1),
            repairs_max: config.anti_entropy.repairs_max.max(1),
            store: EventStore::new(config.store_capacity, config.retention, keep_for),
            rounds: Rounds::new(config.round),
        }
    }

    pub(crate) fn held(&self) -> usize {
        self.store.len()
    }

    pub(crate) fn start(&mut self, node: &mut Node<'_>) {
        if self.exchange.pulls() {
            self.rounds.schedule(node);
        }
    }

    /// Keeps an event the node took in, to offer it in later rounds.
    pub(crate) fn keep(&mut self, node: &mut Node<'_>, publication: Arc<Publication>, hops: u16) {
        self.store.keep(node.now, publication, hops);
        self.rounds.schedule(node);
    }

    pub(crate) fn wake(&mut self, node: &mut Node<'_>) {
        if !self.rounds.due(node.now) {
            return;
        }
        self.store.expire(node.now);
        if !self.exchange.pulls() && self.store.is_empty() {
            return;
        }
        if let Some(&peer) = node.sample_peers(1, None).first() {
            node.send(
                peer,
                Message::Digest {
                    ids: self.store.digest(node.now, self.digest_max),
                    exchange: self.exchange,
                },
            );
        }
        self.rounds.schedule(node);
    }

    /// Handles the anti-entropy messages and hands back any other.
    pub(crate) fn message(
        &mut self,
        node: &mut Node<'_>,
        from: NodeId,
        msg: Message,
    ) -> Option<Message> {
        match msg {
            Message::Digest { ids, exchange } => {
                let ids = &ids[..ids.len().min(self.digest_max)];
                // A node answers a pull only if it pulls itself: a push-only node (pbcast)
                // does not send a peer its whole store on request.
                if exchange.pulls() && self.exchange.pulls() {
                    let known: HashSet<_> = ids.iter().copied().collect();
                    for (publication, hops) in
                        self.store.missing_from(node.now, &known, self.repairs_max)
                    {
                        node.send(from, repair(publication, hops));
                    }
                }
                if exchange.pushes() {
                    let wanted: Vec<_> = ids
                        .iter()
                        .filter(|id| !node.local.has_seen(id))
                        .copied()
                        .collect();
                    if !wanted.is_empty() {
                        node.send(from, Message::Want { ids: wanted });
                    }
                }
            }
            Message::Want { ids } => {
                for id in ids.iter().take(self.repairs_max) {
                    if let Some((publication, hops)) = self.store.get(node.now, id) {
                        node.send(from, repair(Arc::clone(publication), hops));
                    }
                }
            }
            Message::Repair { publication, hops } => {
                if self.store.is_fresh(node.now, &publication) && node.receive(&publication, hops) {
                    self.keep(node, publication, hops);
                }
            }
            other => return Some(other),
        }
        None
    }
}

fn repair(publication: Arc<Publication>, hops: u16) -> Message {
    Message::Repair {
        publication,
        hops: hops.saturating_add(1),
    }
}

/// The `anti-entropy` strategy: events spread by the exchanges alone.
#[derive(Debug)]
pub struct AntiEntropyOnly {
    exchanges: AntiEntropy,
}

impl AntiEntropyOnly {
    pub fn new(config: &GossipConfig) -> Self {
        AntiEntropyOnly {
            exchanges: AntiEntropy::new(config.anti_entropy.exchange, config.retention, config),
        }
    }
}

impl Dissemination for AntiEntropyOnly {
    fn kind(&self) -> StrategyKind {
        StrategyKind::AntiEntropy
    }

    fn start(&mut self, node: &mut Node<'_>) {
        self.exchanges.start(node);
    }

    fn publish(&mut self, node: &mut Node<'_>, publication: Arc<Publication>) {
        self.exchanges.keep(node, publication, 0);
    }

    fn message(&mut self, node: &mut Node<'_>, from: NodeId, msg: Message) {
        // Another strategy's traffic from a misconfigured peer is dropped.
        let _ = self.exchanges.message(node, from, msg);
    }

    fn wake(&mut self, node: &mut Node<'_>) {
        self.exchanges.wake(node);
    }

    fn state_entries(&self) -> usize {
        self.exchanges.held()
    }
}
