//! `dht`: content-based routing on rendezvous trees over a Kademlia keyspace, in the manner of
//! Scribe and Hermes.
//!
//! Each subscription is routed toward its rendezvous keys (module [`crate::content`]) hop by
//! hop, each hop the closest peer to the key in the routing table, and leaves its filter at
//! every hop on the way (module [`crate::trees`]). An event is routed toward each of its keys
//! the same way; the node where a walk ends, the one closest to the key, is the rendezvous,
//! where every subscriber's path toward that key ends too. From every node an event visits, on
//! its way up or down, it flows down into each child holding a matching filter, so it meets
//! the trees wherever its paths cross them ("matching on the way") and reaches every
//! subscriber of every key it carries. A node takes an event in once, and passes each walk
//! (event and key) on once: copies end there.
//!
//! The routing table is a k-bucket table (module [`crate::table`]), filled either by the
//! strategy's own Kademlia lookups (module [`crate::lookup`]: the simulator) or by the driver,
//! which mirrors its libp2p Kademlia's table ([`Discovery::Driver`]: the daemon). Either way
//! every peer a message comes from is marked seen, and a peer the driver reports down leaves
//! the table; events sent to it shortly before are routed again around it.

use std::collections::VecDeque;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use sift_core::dht::{DhtConfig, Discovery};
use sift_core::keyspace::Key;
use sift_core::local::LocalDelivery;
use sift_core::seen::{FingerprintKey, SeenCache};
use sift_core::{
    Input, Message, Micros, NodeId, Outputs, Publication, Strategy, StrategyConfig, StrategyKind,
    SubId, Timer,
};

use crate::content::{event_keys, filter_keys};
use crate::lookup::{Lookups, Question};
use crate::lost::LostPeers;
use crate::table::{Inserted, RoutingTable};
use crate::trees::Trees;

/// Walks toward a key sent recently, kept to be routed again if the peer they went to turns
/// out to be down: at most this many, each for [`DhtConfig::resend_window`] (and up to a tick
/// more). On a node sending more, the oldest go first, and a walk sent to a peer that fails
/// later than the buffer reaches back is lost.
const RESEND_CAPACITY: usize = 1_024;

/// The upkeep period: lookups' timeouts, lapsed routes, renewals, bucket refreshes.
const TICK: Micros = 1_000_000;

/// A walk sent: routed again from here, with the hops it had here, if `to` is reported down.
#[derive(Debug)]
struct Sent {
    at: Micros,
    to: NodeId,
    key: Key,
    publication: Arc<Publication>,
    hops: u16,
}

#[derive(Debug)]
pub struct Dht {
    bootstrap: Vec<NodeId>,
    table: RoutingTable,
    lookups: Lookups,
    trees: Trees,
    local: LocalDelivery,
    config: DhtConfig,
    rng: ChaCha8Rng,
    /// When the buckets were last refreshed; `None` until the node's first lookup of its own
    /// key has ended.
    refreshed_at: Option<Micros>,
    /// Whether the table changed since the routes were last placed.
    table_changed: bool,
    lost: LostPeers,
    recent: VecDeque<Sent>,
    /// The walks (event, key) this node passed on, so that a copy (the network's, or a
    /// peer's replay) ends here rather than walking to the rendezvous again.
    walked: SeenCache,
}

impl Dht {
    pub fn new(
        me: NodeId,
        bootstrap: Vec<NodeId>,
        rng: ChaCha8Rng,
        config: &StrategyConfig,
    ) -> Self {
        let dht = config.dht.clone();
        let key = FingerprintKey::derive(&rng);
        Dht {
            bootstrap,
            table: RoutingTable::new(&me, dht.bucket_size),
            lookups: Lookups::new(me, dht.bucket_size, dht.parallelism, dht.lookup_timeout),
            trees: Trees::new(me, dht.lease, dht.max_entries),
            local: LocalDelivery::new(&config.local, key),
            config: dht,
            rng,
            refreshed_at: None,
            table_changed: false,
            lost: LostPeers::default(),
            recent: VecDeque::new(),
            walked: SeenCache::new(config.local.seen_capacity, config.local.seen_window, key),
        }
    }

    fn heard_from(&mut self, now: Micros, peer: NodeId, out: &mut Outputs) {
        if self.table.seen(peer) == Inserted::New {
            self.table_changed = true;
        }
        // A peer lost and back: the network joined up again, or the peer restarted. The
        // buckets are refreshed now rather than at their period, to find the rest.
        if self.lost.found(&peer) && self.config.discovery == Discovery::Lookups {
            self.refresh_buckets(now, out);
        }
    }

