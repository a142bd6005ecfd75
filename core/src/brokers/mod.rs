//! The broker architectures of event matching: `centralized`, `hierarchical` and `flat`.
//!
//! Some nodes are brokers (a role given to the node, see [`BrokerRole`]); every node, broker
//! or not, is also a client with subscriptions of its own. Brokers make themselves known by
//! beacons flooded over the membership overlay (module `roster`), so no node needs a list of
//! brokers configured, and a broker that dies drops out of every roster by itself.
//!
//! - `centralized`: the first live broker in id order holds every subscription. Publishers
//!   send it their events; it matches each against everything it holds and notifies the nodes
//!   of the matching subscriptions. Its load grows with subscriptions, events and nodes alike,
//!   and when it dies nothing is delivered until it comes back, or until the nodes notice and
//!   move to a standby broker (a second node with the role), re-storing their subscriptions
//!   there.
//! - `hierarchical`: a master (the first live node with the master role) takes every
//!   publication and dispatches it to the workers (the brokers) that own one of the event's
//!   anchor keys (module [`crate::anchor`]); each worker holds the subscriptions anchored at the
//!   keys it owns, by rendezvous hashing over the live workers, and notifies the subscribers'
//!   nodes. The master matches nothing, but every event passes through it.
//! - `flat`: no master. Publishers compute the owners of their event's keys themselves and send
//!   the event to each; the brokers hold subscriptions exactly as `hierarchical`'s workers do.
//!   Load spreads over the brokers; the price is one message per distinct owner of the event's
//!   keys.
//!
//! Subscriptions are soft state at the brokers: the subscriber's node refreshes each holder
//! every third of a lease and re-stores what a holder says it does not know (a broker that
//! restarted), so a subscriber that dies is forgotten a lease later. When a node's roster
//! changes (a beacon from a new broker, a broker it failed to reach, a beacon that lapsed), it
//! places its subscriptions again and stores them at their new holders; subscriptions move
//! only from the brokers that left, by the rendezvous hashing.
//!
//! A notification carries the event, not the subscriptions it matched: the subscriber's node
//! matches it against its own subscriptions (which is also what makes a subscription that
//! expired or was cancelled in the meantime stop at once) and suppresses the copies other
//! holders send, by event id. So delivery is exact however many holders a node's subscriptions
//! are spread over.

mod held;
mod roster;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::anchor::{Key, anchors, event_keys};
use crate::id::{NodeId, SubId};
use crate::local::LocalDelivery;
use crate::membership::{Overlay, ViewChange};
use crate::seen::FingerprintKey;
use crate::selective::{Announcement, MAX_BATCH};
use crate::strategy::{
    Input, Micros, Outputs, Publication, Strategy, StrategyConfig, StrategyKind, Subscription,
    Timer,
};
use crate::wire::Message;
use held::HeldSubscriptions;
use roster::Heard;
use roster::Roster;
pub use roster::{Beacon, BrokerRole, MAX_BROKERS};

/// Which of the three architectures a [`Brokered`] node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    Centralized,
    Hierarchical,
    Flat,
}

impl Architecture {
    /// Whether a node of this architecture may take `role`: every one has brokers, only
    /// `hierarchical` a master.
    pub fn has_role(self, role: BrokerRole) -> bool {
        role == BrokerRole::Broker || self == Architecture::Hierarchical
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrokerConfig {
    /// This node's role; `None` for a client only.
    pub role: Option<BrokerRole>,
    /// Time between two beacons of a broker.
    pub beacon_every: Micros,
    /// How long a node keeps a broker in its roster after its latest beacon.
    pub roster_ttl: Micros,
    /// How long a broker holds a subscription without a refresh.
    pub lease: Micros,
    /// Most subscriptions one broker holds.
    pub max_entries: usize,
    /// Most subscriptions one broker holds for one node, so that no node takes the whole
    /// table: a node's API holds at most 100,000 by default.
    pub max_entries_per_node: usize,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            role: None,
            beacon_every: 5_000_000,
            // Three beacons and a half: a lost beacon or two does not drop a live broker.
            roster_ttl: 17_500_000,
            lease: 30_000_000,
            max_entries: 1_000_000,
            max_entries_per_node: 100_000,
        }
    }
}

