//! Plumtree: epidemic broadcast trees after Leitão, Pereira & Rodrigues (2007).
//!
//! Each node splits its neighbours into eager and lazy peers; all start eager. An event taken
//! in for the first time is pushed in full to the eager peers and announced by id
//! ([`Message::IHave`]) to the lazy ones. A copy that arrives again is a sign of a cycle: the
//! receiver moves its sender to lazy and tells it to do the same ([`Message::Prune`]). After
//! the first events the eager links form a spanning tree, and each event crosses every tree
//! link once: the relative message redundancy `m/(n-1) - 1` falls to about zero.
//!
//! When a node hears of an event by announcement only and it does not arrive within
//! [`PlumtreeConfig::graft_timeout`], the tree is broken above it: it asks the announcer for
//! the event ([`Message::Graft`]), making that link eager, and tries the next announcer
//! after [`PlumtreeConfig::retry_timeout`] if that fails too. Membership replaces crashed
//! neighbours; new neighbours start eager, so the tree heals as the overlay does.
//!
//! Left out from the paper: the optimization that swaps an eager link for a lazy one whose
//! announcements arrive with far fewer hops.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::aged::AgedMap;
use super::store::EventStore;
use super::{Dissemination, GossipConfig, Node};
use crate::id::{EventId, NodeId};
use crate::membership::ViewChange;
use crate::strategy::{Micros, Publication, StrategyKind};
use crate::wire::Message;

/// Most event ids one announcement is read for.
pub const MAX_IHAVE: usize = 1_024;

#[derive(Clone, Debug, PartialEq)]
pub struct PlumtreeConfig {
    /// How long an announced event may take to arrive before the node grafts.
    pub graft_timeout: Micros,
    /// How long a graft may take before the node tries the next announcer.
    pub retry_timeout: Micros,
    /// Announced events a node waits for at once; past it, the oldest is given up.
    pub max_missing: usize,
}

impl Default for PlumtreeConfig {
    fn default() -> Self {
        PlumtreeConfig {
            graft_timeout: 1_000_000,
            retry_timeout: 500_000,
            max_missing: 4_096,
        }
    }
}

/// An event announced to this node and not received yet.
#[derive(Debug)]
struct Missing {
    /// Announcers not asked yet, in the order heard.
    announcers: Vec<NodeId>,
    deadline: Micros,
}

#[derive(Debug)]
pub struct Plumtree {
    config: PlumtreeConfig,
    eager: BTreeSet<NodeId>,
    lazy: BTreeSet<NodeId>,
    /// What grafts are answered from.
    store: EventStore,
    missing: AgedMap<EventId, Missing>,
    /// The wake-up asked for and not come yet.
    wake_at: Option<Micros>,
}

impl Plumtree {
    pub fn new(config: &GossipConfig) -> Self {
        Plumtree {
            config: config.plumtree.clone(),
            eager: BTreeSet::new(),
            lazy: BTreeSet::new(),
            store: EventStore::new(config.store_capacity, config.retention, config.retention),
            missing: AgedMap::new(config.plumtree.max_missing, config.retention),
            wake_at: None,
        }
    }

    /// Pushes a newly taken-in event on: in full to the eager peers, by id to the lazy.
    fn spread(
        &mut self,
        node: &mut Node<'_>,
        publication: Arc<Publication>,
        hops: u16,
        from: Option<NodeId>,
    ) {
        self.store.expire(node.now);
        self.missing.remove(&publication.id);
        let next = hops.saturating_add(1);
        for &peer in self.eager.iter().filter(|&&p| Some(p) != from) {
            node.send(
                peer,
                Message::Gossip {
                    publication: Arc::clone(&publication),
                    hops: next,
                },
            );
        }
        for &peer in self.lazy.iter().filter(|&&p| Some(p) != from) {
            node.send(
                peer,
                Message::IHave {
                    events: vec![(publication.id, next)],
                },
            );
        }
        self.store.keep(node.now, publication, hops);
    }

    /// Makes the link to `peer` eager, if `peer` is a neighbour: a graft to or from a node
    /// that has left the view still moves the event, but does not bring the link back.
    fn make_eager(&mut self, node: &Node<'_>, peer: NodeId) {
        if node.neighbours().contains(&peer) {
            self.lazy.remove(&peer);
            self.eager.insert(peer);
        }
    }

