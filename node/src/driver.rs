//! The node's event loop: one task that owns the swarm and the strategy, and feeds the
//! strategy every input (a peer's message, a timer, a client's command) with the wall clock's
//! `now`, then carries out what it answered: messages to peers, deliveries to callbacks,
//! timers.
//!
//! Nothing in the loop waits on a peer or a client: messages go out through libp2p's queues
//! (at most [`MAX_IN_FLIGHT`] unacknowledged per peer; beyond that a message is dropped, which
//! the protocols treat as loss), and deliveries go to callbacks that never block.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::{ConnectionId, SwarmEvent, dial_opts::DialOpts};
use libp2p::{Multiaddr, PeerId, Swarm, identify, kad, request_response};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sift_core::dht::Discovery;
use sift_core::{
    EventId, Input, Micros, NodeId, Outputs, Publication, Strategy, StrategyConfig, StrategyKind,
    SubId, Subscription, Timer,
};
use sift_matcher::{Event, Filter};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::address::{is_dialable, is_loopback};
use crate::clock;
use crate::network::{Behaviour, BehaviourEvent};
use crate::node::NodeError;
use crate::peer_ids::{node_id, peer_id};
use crate::sinks::{Callback, LocalSub, Registry};
use crate::trace::TraceWriter;

/// Messages to one peer sent and not yet acknowledged, at most.
const MAX_IN_FLIGHT: usize = 1_024;
/// Address lookups running at once, at most.
const MAX_LOOKUPS: usize = 32;
/// How often a node without neighbours dials its bootstrap addresses again.
const REDIAL_EVERY: Duration = Duration::from_secs(5);
/// How often the trace is flushed to its file.
const TRACE_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What the API and the Rust handle ask of the loop. Replies go back on the enclosed channel.
#[derive(Debug)]
pub(crate) enum Command {
    Subscribe {
        filter: Filter,
        text: String,
        expires: Option<Micros>,
        callback: Callback,
        reply: oneshot::Sender<Result<Arc<LocalSub>, NodeError>>,
    },
    Renew {
        id: SubId,
        expires: Micros,
        reply: oneshot::Sender<Result<(), NodeError>>,
    },
    Unsubscribe {
        id: SubId,
        reply: oneshot::Sender<bool>,
    },
    Publish {
        event: Event,
        reply: oneshot::Sender<EventId>,
    },
    Status {
        reply: oneshot::Sender<Status>,
    },
}

/// The node's peers and counters, as `/v1/peers` and `/v1/stats` show them.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Status {
    pub(crate) peers: Vec<PeerStatus>,
    pub(crate) counters: Counters,
    pub(crate) routing_entries: usize,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct PeerStatus {
    pub(crate) peer_id: String,
    /// An overlay neighbour (in the membership's active view), not just connected.
    pub(crate) neighbour: bool,
    pub(crate) addresses: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Counters {
    pub(crate) messages_sent: u64,
    /// The encoded size of those messages.
    pub(crate) bytes_sent: u64,
    /// Of those messages, the ones that carried an event.
    pub(crate) event_messages_sent: u64,
    pub(crate) messages_received: u64,
    /// Of those messages, the ones that carried an event.
    pub(crate) event_messages_received: u64,
    /// Messages dropped because a peer had too many unacknowledged or could not be reached.
    pub(crate) messages_dropped: u64,
    /// Messages from peers that did not decode, or from peers that are not sift nodes.
    pub(crate) messages_refused: u64,
    pub(crate) events_published: u64,
    pub(crate) deliveries: u64,
    pub(crate) subscriptions_expired: u64,
    pub(crate) matching_ops: u64,
}

pub(crate) struct Driver {
    swarm: Swarm<Behaviour>,
    strategy: Box<dyn Strategy>,
    me: NodeId,
    commands: mpsc::Receiver<Command>,
    registry: Arc<Registry>,
    timers: BinaryHeap<Reverse<(Micros, Timer)>>,
    out: Outputs,
    in_flight: HashMap<PeerId, usize>,
    lookups: HashSet<PeerId>,
    bootstrap: Vec<Multiaddr>,
    bootstrap_dials: HashSet<ConnectionId>,
    /// Last sequence number handed out; ids stay unique across restarts (see `next_seq`).
    last_seq: u64,
    max_subscriptions: usize,
    counters: Counters,
    trace: Option<TraceWriter>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

/// What the loop is built from.
pub(crate) struct DriverParts {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) strategy: StrategyKind,
    pub(crate) protocol: StrategyConfig,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) bootstrap: Vec<Multiaddr>,
    pub(crate) max_subscriptions: usize,
    pub(crate) trace: Option<TraceWriter>,
}