/// One of the node's own subscriptions, as placed at the brokers.
#[derive(Debug)]
struct Placed {
    /// The filter's canonical text, as stored at the brokers.
    text: Arc<str>,
    anchors: Vec<Key>,
    expires: Option<Micros>,
    /// The brokers holding it, by this node's roster when it was last placed.
    holders: Vec<NodeId>,
}

#[derive(Debug)]
pub struct Brokered {
    architecture: Architecture,
    config: BrokerConfig,
    overlay: Overlay,
    local: LocalDelivery,
    /// The node's own subscriptions, in id order (outputs must not depend on hash order).
    placed: BTreeMap<SubId, Placed>,
    /// What this node holds as a broker.
    held: HeldSubscriptions,
    roster: Roster,
    /// When this node started: its beacons' `since`.
    started: Micros,
    last_beacon: Option<u64>,
    /// Beacon at the next upkeep whatever the period: this broker was wrongly suspected.
    beacon_now: bool,
    last_refresh: Micros,
    /// Stores and retractions decided during the input, sent when it is done.
    to_store: BTreeMap<NodeId, BTreeSet<SubId>>,
    to_retract: BTreeMap<NodeId, BTreeSet<SubId>>,
}

impl Brokered {
    pub fn new(
        architecture: Architecture,
        me: NodeId,
        bootstrap: Vec<NodeId>,
        rng: ChaCha8Rng,
        config: &StrategyConfig,
    ) -> Self {
        let key = FingerprintKey::derive(&rng);
        Brokered {
            architecture,
            config: config.brokers.clone(),
            overlay: Overlay::new(me, bootstrap, &config.membership, rng),
            local: LocalDelivery::new(&config.local, key),
            placed: BTreeMap::new(),
            held: HeldSubscriptions::new(
                config.brokers.max_entries,
                config.brokers.max_entries_per_node,
            ),
            roster: Roster::default(),
            started: 0,
            last_beacon: None,
            beacon_now: false,
            last_refresh: 0,
            to_store: BTreeMap::new(),
            to_retract: BTreeMap::new(),
        }
    }

    fn me(&self) -> NodeId {
        self.overlay.me()
    }

    fn is(&self, role: BrokerRole) -> bool {
        self.config.role == Some(role)
    }

    /// The brokers that should hold a subscription with these anchors, by the roster now.
    fn holders_of(&self, anchors: &[Key], now: Micros) -> Vec<NodeId> {
        let mut holders: Vec<NodeId> = match self.architecture {
            Architecture::Centralized => self
                .roster
                .first(BrokerRole::Broker, now)
                .into_iter()
                .collect(),
            Architecture::Hierarchical | Architecture::Flat => anchors
                .iter()
                .filter_map(|&key| self.roster.owner(key, BrokerRole::Broker, now))
                .collect(),
        };
        holders.sort_unstable();
        holders.dedup();
        holders
    }

    /// The brokers owning one of the event's keys.
    fn owners_of(&self, publication: &Publication, now: Micros) -> BTreeSet<NodeId> {
        event_keys(&publication.event)
            .into_iter()
            .filter_map(|key| self.roster.owner(key, BrokerRole::Broker, now))
            .collect()
    }

    fn subscribe(&mut self, now: Micros, sub: Subscription, out: &mut Outputs) {
        let text: Arc<str> = sub.filter.to_string().into();
        let anchors = anchors(&sub.filter);
        let holders = self.holders_of(&anchors, now);
        let id = sub.id;
        for &holder in &holders {
            self.to_store.entry(holder).or_default().insert(id);
        }
        // A renewal placed elsewhere (its filter changed) leaves the old copy to lapse, as a
        // move does (see `replace_all`): the subscriber's node matches every notification
        // against the current filter.
        self.placed.insert(
            id,
            Placed {
                text,
                anchors,
                expires: sub.expires,
                holders,
            },
        );
        self.local.subscribe(now, sub, out);
    }

    /// Retracts a cancelled `sub` from those of its `holders` still alive.
    fn retract_from(&mut self, sub: SubId, holders: Vec<NodeId>, now: Micros) {
        for holder in holders {
            if self.roster.is_live(&holder, now) {
                self.to_retract.entry(holder).or_default().insert(sub);
            }
        }
    }

