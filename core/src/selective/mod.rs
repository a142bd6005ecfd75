//! `selective`: content-based routing in the SIENA manner, over a spanning tree of the overlay.
//!
//! Subscriptions travel up the tree ([`crate::tree`]) toward its root, each node announcing to
//! its parent the filters of its own clients and of its subtree, except those covered by a
//! filter it already announced ([`crate::routes::Upward`]). So a node holds, per child, the filters of that
//! child's subtree ([`crate::routes::ChildTables`]), and the root holds them all.
//!
//! An event goes up from where it was published to the root, and at every node on the way,
//! and below, down into each child whose filters match. A subscriber's node `S` and the
//! publisher's node `P` meet at their lowest common ancestor `A`, which the event passes on its
//! way up; `A` holds `S`'s filter (or one covering it) under the child toward `S`, and so does
//! every node from there down to `S`. On a stable tree each node receives an event at most
//! once: from below on the way up, or from its parent on the way down.
//!
//! Why a tree rather than flooding subscriptions over the whole overlay, as SIENA's
//! peer-to-peer form does: on a cyclic overlay, covering is unsound unless every pair of nodes
//! is joined by one path (a filter held back because another covers it must be reachable along
//! the same path as its coverer), and flooding every subscription to every node costs each
//! node state for all subscriptions. Up the tree, a subscription is held only on the path from
//! its node to the root, about `log N` nodes. The price is the path up to the root for every
//! event, and a root that sees every event.
//!
//! Moving: a node that changes parent announces everything to the new one; the old one keeps
//! routing to it for [`SelectiveConfig::handover`] before it forgets it (make before break), so
//! no event falls between the two paths while the announcements climb. A move within
//! [`SelectiveConfig::move_damping`] of the previous one waits out that period before
//! announcing, and further moves in it share the one announcement: while the tree reshapes (a
//! partition, a root that died) a node may change parent several times in as many ticks, and
//! announcing its whole subtree at each change made the simulator's partition scenario send
//! 10.3 GB (1.2 GB with the damping). Subscriptions that arrive meanwhile go up at once. A
//! first move after a quiet period announces at once: damping it too cost exactness after
//! faults, the old parent's handover running out before the new path was in place.
//!
//! Matching once per event and path: a parent sends each child, with the event, the child's
//! routes the event matched at the parent, by the tags the child gave them when it announced
//! them ([`crate::routes::RouteTag`]). The child then has nothing to match but the routes it
//! held back (covered ones, which the parent never saw, see [`crate::routes::Upward`]): what
//! it forwards, and its own subscriptions' candidates, follow from the list. Below the nodes
//! near the root an event reaches most nodes from their parent, so this takes most of the
//! matching off an event's path down.
//!
//! A list is only as good as the parent's table, so it is used only when that table surely
//! holds every route the child announced:
//! - the child trusts a list only from its parent, and only once its latest announcement to
//!   that parent has surely arrived ([`SelectiveConfig::announce_settle`]); an event from
//!   anywhere else, or earlier, is matched in full;
//! - a list naming a tag the child does not know (a retraction still on its way, a late copy
//!   of an old announcement) is not trusted either;
//! - a parent that refused one of a child's announcements (table full, a filter it cannot
//!   parse, another child's filter under the same id) sends that child no lists for a lease,
//!   by which time the child's renewal has found the route missing and announced it again;
//!   one that found a renewal naming a route it does not hold sends none for
//!   [`SelectiveConfig::announce_settle`], by which time the child, announcing the route
//!   again, distrusts lists itself;
//! - a list longer than [`MAX_LISTED`] is not sent.
//!
//! A list cannot cause a spurious delivery: local candidates are still evaluated. What it
//! trusts is the parent's routing, which the subtree below a parent depends on anyway. A lost
//! announcement is not seen by the parent, so until the child's next renewal repairs it an
//! event the child takes in for other routes skips that one: under message loss, deliveries
//! that would have reached the child by chance can be missed.
//!
//! Soft state: a child refreshes the lease of everything it announced every third of a lease;
//! an entry whose lease lapses is dropped (so a crashed subtree's filters age out), and one
//! the parent does not know is announced again (so a lost announcement is repaired). An
//! unsubscription or expiry is retracted along the same path; a filter that was held back
//! because of it is announced then.

use std::sync::Arc;

use foldhash::HashMap;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sift_matcher::{Event, Filter};