impl Driver {
    pub(crate) fn new(parts: DriverParts) -> Self {
        let me = node_id(parts.swarm.local_peer_id()).expect("the node's own key is ed25519");
        let rng = ChaCha8Rng::from_rng(&mut rand::rng());
        // The daemon's libp2p Kademlia keeps the buckets; the dht strategy is told its peers.
        let mut protocol = parts.protocol;
        protocol.dht.discovery = Discovery::Driver;
        let strategy = sift_dht::build(parts.strategy, me, Vec::new(), rng, &protocol);
        Driver {
            swarm: parts.swarm,
            strategy,
            me,
            commands: parts.commands,
            registry: parts.registry,
            timers: BinaryHeap::new(),
            out: Outputs::default(),
            in_flight: HashMap::new(),
            lookups: HashSet::new(),
            bootstrap: parts.bootstrap,
            bootstrap_dials: HashSet::new(),
            last_seq: 0,
            max_subscriptions: parts.max_subscriptions,
            counters: Counters::default(),
            trace: parts.trace,
        }
    }

    /// Runs until every command sender is gone (the node was shut down).
    pub(crate) async fn run(mut self) {
        self.handle(Input::Start);
        self.dial_bootstrap();
        let mut redial = tokio::time::interval(REDIAL_EVERY);
        redial.tick().await;
        let mut flush = tokio::time::interval(TRACE_FLUSH_EVERY);
        loop {
            let next_timer = self.timers.peek().map(|Reverse((at, _))| *at);
            let wake = next_timer.map_or_else(
                || Instant::now() + Duration::from_secs(3600),
                |at| Instant::now() + Duration::from_micros(at.saturating_sub(clock::now())),
            );
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                () = tokio::time::sleep_until(wake), if next_timer.is_some() => self.fire_timers(),
                _ = redial.tick() => {
                    if self.strategy.neighbours().is_empty() {
                        self.dial_bootstrap();
                    }
                    self.share_kademlia_peers();
                }
                _ = flush.tick(), if self.trace.is_some() => {
                    if let Some(trace) = &mut self.trace {
                        trace.flush();
                    }
                }
            }
        }
    }

    /// Feeds one input to the strategy and carries out its outputs.
    fn handle(&mut self, input: Input) {
        let now = clock::now();
        self.strategy.handle(now, input, &mut self.out);
        let mut out = std::mem::take(&mut self.out);
        for send in out.sends.drain(..) {
            self.send(send.to, send.msg);
        }
        for delivery in out.deliveries.drain(..) {
            if let Some(sub) = self.registry.get(&delivery.sub) {
                let publication = Arc::clone(&delivery.publication);
                // Only what a callback took counts as delivered; a full backlog's drop is
                // counted on the subscription.
                if sub.deliver(delivery.publication) {
                    self.counters.deliveries += 1;
                    if let Some(trace) = &mut self.trace {
                        trace.deliver(now, &sub.id, &publication.id, publication.published_at);
                    }
                }
            }
        }
        for sub in out.expired.drain(..) {
            self.registry.remove(&sub);
            self.counters.subscriptions_expired += 1;
            if let Some(trace) = &mut self.trace {
                trace.expire(now, &sub);
            }
        }
        for (at, timer) in out.timers.drain(..) {
            self.timers.push(Reverse((at, timer)));
        }
        self.counters.matching_ops += out.matching_ops;
        out.clear();
        self.out = out;
    }

    fn send(&mut self, to: NodeId, msg: sift_core::Message) {
        let Some(peer) = peer_id(&to) else {
            self.counters.messages_dropped += 1;
            return;
        };
        let in_flight = self.in_flight.entry(peer).or_default();
        if *in_flight >= MAX_IN_FLIGHT {
            self.counters.messages_dropped += 1;
            return;
        }
        *in_flight += 1;
        self.counters.messages_sent += 1;
        self.counters.bytes_sent += sift_core::wire::encoded_len(&msg) as u64;
        self.counters.event_messages_sent += u64::from(msg.payload().is_some());
        self.swarm.behaviour_mut().messages.send_request(&peer, msg);
    }

    fn fire_timers(&mut self) {
        let now = clock::now();
        // Equal timers due together are merged: a strategy checks its own deadlines.
        let mut due = Vec::new();
        while let Some(&Reverse((at, timer))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            if !due.contains(&timer) {
                due.push(timer);
            }
        }
        for timer in due {
            self.handle(Input::Timer(timer));
        }
    }

    fn dial_bootstrap(&mut self) {
        for address in self.bootstrap.clone() {
            let dial = DialOpts::unknown_peer_id().address(address.clone()).build();
            let connection = dial.connection_id();
            match self.swarm.dial(dial) {
                Ok(()) => {
                    self.bootstrap_dials.insert(connection);
                }
                Err(error) => tracing::warn!(%address, %error, "cannot dial bootstrap peer"),
            }
        }
    }

    /// Sequence numbers for event and subscription ids: the wall clock in microseconds, or one
    /// more than the last if the clock has not moved on, so they grow across restarts too.
    fn next_seq(&mut self) -> u64 {
        self.last_seq = clock::now().max(self.last_seq + 1);
        self.last_seq
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Subscribe {
                filter,
                text,
                expires,
                callback,
                reply,
            } => {
                if self.registry.len() >= self.max_subscriptions {
                    let _ = reply.send(Err(NodeError::TooManySubscriptions {
                        max: self.max_subscriptions,
                    }));
                    return;
                }
                let id = SubId {
                    origin: self.me,
                    seq: self.next_seq(),
                };
                let now = clock::now();
                if let Some(trace) = &mut self.trace {
                    trace.subscribe(now, &id, &text, expires);
                }
                let sub = Arc::new(LocalSub::new(id, text, now, expires, callback));
                self.registry.insert(Arc::clone(&sub));
                self.handle(Input::Subscribe(Subscription {
                    id,
                    filter,
                    expires,
                }));
                // A subscription that expired on arrival is already gone from the registry.
                let _ = reply.send(Ok(sub));
            }
            Command::Renew { id, expires, reply } => {
                let Some(sub) = self.registry.get(&id) else {
                    let _ = reply.send(Err(NodeError::UnknownSubscription));
                    return;
                };
                let filter = match Filter::parse(&sub.filter) {
                    Ok(filter) => filter,
                    Err(error) => {
                        let _ = reply.send(Err(NodeError::Filter(error)));
                        return;
                    }
                };
                sub.set_expires(Some(expires));
                if let Some(trace) = &mut self.trace {
                    trace.subscribe(clock::now(), &id, &sub.filter, Some(expires));
                }
                self.handle(Input::Subscribe(Subscription {
                    id,
                    filter,
                    expires: Some(expires),
                }));
                let _ = reply.send(Ok(()));
            }
            Command::Unsubscribe { id, reply } => {
                let known = self.registry.remove(&id).is_some();
                if known {
                    if let Some(trace) = &mut self.trace {
                        trace.unsubscribe(clock::now(), &id);
                    }
                    self.handle(Input::Unsubscribe(id));
                }
                let _ = reply.send(known);
            }
            Command::Publish { event, reply } => {
                let id = EventId {
                    origin: self.me,
                    seq: self.next_seq(),
                };
                let now = clock::now();
                if let Some(trace) = &mut self.trace {
                    trace.publish(now, &id, &event);
                }
                let publication = Arc::new(Publication {
                    id,
                    published_at: now,
                    event,
                });
                self.counters.events_published += 1;
                self.handle(Input::Publish(publication));
                let _ = reply.send(id);
            }
            Command::Status { reply } => {
                let _ = reply.send(self.status());
            }
        }
    }

    fn status(&mut self) -> Status {
        let neighbours: HashSet<PeerId> = self
            .strategy
            .neighbours()
            .iter()
            .filter_map(peer_id)
            .collect();
        let connected: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        let mut peers: Vec<PeerStatus> = connected
            .into_iter()
            .map(|peer| PeerStatus {
                peer_id: peer.to_string(),
                neighbour: neighbours.contains(&peer),
                addresses: Vec::new(),
            })
            .collect();
        for entry in self.swarm.behaviour_mut().kad.kbuckets() {
            for known in entry.iter() {
                let peer = known.node.key.preimage().to_string();
                if let Some(status) = peers.iter_mut().find(|p| p.peer_id == peer) {
                    status.addresses = known.node.value.iter().map(|a| a.to_string()).collect();
                }
            }
        }
        peers.sort_by(|a, b| (b.neighbour, &a.peer_id).cmp(&(a.neighbour, &b.peer_id)));
        Status {
            peers,
            counters: self.counters.clone(),
            routing_entries: self.strategy.routing_entries(),
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Messages(event)) => self.on_message_event(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                // A node listening on every interface advertises its loopback address too,
                // which reaches the peer only from its own host: kept only when this node is
                // on loopback itself (a cluster on one machine).
                let local_only = self.swarm.listeners().all(is_loopback);
                let kad = &mut self.swarm.behaviour_mut().kad;
                for address in info.listen_addrs {
                    if is_dialable(&address) && (local_only || !is_loopback(&address)) {
                        kad.add_address(&peer_id, address);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer, ..
            })) => {
                if self.strategy.kind() == StrategyKind::Dht
                    && let Some(node) = node_id(&peer)
                {
                    self.handle(Input::Contact(node));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                result: kad::QueryResult::GetClosestPeers(result),
                ..
            })) => {
                let (key, peers) = match result {
                    Ok(ok) => (ok.key, ok.peers),
                    Err(kad::GetClosestPeersError::Timeout { key, peers }) => (key, peers),
                };
                if let Ok(target) = PeerId::from_bytes(&key) {
                    self.lookups.remove(&target);
                }
                let kad = &mut self.swarm.behaviour_mut().kad;
                for info in peers {
                    for address in info.addrs {
                        kad.add_address(&info.peer_id, address);
                    }
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } if self.bootstrap_dials.remove(&connection_id) => {
                self.reached_bootstrap(peer_id, endpoint.get_remote_address().clone());
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                ..
            } if self.bootstrap_dials.remove(&connection_id) => {
                tracing::warn!(%error, "cannot reach a bootstrap peer; retrying");
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.in_flight.remove(&peer_id);
                // The dht's table is Kademlia's, not the open connections: a connection that
                // closed idle says nothing of the peer, and one that is dead fails the next
                // message sent to it (its renewals at the latest), which reports it down.
                if self.strategy.kind() != StrategyKind::Dht
                    && let Some(node) = node_id(&peer_id)
                {
                    self.handle(Input::PeerDown(node));
                }
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
            }
            _ => {}
        }
    }

    /// Tells the dht strategy of every peer connected in Kademlia's buckets. Kademlia reports
    /// each peer it adds as it adds it; this brings back those the strategy dropped when a
    /// connection closed while Kademlia kept them (an idle connection). Peers Kademlia keeps
    /// but cannot reach are left out: handed back, a dead rendezvous would draw its trees
    /// back to it after every failure.
    fn share_kademlia_peers(&mut self) {
        if self.strategy.kind() != StrategyKind::Dht {
            return;
        }
        let mut peers = Vec::new();
        for bucket in self.swarm.behaviour_mut().kad.kbuckets() {
            peers.extend(
                bucket
                    .iter()
                    .filter(|e| e.status == kad::NodeStatus::Connected)
                    .filter_map(|e| node_id(e.node.key.preimage())),
            );
        }
        for node in peers {
            self.handle(Input::Contact(node));
        }
    }

    /// A bootstrap address answered: Kademlia learns the peer, and the strategy joins
    /// through it.
    fn reached_bootstrap(&mut self, peer: PeerId, address: Multiaddr) {
        let kad = &mut self.swarm.behaviour_mut().kad;
        kad.add_address(&peer, address);
        if let Err(error) = kad.bootstrap() {
            tracing::debug!(%error, "no Kademlia bootstrap yet");
        }
        match node_id(&peer) {
            Some(node) => self.handle(Input::Contact(node)),
            None => tracing::warn!(%peer, "the bootstrap peer is not a sift node"),
        }
    }

    fn on_message_event(&mut self, event: request_response::Event<sift_core::Message, ()>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    // The acknowledgement only says the message arrived; it is sent first so
                    // that the sender's window frees at once.
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .messages
                        .send_response(channel, ());
                    match node_id(&peer) {
                        Some(from) => {
                            self.counters.messages_received += 1;
                            self.counters.event_messages_received +=
                                u64::from(request.payload().is_some());
                            self.handle(Input::Message { from, msg: request });
                        }
                        None => self.counters.messages_refused += 1,
                    }
                }
                request_response::Message::Response { .. } => self.acknowledged(&peer),
            },
            request_response::Event::OutboundFailure { peer, error, .. } => {
                self.acknowledged(&peer);
                self.counters.messages_dropped += 1;
                tracing::debug!(%peer, %error, "message not delivered");
                if matches!(error, request_response::OutboundFailure::DialFailure)
                    && self.lookups.len() < MAX_LOOKUPS
                    && self.lookups.insert(peer)
                {
                    // The next message finds the peer if the overlay knows where it is.
                    self.swarm.behaviour_mut().kad.get_closest_peers(peer);
                }
                if let Some(node) = node_id(&peer) {
                    self.handle(Input::PeerDown(node));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.counters.messages_refused += 1;
                tracing::debug!(%peer, %error, "refused a message");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn acknowledged(&mut self, peer: &PeerId) {
        if let Some(count) = self.in_flight.get_mut(peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.in_flight.remove(peer);
            }
        }
    }
}