    /// Places every subscription again after the roster changed.
    fn replace_all(&mut self, now: Micros) {
        let subs: Vec<SubId> = self.placed.keys().copied().collect();
        for sub in subs {
            let placed = &self.placed[&sub];
            let holders = self.holders_of(&placed.anchors, now);
            if holders == placed.holders {
                continue;
            }
            for holder in holders.iter().filter(|h| !placed.holders.contains(h)) {
                self.to_store.entry(*holder).or_default().insert(sub);
            }
            // The old holders are not told: publishers that have not yet heard of the change
            // still send to them, and the copies they notify are dropped by event id.
            // Unrefreshed, the subscription lapses there a lease later.
            self.placed.get_mut(&sub).expect("listed").holders = holders;
        }
    }

    /// Stores again at `broker` everything placed there: it restarted and holds nothing.
    fn store_again_at(&mut self, broker: NodeId) {
        for (&sub, placed) in &self.placed {
            if placed.holders.contains(&broker) {
                self.to_store.entry(broker).or_default().insert(sub);
            }
        }
    }

    /// Sends what the input decided, in batches.
    fn flush(&mut self, now: Micros, out: &mut Outputs) {
        for (holder, subs) in std::mem::take(&mut self.to_retract) {
            if holder == self.me() {
                for sub in &subs {
                    self.held.drop_sub(sub);
                }
                continue;
            }
            let subs: Vec<SubId> = subs.into_iter().collect();
            for batch in subs.chunks(MAX_BATCH) {
                out.send(
                    holder,
                    Message::Retract {
                        subs: batch.to_vec(),
                    },
                );
            }
        }
        for (holder, subs) in std::mem::take(&mut self.to_store) {
            let announcements: Vec<Announcement> = subs
                .into_iter()
                .filter_map(|sub| {
                    let placed = self.placed.get(&sub)?;
                    Some(Announcement {
                        id: sub,
                        filter: Arc::clone(&placed.text).into(),
                        expires_in: placed.expires.map(|at| at.saturating_sub(now)),
                        tag: None,
                    })
                })
                .collect();
            for batch in announcements.chunks(MAX_BATCH) {
                if holder == self.me() {
                    self.on_store(now, holder, batch.to_vec());
                } else {
                    out.send(
                        holder,
                        Message::Store {
                            subs: batch.to_vec(),
                        },
                    );
                }
            }
        }
    }

    /// Once a tick: beacon, refresh the holders' leases, drop what lapsed.
    fn upkeep(&mut self, now: Micros, out: &mut Outputs) -> bool {
        self.local.expire(now, out);
        self.held.expire(now);
        let mut changed = self.roster.expire(now);
        if let Some(role) = self.config.role
            && (self.beacon_now
                || self
                    .last_beacon
                    .is_none_or(|last| now >= last + self.config.beacon_every))
        {
            self.beacon_now = false;
            let seq = self.last_beacon.map_or(now, |last| now.max(last + 1));
            self.last_beacon = Some(seq);
            let beacon = Beacon {
                broker: self.me(),
                role,
                seq,
                since: self.started,
            };
            changed |= self
                .roster
                .hear(beacon, now, now + self.config.roster_ttl)
                .changes_placement();
            for &peer in self.overlay.active() {
                out.send(peer, Message::Beacon(beacon));
            }
        }
        if now >= self.last_refresh + self.config.lease / 3 {
            self.last_refresh = now;
            let mut by_holder: BTreeMap<NodeId, Vec<SubId>> = BTreeMap::new();
            for (&sub, placed) in &self.placed {
                for &holder in &placed.holders {
                    by_holder.entry(holder).or_default().push(sub);
                }
            }
            let lease = now + self.config.lease;
            for (holder, subs) in by_holder {
                if holder == self.me() {
                    for sub in subs {
                        if !self.held.refresh(&sub, lease) {
                            self.to_store.entry(holder).or_default().insert(sub);
                        }
                    }
                    continue;
                }
                for batch in subs.chunks(MAX_BATCH) {
                    out.send(
                        holder,
                        Message::Refresh {
                            subs: batch.to_vec(),
                        },
                    );
                }
            }
        }
        changed
    }

    fn publish(&mut self, now: Micros, publication: Arc<Publication>, out: &mut Outputs) {
        self.local.receive(now, &publication, 0, out);
        match self.architecture {
            Architecture::Centralized => {
                self.send_to_first(BrokerRole::Broker, publication, now, out)
            }
            Architecture::Hierarchical => {
                self.send_to_first(BrokerRole::Master, publication, now, out)
            }
            Architecture::Flat => self.dispatch(now, &publication, 0, out),
        }
    }