    fn make_lazy(&mut self, peer: NodeId) {
        self.eager.remove(&peer);
        self.lazy.insert(peer);
    }

    fn wake_by(&mut self, node: &mut Node<'_>, at: Micros) {
        if self.wake_at.is_none_or(|pending| at < pending) {
            self.wake_at = Some(at);
            node.wake_at(at);
        }
    }

    fn on_ihave(&mut self, node: &mut Node<'_>, from: NodeId, events: &[(EventId, u16)]) {
        let deadline = node.now + self.config.graft_timeout;
        let mut waiting = false;
        for (id, _) in events.iter().take(MAX_IHAVE) {
            if node.local.has_seen(id) {
                continue;
            }
            match self.missing.get_mut(id) {
                Some(missing) => {
                    if !missing.announcers.contains(&from) {
                        missing.announcers.push(from);
                    }
                }
                None => {
                    self.missing.insert(
                        node.now,
                        *id,
                        Missing {
                            announcers: vec![from],
                            deadline,
                        },
                    );
                }
            }
            waiting = true;
        }
        if waiting {
            self.wake_by(node, deadline);
        }
    }

    fn on_graft(&mut self, node: &mut Node<'_>, from: NodeId, event: &EventId) {
        self.make_eager(node, from);
        if let Some((publication, hops)) = self.store.get(node.now, event) {
            node.send(
                from,
                Message::Gossip {
                    publication: Arc::clone(publication),
                    hops: hops.saturating_add(1),
                },
            );
        }
    }
}

impl Dissemination for Plumtree {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Plumtree
    }

    fn publish(&mut self, node: &mut Node<'_>, publication: Arc<Publication>) {
        self.spread(node, publication, 0, None);
    }

    fn message(&mut self, node: &mut Node<'_>, from: NodeId, msg: Message) {
        match msg {
            Message::Gossip { publication, hops } => {
                if node.receive(&publication, hops) {
                    self.make_eager(node, from);
                    self.spread(node, publication, hops, Some(from));
                } else if self.eager.contains(&from) {
                    self.make_lazy(from);
                    node.send(from, Message::Prune);
                }
            }
            Message::IHave { events } => self.on_ihave(node, from, &events),
            Message::Graft { event } => self.on_graft(node, from, &event),
            // Only a link that is eager now turns lazy: a late prune from a former
            // neighbour must not put it back among the peers announced to.
            Message::Prune if self.eager.contains(&from) => self.make_lazy(from),
            // A late prune on a link already lazy or gone; or another strategy's traffic
            // from a misconfigured peer.
            _ => {}
        }
    }

    fn wake(&mut self, node: &mut Node<'_>) {
        if self.wake_at.is_some_and(|at| node.now < at) {
            return;
        }
        self.wake_at = None;
        self.missing.expire(node.now);
        let now = node.now;
        let retry = self.config.retry_timeout;
        let mut grafts = Vec::new();
        let mut next = None::<Micros>;
        self.missing.retain(|&id, missing| {
            if missing.deadline <= now {
                if missing.announcers.is_empty() {
                    return false;
                }
                grafts.push((missing.announcers.remove(0), id));
                missing.deadline = now + retry;
            }
            next = Some(next.map_or(missing.deadline, |n| n.min(missing.deadline)));
            true
        });
        for (peer, event) in grafts {
            self.make_eager(node, peer);
            node.send(peer, Message::Graft { event });
        }
        if let Some(at) = next {
            self.wake_by(node, at);
        }
    }

    fn tick(&mut self, node: &mut Node<'_>) {
        self.store.expire(node.now);
        self.missing.expire(node.now);
    }

    fn view_change(&mut self, _node: &mut Node<'_>, change: ViewChange) {
        match change {
            ViewChange::Up(peer) => {
                self.lazy.remove(&peer);
                self.eager.insert(peer);
            }
            ViewChange::Down(peer) => {
                self.eager.remove(&peer);
                self.lazy.remove(&peer);
            }
        }
    }

    fn state_entries(&self) -> usize {
        self.eager.len() + self.lazy.len() + self.missing.len() + self.store.len()
    }
}