use crate::announced::{AnnouncedFilter, Relayed};
use crate::id::{NodeId, SubId};
use crate::local::LocalDelivery;
use crate::membership::{Overlay, ViewChange};
use crate::routes::{ChildTables, Holder, Learnt, Offer, RouteTag, Upward};
use crate::seen::FingerprintKey;
use crate::strategy::{
    Input, Micros, Outputs, Publication, Strategy, StrategyConfig, StrategyKind, Timer,
};
use crate::tree::SpanningTree;
use crate::wire::Message;

/// Most subscriptions one announce, retract or refresh message carries.
pub const MAX_BATCH: usize = 512;

/// Most matched routes listed with an event (see the module notes): at most 9 bytes each, a
/// list stays far below the frame limit beside the largest event. An event matching more of
/// a child's routes goes without a list, and the child matches it in full.
pub const MAX_LISTED: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
pub struct SelectiveConfig {
    /// How long a routing entry lives without a refresh.
    pub lease: Micros,
    /// Most routing entries a node holds for its children together.
    pub max_entries: usize,
    /// How long a node keeps routing events to a child that chose another parent: long
    /// enough for the child to settle with its new parent ([`Self::move_damping`]) and for
    /// its subscriptions to be announced along the new path.
    pub handover: Micros,
    /// A move this soon after the previous one waits until this long after it to announce
    /// the subtree's subscriptions to the new parent (see the module notes).
    pub move_damping: Micros,
    /// How long after announcing to its parent a node matches the events from it in full
    /// rather than trusting the parent's list of matched routes (see the module notes): the
    /// announcement's way up plus the way down of an event the parent matched before it.
    pub announce_settle: Micros,
}

impl Default for SelectiveConfig {
    fn default() -> Self {
        SelectiveConfig {
            lease: 30_000_000,
            max_entries: 1_000_000,
            handover: 4_000_000,
            move_damping: 2_000_000,
            announce_settle: 2_000_000,
        }
    }
}

/// A subscription as announced to a parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub id: SubId,
    /// The filter's canonical text, and its parse once a node has asked for it (see
    /// [`AnnouncedFilter`] for when nodes share it).
    pub filter: AnnouncedFilter,
    /// Time left until the subscription expires, if it does.
    pub expires_in: Option<Micros>,
    /// `selective`: the number the announcing node gave the route toward this parent (see
    /// [`crate::routes::Upward::tag`]), by which the parent's lists of matched routes name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<RouteTag>,
}

#[derive(Debug)]
pub struct Selective {
    overlay: Overlay,
    tree: SpanningTree,
    local: LocalDelivery,
    /// Canonical text of each local subscription's filter, as announced.
    local_text: HashMap<SubId, Arc<str>>,
    children: ChildTables<SubId>,
    upward: Upward<SubId>,
    parent: Option<NodeId>,
    config: SelectiveConfig,
    last_refresh: Micros,
    /// Announcements and retractions for the parent, sent when the input is done.
    to_announce: Vec<SubId>,
    /// The announcements taken in during this input, passed on as they came (see [`Relayed`]).
    relayed: Relayed<SubId>,
    to_retract: Vec<SubId>,
    /// When to announce everything to the parent, once it has been kept that long.
    announce_all_at: Option<Micros>,
    /// When the parent last changed.
    last_move: Option<Micros>,
    /// From when on the parent surely knows every route announced to it.
    parent_informed_at: Micros,
    /// Children sent no lists of matched routes until the given time: this node refused or
    /// did not know one of their routes, which a list could then leave out (see the module
    /// notes).
    unlisted: HashMap<NodeId, Micros>,
    /// Shape of the tree when offers were last sent.
    offered: (NodeId, u64, u16, Option<NodeId>),
    /// Per child, the tree version of its latest announcement taken in: an offer of an older
    /// version saying this node is not its parent was overtaken by that announcement.
    announced_at: HashMap<NodeId, u64>,
}