    /// Hands a publication to the central broker or the master, whichever `role` names.
    fn send_to_first(
        &mut self,
        role: BrokerRole,
        publication: Arc<Publication>,
        now: Micros,
        out: &mut Outputs,
    ) {
        match self.roster.first(role, now) {
            Some(to) if to == self.me() => self.on_publish(now, &publication, 0, out),
            Some(to) => out.send(
                to,
                Message::Publish {
                    publication,
                    hops: 1,
                },
            ),
            // No broker known yet: the event reaches only this node's own subscribers.
            None => {}
        }
    }

    /// A publication for the central broker or the master.
    fn on_publish(
        &mut self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        out: &mut Outputs,
    ) {
        match self.architecture {
            Architecture::Centralized if self.is(BrokerRole::Broker) => {
                self.match_held(now, publication, hops, out)
            }
            Architecture::Hierarchical if self.is(BrokerRole::Master) => {
                self.dispatch(now, publication, hops, out)
            }
            // Sent by a node whose roster is out of date; it learns better from the beacons.
            _ => {}
        }
    }

    /// Sends a publication to the owners of its keys (the master's and a flat publisher's
    /// part).
    fn dispatch(
        &mut self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        out: &mut Outputs,
    ) {
        for owner in self.owners_of(publication, now) {
            if owner == self.me() {
                self.match_held(now, publication, hops, out);
            } else {
                out.send(
                    owner,
                    Message::Match {
                        publication: Arc::clone(publication),
                        hops: hops.saturating_add(1),
                    },
                );
            }
        }
    }

    /// Matches a publication against the subscriptions held here and notifies their nodes.
    fn match_held(
        &mut self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        out: &mut Outputs,
    ) {
        if self.held.len() == 0 {
            return;
        }
        out.matching_ops += self.held.len() as u64;
        for node in self.held.subscribers(&publication.event) {
            if node == self.me() {
                self.local.receive(now, publication, hops, out);
            } else {
                out.send(
                    node,
                    Message::Notify {
                        publication: Arc::clone(publication),
                        hops: hops.saturating_add(1),
                    },
                );
            }
        }
    }

    fn on_store(&mut self, now: Micros, from: NodeId, subs: Vec<Announcement>) {
        if !self.is(BrokerRole::Broker) {
            return;
        }
        let lease = now + self.config.lease;
        for announcement in subs.into_iter().take(MAX_BATCH) {
            // Only a subscriber's own node speaks for its subscriptions.
            if announcement.id.origin != from {
                continue;
            }
            // A filter this node cannot parse is refused alone; the rest of the batch stands.
            let Some(filter) = announcement.filter.filter() else {
                continue;
            };
            let expires = announcement.expires_in.map(|left| now.saturating_add(left));
            // A store the table refuses (full) is retried by the subscriber's next refresh,
            // which finds it unknown.
            self.held.store(
                announcement.id,
                Arc::clone(announcement.filter.text()),
                filter,
                expires,
                lease,
            );
        }
    }

    /// Sends `msg` to every neighbour but `from`.
    fn flood_except(&self, from: NodeId, msg: Message, out: &mut Outputs) {
        for &peer in self.overlay.active() {
            if peer != from {
                out.send(peer, msg.clone());
            }
        }
    }