    /// A peer failed: it leaves the table (remembered, to be probed), its routes go, the
    /// routes it was the parent of move, and the walks sent to it lately are routed again.
    /// The driver may report one peer down many times (once per message that failed); after
    /// the first, each costs a look at the resend buffer.
    fn peer_down(&mut self, now: Micros, peer: NodeId, out: &mut Outputs) {
        let mut ask = Vec::new();
        self.lookups.failed(now, &peer, &mut ask);
        self.ask(ask, out);
        if self.table.remove(&peer) {
            // Only the strategy's own lookups probe lost peers; the driver's Kademlia finds
            // them again by itself.
            if self.config.discovery == Discovery::Lookups {
                self.lost.lose(now, peer);
            }
            // Place the routes before routing the events again, so both take the new hops.
            self.trees.parent_down(&self.table, &peer);
        }
        self.trees.child_down(&self.table, &peer);
        let resend: Vec<Sent> = {
            let (lost, kept): (Vec<Sent>, Vec<Sent>) =
                self.recent.drain(..).partition(|sent| sent.to == peer);
            self.recent = kept.into();
            lost
        };
        for sent in resend {
            self.toward(now, sent.key, sent.publication, sent.hops, out);
        }
    }

    fn ask(&self, questions: Vec<Question>, out: &mut Outputs) {
        for question in questions {
            out.send(
                question.to,
                Message::FindNode {
                    query: question.query,
                    target: question.target,
                },
            );
        }
    }

    fn lookup(&mut self, now: Micros, target: Key, width: usize, out: &mut Outputs) {
        if self.lookups.is_running(&target) {
            return;
        }
        let seeds = self.table.closest(&target, self.config.bucket_size);
        let mut ask = Vec::new();
        self.lookups.start(now, target, width, &seeds, &mut ask);
        self.ask(ask, out);
    }

    /// Looks up this node's own key: the lookup that makes its neighbourhood know it.
    fn lookup_me(&mut self, now: Micros, out: &mut Outputs) {
        let me = self.table.me();
        self.lookup(now, me, self.config.bucket_size, out);
    }

    /// Looks up this node's own key, then a random key in every bucket not full: what fills
    /// a joining node's table and keeps it filled.
    fn refresh_buckets(&mut self, now: Micros, out: &mut Outputs) {
        self.lookup_me(now, out);
        for index in self.table.buckets_to_refresh() {
            let target = self.table.random_key_in(index, &mut self.rng);
            self.lookup(now, target, self.config.parallelism, out);
        }
        self.refreshed_at = Some(now);
    }

    fn tick(&mut self, now: Micros, out: &mut Outputs) {
        out.timers.push((now + TICK, Timer::Membership));
        self.local.expire(now, out);
        if self.config.discovery == Discovery::Lookups {
            let mut ask = Vec::new();
            self.lookups.tick(now, &mut ask);
            let probes = self.lost.due(now);
            if !probes.is_empty() {
                let me = self.table.me();
                self.lookups
                    .start(now, me, self.config.bucket_size, &probes, &mut ask);
            }
            self.ask(ask, out);
            let due = match self.refreshed_at {
                // Joining: the buckets are refreshed once the own lookup is over.
                None => !self.lookups.is_running(&self.table.me()),
                Some(at) => now >= at + self.config.bucket_refresh,
            };
            if due {
                self.refresh_buckets(now, out);
            }
        }
        if self.table_changed {
            self.table_changed = false;
            self.trees.replan(&self.table);
        }
        self.trees.upkeep(now, &self.table, out);
        while self
            .recent
            .front()
            .is_some_and(|sent| sent.at + self.config.resend_window <= now)
        {
            self.recent.pop_front();
        }
    }

    /// Routes `publication` one hop toward the rendezvous of `key`, or records its arrival if
    /// this node is the rendezvous.
    fn toward(
        &mut self,
        now: Micros,
        key: Key,
        publication: Arc<Publication>,
        hops: u16,
        out: &mut Outputs,
    ) {
        let Some(next) = self.table.next_hop(&key) else {
            out.arrivals.push(hops);
            return;
        };
        out.send(
            next,
            Message::Toward {
                key,
                publication: Arc::clone(&publication),
                hops: hops.saturating_add(1),
            },
        );
        if self.recent.len() == RESEND_CAPACITY {
            self.recent.pop_front();
        }
        self.recent.push_back(Sent {
            at: now,
            to: next,
            key,
            publication,
            hops,
        });
    }