impl Selective {
    pub fn new(
        me: NodeId,
        bootstrap: Vec<NodeId>,
        rng: ChaCha8Rng,
        config: &StrategyConfig,
    ) -> Self {
        let key = FingerprintKey::derive(&rng);
        Selective {
            overlay: Overlay::new(me, bootstrap, &config.membership, rng),
            tree: SpanningTree::new(me, config.membership.tick),
            local: LocalDelivery::new(&config.local, key),
            local_text: HashMap::default(),
            children: ChildTables::new(config.selective.max_entries),
            upward: Upward::tagging(),
            parent: None,
            config: config.selective.clone(),
            last_refresh: 0,
            to_announce: Vec::new(),
            relayed: Relayed::default(),
            to_retract: Vec::new(),
            announce_all_at: None,
            last_move: None,
            parent_informed_at: 0,
            unlisted: HashMap::default(),
            offered: (me, 0, 0, None),
            announced_at: HashMap::default(),
        }
    }

    /// Offers a known subscription to the parent. A learned one's filter is parsed again
    /// from its text (see [`crate::routes::Learned`]).
    fn offer_up(&mut self, sub: SubId) {
        if self.parent.is_none() {
            return;
        }
        if let Some(local) = self.local.get(&sub) {
            if self.upward.offer(sub, &local.filter) == Offer::Announce {
                self.to_announce.push(sub);
            }
            return;
        }
        let parsed = self
            .children
            .get(&sub)
            .and_then(|learned| Filter::parse(&learned.text).ok());
        if let Some(filter) = parsed {
            self.offer_filter(sub, &filter);
        }
    }

    fn offer_filter(&mut self, sub: SubId, filter: &Filter) {
        if self.parent.is_some() && self.upward.offer(sub, filter) == Offer::Announce {
            self.to_announce.push(sub);
        }
    }

    /// A subscription is gone from this node's knowledge: retract it, and announce what it
    /// was covering.
    fn gone(&mut self, sub: SubId) {
        let (announced, uncovered) = self.upward.withdraw(&sub);
        if announced {
            self.to_retract.push(sub);
        }
        for s in uncovered {
            self.offer_up(s);
        }
    }

    fn announcement(&self, sub: SubId, now: Micros) -> Option<Announcement> {
        let (filter, expires) = match self.local.get(&sub) {
            Some(local) => (Arc::clone(self.local_text.get(&sub)?).into(), local.expires),
            None => {
                let learned = self.children.get(&sub)?;
                let filter = self.relayed.announce(&sub, &learned.text);
                (filter, learned.expires)
            }
        };
        Some(Announcement {
            id: sub,
            filter,
            expires_in: expires.map(|at| at.saturating_sub(now)),
            tag: self.upward.tag(&sub),
        })
    }

    /// Sends the parent what this input decided, in batches.
    fn flush(&mut self, now: Micros, out: &mut Outputs) {
        let Some(parent) = self.parent else {
            self.to_announce.clear();
            self.to_retract.clear();
            self.relayed.forget();
            return;
        };
        let retract = std::mem::take(&mut self.to_retract);
        for batch in retract.chunks(MAX_BATCH) {
            out.send(
                parent,
                Message::Retract {
                    subs: batch.to_vec(),
                },
            );
        }
        // A subscription gone since it was queued is no longer known and drops out here; one
        // queued twice (replaced within the input) is announced once, after the retraction.
        let mut announce = std::mem::take(&mut self.to_announce);
        announce.sort_unstable();
        announce.dedup();
        let announcements: Vec<Announcement> = announce
            .into_iter()
            .filter(|sub| self.upward.is_announced(sub))
            .filter_map(|sub| self.announcement(sub, now))
            .collect();
        self.relayed.forget();
        if !announcements.is_empty() {
            self.parent_informed_at = now.saturating_add(self.config.announce_settle);
        }
        for batch in announcements.chunks(MAX_BATCH) {
            out.send(
                parent,
                Message::Announce {
                    tree_version: self.tree.version(),
                    subs: batch.to_vec(),
                },
            );
        }
    }