    fn on_message(&mut self, now: Micros, from: NodeId, msg: Message, out: &mut Outputs) -> bool {
        match msg {
            Message::Beacon(beacon) => {
                if beacon.broker == self.me() {
                    return false;
                }
                let heard = self.roster.hear(beacon, now, now + self.config.roster_ttl);
                if heard != Heard::Stale {
                    self.flood_except(from, Message::Beacon(beacon), out);
                }
                if heard == Heard::Restarted {
                    self.store_again_at(beacon.broker);
                }
                return heard.changes_placement();
            }
            Message::BrokerDown { broker, seq } => {
                if broker == self.me() {
                    // Wrongly suspected: a fresh beacon puts this broker back everywhere.
                    if self.config.role.is_some() {
                        self.beacon_now = true;
                        return self.upkeep(now, out);
                    }
                    return false;
                }
                if self.roster.suspect(&broker, Some(seq), now).is_none() {
                    return false;
                }
                self.flood_except(from, Message::BrokerDown { broker, seq }, out);
                return true;
            }
            Message::Store { subs } => self.on_store(now, from, subs),
            Message::Refresh { subs } if self.is(BrokerRole::Broker) => {
                let lease = now + self.config.lease;
                let unknown: Vec<SubId> = subs
                    .into_iter()
                    .take(MAX_BATCH)
                    .filter(|sub| sub.origin == from && !self.held.refresh(sub, lease))
                    .collect();
                if !unknown.is_empty() {
                    out.send(from, Message::Unknown { subs: unknown });
                }
            }
            Message::Retract { subs } => {
                for sub in subs.iter().take(MAX_BATCH).filter(|s| s.origin == from) {
                    self.held.drop_sub(sub);
                }
            }
            Message::Unknown { subs } => {
                for sub in subs.into_iter().take(MAX_BATCH) {
                    if self
                        .placed
                        .get(&sub)
                        .is_some_and(|p| p.holders.contains(&from))
                    {
                        self.to_store.entry(from).or_default().insert(sub);
                    }
                }
            }
            Message::Publish { publication, hops } => self.on_publish(now, &publication, hops, out),
            Message::Match { publication, hops } if self.is(BrokerRole::Broker) => {
                self.match_held(now, &publication, hops, out)
            }
            Message::Notify { publication, hops } => {
                self.local.receive(now, &publication, hops, out);
            }
            // Another strategy's traffic from a misconfigured peer, or a role this node does
            // not have: nothing to do with it.
            _ => {}
        }
        false
    }
}

impl Strategy for Brokered {
    fn kind(&self) -> StrategyKind {
        match self.architecture {
            Architecture::Centralized => StrategyKind::Centralized,
            Architecture::Hierarchical => StrategyKind::Hierarchical,
            Architecture::Flat => StrategyKind::Flat,
        }
    }

    fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs) {
        let expired_before = out.expired.len();
        let mut roster_changed = false;
        // A node never suspects itself (a driver may report its own id unreachable).
        if let Input::PeerDown(peer) = &input
            && *peer != self.me()
            && let Some(seq) = self.roster.suspect(peer, None, now)
        {
            roster_changed = true;
            let news = Message::BrokerDown { broker: *peer, seq };
            self.flood_except(*peer, news, out);
        }
        let starting = matches!(input, Input::Start);
        let input = self.overlay.handle(now, input, out);
        for change in self.overlay.take_changes() {
            // A new neighbour learns the brokers at once rather than at their next beacons.
            if let ViewChange::Up(peer) = change {
                for beacon in self.roster.beacons(now) {
                    out.send(peer, Message::Beacon(beacon));
                }
            }
        }
        if starting {
            self.started = now;
            roster_changed |= self.upkeep(now, out);
        }
        match input {
            Some(Input::Timer(Timer::Membership)) => roster_changed |= self.upkeep(now, out),
            Some(Input::Timer(Timer::Expiry)) => self.local.expire(now, out),
            Some(Input::Subscribe(sub)) => self.subscribe(now, sub, out),
            Some(Input::Unsubscribe(id)) => {
                self.local.unsubscribe(&id);
                if let Some(placed) = self.placed.remove(&id) {
                    self.retract_from(id, placed.holders, now);
                }
            }
            Some(Input::Publish(publication)) => self.publish(now, publication, out),
            Some(Input::Message { from, msg }) => {
                roster_changed |= self.on_message(now, from, msg, out)
            }
            // Not asked for by this strategy; a driver may repeat timers.
            Some(Input::Timer(Timer::Gossip)) => {}
            // Membership's, handled above.
            Some(Input::Start | Input::PeerDown(_) | Input::Contact(_)) | None => {}
        }
        // Expired subscriptions age out at their holders by the expiry they were stored with.
        for sub in &out.expired[expired_before..] {
            self.placed.remove(sub);
        }
        if roster_changed {
            self.replace_all(now);
        }
        self.flush(now, out);
    }

    fn neighbours(&self) -> &[NodeId] {
        self.overlay.active()
    }

    fn routing_entries(&self) -> usize {
        self.held.len()
    }

    fn routed_subscriptions(&self) -> Vec<SubId> {
        self.held.subs()
    }
}