    /// Sends `publication` down to every child holding a matching route toward one of the
    /// keys it visits, but the one it came from. Routes toward its other keys (another
    /// replica's, the other values of an in-list) lead to subscribers it reaches down the
    /// trees it visits; following them too would only send copies.
    fn down(
        &self,
        publication: &Arc<Publication>,
        hops: u16,
        from: Option<NodeId>,
        out: &mut Outputs,
    ) {
        if self.trees.is_empty() {
            return;
        }
        out.matching_ops += self.trees.len() as u64;
        let keys = event_keys(publication, self.config.replicas);
        for child in self.trees.interested(&publication.event, &keys) {
            if Some(child) != from {
                out.send(
                    child,
                    Message::Routed {
                        publication: Arc::clone(publication),
                        hops: hops.saturating_add(1),
                        matched: Vec::new(),
                    },
                );
            }
        }
    }

    fn on_message(&mut self, now: Micros, from: NodeId, msg: Message, out: &mut Outputs) {
        self.heard_from(now, from, out);
        match msg {
            Message::FindNode { query, target } => {
                let closest = self.table.closest(&target, self.config.bucket_size);
                out.send(from, Message::Nodes { query, closest });
            }
            Message::Nodes { query, closest } => {
                let mut ask = Vec::new();
                self.lookups.answer(now, from, query, &closest, &mut ask);
                self.ask(ask, out);
            }
            Message::Join { routes } => self.trees.learn(now, &self.table, from, routes),
            Message::Leave { routes } => self.trees.forget(&self.table, &from, routes),
            Message::Renew { routes } => {
                let unknown = self.trees.renew(now, &from, routes);
                if !unknown.is_empty() {
                    out.send(from, Message::Unrenewed { routes: unknown });
                }
            }
            Message::Unrenewed { routes } => self.trees.rejoin(from, routes),
            Message::Toward {
                key,
                publication,
                hops,
            } => {
                if self.local.receive(now, &publication, hops, out) {
                    self.down(&publication, hops, Some(from), out);
                }
                if self.walked.insert(now, &(publication.id, key)) {
                    self.toward(now, key, publication, hops, out);
                }
            }
            Message::Routed {
                publication, hops, ..
            } if self.local.receive(now, &publication, hops, out) => {
                self.down(&publication, hops, Some(from), out);
            }
            // Another strategy's traffic from a misconfigured peer: nothing to do with it.
            _ => {}
        }
    }
}

impl Strategy for Dht {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Dht
    }

    fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs) {
        let expired_before = out.expired.len();
        match input {
            Input::Start => {
                for peer in std::mem::take(&mut self.bootstrap) {
                    self.heard_from(now, peer, out);
                }
                self.lookup_me(now, out);
                self.tick(now, out);
            }
            Input::Contact(peer) => {
                self.heard_from(now, peer, out);
                if self.refreshed_at.is_none() && self.config.discovery == Discovery::Lookups {
                    self.lookup_me(now, out);
                }
            }
            Input::PeerDown(peer) => self.peer_down(now, peer, out),
            Input::Timer(Timer::Membership) => self.tick(now, out),
            Input::Timer(Timer::Expiry) => self.local.expire(now, out),
            // Not asked for by this strategy; a driver may repeat timers.
            Input::Timer(Timer::Gossip) => {}
            Input::Subscribe(sub) => {
                self.local.subscribe(now, sub.clone(), out);
                if self.local.get(&sub.id).is_some() {
                    let keys = filter_keys(&sub.filter, self.config.replicas);
                    self.trees.subscribe(&self.table, &sub, keys);
                }
            }
            Input::Unsubscribe(id) => {
                if self.local.unsubscribe(&id).is_some() {
                    self.trees.unsubscribe(&self.table, &id);
                }
            }
            Input::Publish(publication) => {
                if self.local.receive(now, &publication, 0, out) {
                    self.down(&publication, 0, None, out);
                    for key in event_keys(&publication, self.config.replicas) {
                        self.toward(now, key, Arc::clone(&publication), 0, out);
                    }
                }
            }
            Input::Message { from, msg } => self.on_message(now, from, msg, out),
        }
        let expired: Vec<SubId> = out.expired[expired_before..].to_vec();
        for sub in expired {
            self.trees.unsubscribe(&self.table, &sub);
        }
        self.trees.flush(now, out);
    }

    fn neighbours(&self) -> &[NodeId] {
        self.table.peers()
    }

    fn routing_entries(&self) -> usize {
        self.trees.len()
    }

    fn routed_subscriptions(&self) -> Vec<SubId> {
        self.trees.routed_subscriptions()
    }
}