    /// Acts on view changes and tree changes since the last call.
    fn settle_tree(&mut self, now: Micros, out: &mut Outputs) {
        for change in self.overlay.take_changes() {
            match change {
                ViewChange::Up(peer) => out.send(peer, Message::Tree(self.tree.offer_to(peer))),
                ViewChange::Down(peer) => {
                    self.tree.neighbour_down(now, peer);
                    self.drop_child(peer);
                }
            }
        }
        let parent = self.tree.parent();
        if parent != self.parent {
            self.parent = parent;
            self.upward.reset();
            self.to_announce.clear();
            self.to_retract.clear();
            // A move soon after another is damped: the announcement waits for the damping
            // period, and further moves in it share that one announcement.
            let flapping = self
                .last_move
                .is_some_and(|at| now < at + self.config.move_damping);
            self.last_move = Some(now);
            self.parent_informed_at = now.saturating_add(self.config.announce_settle);
            self.announce_all_at = match parent {
                None => None,
                Some(_) if flapping => Some(
                    self.announce_all_at
                        .unwrap_or(now + self.config.move_damping),
                ),
                Some(_) => Some(now),
            };
        }
        if self.announce_all_at.is_some_and(|at| now >= at) {
            self.announce_all_at = None;
            let mut known = self.children.subs();
            known.extend(self.local.subscriptions().map(|s| s.id));
            known.sort_unstable();
            for sub in known {
                self.offer_up(sub);
            }
        }
        let shape = self.tree.shape();
        if shape != self.offered {
            self.offered = shape;
            self.send_offers(out);
        }
    }

    fn send_offers(&mut self, out: &mut Outputs) {
        for &peer in self.overlay.active() {
            out.send(peer, Message::Tree(self.tree.offer_to(peer)));
        }
    }

    fn drop_child(&mut self, child: NodeId) {
        self.announced_at.remove(&child);
        self.unlisted.remove(&child);
        for sub in self.children.drop_child(&child) {
            self.gone(sub);
        }
    }

    fn on_announce(&mut self, now: Micros, from: NodeId, subs: Vec<Announcement>) {
        let lease = now + self.config.lease;
        for announcement in subs.into_iter().take(MAX_BATCH) {
            // A filter this node cannot parse is refused alone; the rest of the batch stands.
            let Some(filter) = announcement.filter.filter() else {
                self.unlist(from, now.saturating_add(self.config.lease));
                continue;
            };
            let sub = announcement.id;
            // This node's own subscription, echoed back while the tree turned: not a child's.
            if self.local.get(&sub).is_some() {
                continue;
            }
            let expires = announcement.expires_in.map(|left| now.saturating_add(left));
            let holder = Holder {
                child: from,
                until: lease,
                tag: announcement.tag,
            };
            let text = Arc::clone(announcement.filter.text());
            match self.children.learn(holder, sub, text, filter, expires) {
                Learnt::New => self.offer_filter(sub, filter),
                Learnt::Changed => {
                    self.gone(sub);
                    self.offer_filter(sub, filter);
                }
                Learnt::Known => continue,
                Learnt::Refused => {
                    self.unlist(from, now.saturating_add(self.config.lease));
                    continue;
                }
            }
            self.relayed.took_in(sub, &announcement.filter);
        }
    }

    /// Sends `child` no lists of matched routes until `until`: one of its routes is not in
    /// this node's table, so a list would leave it out, and the child would trust the list.
    /// A refused route stays out until the child's next renewal finds it missing and
    /// announces it again (within a lease, when it is refused again); a route a renewal found
    /// missing is announced again at once, and from then on the child distrusts lists itself
    /// for [`SelectiveConfig::announce_settle`]. Only the tree's children are sent lists, so
    /// only they are remembered here: a peer that is none cannot grow the table.
    fn unlist(&mut self, child: NodeId, until: Micros) {
        if !self.tree.is_child(&child) {
            return;
        }
        let until = self.unlisted.get(&child).map_or(until, |&at| at.max(until));
        self.unlisted.insert(child, until);
    }

    fn on_retract(&mut self, from: NodeId, subs: Vec<SubId>) {
        for sub in subs.into_iter().take(MAX_BATCH) {
            if self.children.forget(&from, &sub) {
                self.gone(sub);
            }
        }
    }

    fn on_refresh(&mut self, now: Micros, from: NodeId, subs: Vec<SubId>, out: &mut Outputs) {
        let lease = now + self.config.lease;
        let unknown: Vec<SubId> = subs
            .into_iter()
            .take(MAX_BATCH)
            .filter(|sub| !self.children.refresh(&from, sub, lease))
            .collect();
        if !unknown.is_empty() {
            self.unlist(from, now.saturating_add(self.config.announce_settle));
            out.send(from, Message::Unknown { subs: unknown });
        }
    }

    /// Once a tick: drops lapsed entries, refreshes the parent's leases when due.
    fn upkeep(&mut self, now: Micros, out: &mut Outputs) {
        self.unlisted.retain(|_, until| *until > now);
        for (sub, child) in self.children.lapsed(now) {
            if self.children.forget(&child, &sub) {
                self.gone(sub);
            }
        }
        if let Some(parent) = self.parent
            && now >= self.last_refresh + self.config.lease / 3
        {
            self.last_refresh = now;
            for batch in self.upward.sent().chunks(MAX_BATCH) {
                out.send(
                    parent,
                    Message::Refresh {
                        subs: batch.to_vec(),
                    },
                );
            }
        }
    }

    /// Takes in an event from `from` (`None`: published here) and passes it on. `listed`:
    /// the routes of this node its parent matched, when it sent them and they can be trusted
    /// (see the module notes).
    fn take_in(
        &mut self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        from: Option<NodeId>,
        listed: Option<Vec<RouteTag>>,
        out: &mut Outputs,
    ) {
        if !self.local.take_in(now, publication, hops, out) {
            return;
        }
        let matched = listed.and_then(|tags| self.listed_routes(tags, &publication.event, out));
        match &matched {
            Some(routes) => self.local.deliver_among(publication, routes, out),
            None => self.local.deliver_matching(publication, out),
        }
        self.forward(now, publication, hops, from, matched, out);
    }

    /// The routes of this node `event` matches, from the `tags` its parent listed and the
    /// routes held back from it. `None` if a tag names no route announced now: the parent's
    /// table and this node's disagree (a retraction on its way, say), and the event is
    /// matched in full.
    fn listed_routes(
        &self,
        mut tags: Vec<RouteTag>,
        event: &Event,
        out: &mut Outputs,
    ) -> Option<Vec<SubId>> {
        tags.sort_unstable();
        tags.dedup();
        let mut routes = tags
            .into_iter()
            .map(|tag| self.upward.tagged(tag))
            .collect::<Option<Vec<SubId>>>()?;
        out.matching_ops += self.upward.held_back() as u64;
        routes.extend(self.upward.held_back_matching(event));
        Some(routes)
    }

    /// Whether to trust the routes a `Routed` message from `from` lists as matched.
    fn trusts(&self, now: Micros, from: NodeId, listed: &[RouteTag]) -> bool {
        !listed.is_empty()
            && Some(from) == self.parent
            && self.announce_all_at.is_none()
            && now >= self.parent_informed_at
    }

    /// Sends the event up to the parent (unless it came from there) and down to each child
    /// holding a route it matches, with the list of those routes by the child's tags (empty
    /// if the child did not tag one of them: it matches in full). `matched`: the routes it
    /// matches, if known.
    fn forward(
        &self,
        now: Micros,
        publication: &Arc<Publication>,
        hops: u16,
        from: Option<NodeId>,
        matched: Option<Vec<SubId>>,
        out: &mut Outputs,
    ) {
        let routed = |matched| Message::Routed {
            publication: Arc::clone(publication),
            hops: hops.saturating_add(1),
            matched,
        };
        if let Some(parent) = self.parent
            && Some(parent) != from
        {
            out.send(parent, routed(Vec::new()));
        }
        if self.children.is_empty() {
            return;
        }
        // Per child, the tags of its matched routes, or `None` once one had no tag. Routes are
        // held by the peers that announced them, a handful (at most the node's peers): a
        // vector searched in turn, sorted at the end so that children are sent to in key
        // order.
        let mut down: Vec<(NodeId, Option<Vec<RouteTag>>)> = Vec::new();
        let mut add = |holder: &Holder| {
            if Some(holder.child) == from || Some(holder.child) == self.parent {
                return;
            }
            let at = down
                .iter()
                .position(|(child, _)| *child == holder.child)
                .unwrap_or_else(|| {
                    down.push((holder.child, Some(Vec::new())));
                    down.len() - 1
                });
            let tags = &mut down[at].1;
            match (tags.as_mut(), holder.tag) {
                (Some(tags), Some(tag)) => tags.push(tag),
                _ => *tags = None,
            }
        };
        match matched {
            Some(routes) => routes
                .iter()
                .flat_map(|route| self.children.holders(route))
                .for_each(&mut add),
            None => {
                out.matching_ops += self.children.len() as u64;
                self.children
                    .matching_holders(&publication.event)
                    .for_each(&mut add);
            }
        }
        down.sort_unstable_by_key(|&(child, _)| child);
        for (child, tags) in down {
            let listed = self.unlisted.get(&child).is_none_or(|&until| now >= until);
            let mut tags = tags.filter(|_| listed).unwrap_or_default();
            tags.sort_unstable();
            tags.dedup();
            if tags.len() > MAX_LISTED {
                tags.clear();
            }
            out.send(child, routed(tags));
        }
    }

    /// The inputs membership handed back.
    fn on_input(&mut self, now: Micros, input: Input, out: &mut Outputs) {
        match input {
            Input::Timer(Timer::Membership) => {
                self.tree.tick(now);
                self.local.expire(now, out);
                self.upkeep(now, out);
            }
            Input::Timer(Timer::Expiry) => self.local.expire(now, out),
            // Not asked for by this strategy; a driver may repeat timers.
            Input::Timer(Timer::Gossip) => {}
            Input::Subscribe(sub) => {
                let id = sub.id;
                self.local_text.insert(id, sub.filter.to_string().into());
                // A replaced subscription's old filter is retracted first.
                self.gone(id);
                self.local.subscribe(now, sub, out);
                if self.local.get(&id).is_some() {
                    self.offer_up(id);
                }
            }
            Input::Unsubscribe(id) => {
                if self.local.unsubscribe(&id).is_some() {
                    self.local_text.remove(&id);
                    self.gone(id);
                }
            }
            Input::Publish(publication) => self.take_in(now, &publication, 0, None, None, out),
            Input::Message { from, msg } => match msg {
                Message::Tree(offer) => {
                    let overtaken = self
                        .announced_at
                        .get(&from)
                        .is_some_and(|&at| at >= offer.version);
                    let was_child = self.tree.is_child(&from);
                    if self.tree.on_offer(now, from, offer)
                        && was_child
                        && !offer.parent
                        && !overtaken
                    {
                        // Make before break: the child's subscriptions stay routed this way
                        // until their new path up has surely been announced.
                        self.children
                            .release_child(&from, now + self.config.handover);
                    }
                }
                Message::Announce { tree_version, subs } => {
                    if !self.tree.is_stale_from_child(&from, tree_version) {
                        let at = self.announced_at.entry(from).or_default();
                        *at = (*at).max(tree_version);
                        self.on_announce(now, from, subs);
                    }
                }
                Message::Retract { subs } => self.on_retract(from, subs),
                Message::Refresh { subs } => self.on_refresh(now, from, subs, out),
                Message::Unknown { subs } => {
                    if Some(from) == self.parent {
                        self.to_announce.extend(
                            subs.into_iter()
                                .take(MAX_BATCH)
                                .filter(|sub| self.upward.is_announced(sub)),
                        );
                    }
                }
                Message::Routed {
                    publication,
                    hops,
                    matched,
                } => {
                    let listed = self.trusts(now, from, &matched).then_some(matched);
                    self.take_in(now, &publication, hops, Some(from), listed, out);
                }
                // Another strategy's traffic from a misconfigured peer: nothing to do with it.
                Message::Flood { .. }
                | Message::Membership(_)
                | Message::Gossip { .. }
                | Message::Known { .. }
                | Message::Digest { .. }
                | Message::Want { .. }
                | Message::Repair { .. }
                | Message::IHave { .. }
                | Message::Graft { .. }
                | Message::Prune
                | Message::Beacon(_)
                | Message::BrokerDown { .. }
                | Message::Store { .. }
                | Message::Publish { .. }
                | Message::Match { .. }
                | Message::Notify { .. }
                | Message::FindNode { .. }
                | Message::Nodes { .. }
                | Message::Join { .. }
                | Message::Leave { .. }
                | Message::Renew { .. }
                | Message::Unrenewed { .. }
                | Message::Toward { .. } => {}
            },
            // Membership's, handled above.
            Input::Start | Input::PeerDown(_) | Input::Contact(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;

impl Strategy for Selective {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Selective
    }

    fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs) {
        let expired_before = out.expired.len();
        if matches!(input, Input::Start) {
            self.tree.start(now);
        }
        if let Some(input) = self.overlay.handle(now, input, out) {
            self.on_input(now, input, out);
        }
        for i in expired_before..out.expired.len() {
            let sub = out.expired[i];
            self.local_text.remove(&sub);
            self.gone(sub);
        }
        self.settle_tree(now, out);
        self.flush(now, out);
    }

    fn neighbours(&self) -> &[NodeId] {
        self.overlay.active()
    }

    fn routing_entries(&self) -> usize {
        self.children.len()
    }

    fn routed_subscriptions(&self) -> Vec<SubId> {
        self.children.subs()
    }
}
