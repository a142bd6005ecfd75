//! The rendezvous trees a node is on: the routes its children joined through it, and what it
//! joined toward each of its parents.
//!
//! A route is a subscription toward one of its rendezvous keys. A node's parent for a key is
//! its next hop toward the key ([`RoutingTable::next_hop`]); the node closest to the key has
//! none and is the key's rendezvous. So the routes toward one key form a tree rooted at its
//! rendezvous, made of the greedy paths from the subscribers: a node holds a route because it
//! lies on the path from the route's subscriber (or did, until the route lapses there).
//!
//! Covering (see [`Upward`]) is per tree: a route is held back from a parent that already
//! holds a route toward the same key whose filter covers it. An event matching the held-back
//! filter matches the covering one, so it reaches their common rendezvous and flows down
//! through that parent to this node, which forwards it to every matching child. Across keys
//! that would not hold: an event matching a filter carries one of its anchors, not
//! necessarily the one the covering route was routed toward, nor the replica.
//!
//! Soft state: every route a parent holds is renewed every third of a lease, and lapses
//! without renewals; an unrenewed route the parent does not know is joined again. When a
//! node's next hop for a key changes (a parent gone: at once; a closer node learned: at the
//! next tick), it joins that key's routes toward the new parent and stops renewing them at the
//! old one, which keeps routing along the old path until they lapse there (make before
//! break). A route that goes away (cancelled, expired, lapsed below) is left at once, and the
//! routes it was covering are joined.
//!
//! Only a subscription's own node originates its routes: a join naming one of this node's
//! subscriptions is refused, and a child cannot change the filter of a route another child
//! holds ([`ChildTables::learn`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use sift_core::announced::Relayed;
use sift_core::keyspace::Key;
use sift_core::routes::{ChildTables, Holder, Learnt, Offer, RouteAnnouncement, RouteId, Upward};
use sift_core::selective::{Announcement, MAX_BATCH};
use sift_core::{Message, Micros, NodeId, Outputs, SubId, Subscription};
use sift_matcher::{Event, Filter};

use crate::table::RoutingTable;

/// A subscription of this node's own clients, and the keys it is routed toward.
#[derive(Debug)]
struct Own {
    text: Arc<str>,
    filter: Filter,
    expires: Option<Micros>,
    keys: Vec<Key>,
}

#[derive(Debug)]
pub struct Trees {
    me: NodeId,
    own: HashMap<SubId, Own>,
    children: ChildTables<RouteId>,
    /// Per parent and key, what this node joined toward it.
    upward: BTreeMap<(NodeId, Key), Upward<RouteId>>,
    /// The parent each route was last offered to; none for the routes this node is the
    /// rendezvous of.
    offered_to: HashMap<RouteId, NodeId>,
    /// Every route known, own or learned, by key.
    by_key: BTreeMap<Key, BTreeSet<RouteId>>,
    /// Joins and leaves for each parent, sent when the input is done.
    to_join: BTreeMap<NodeId, BTreeSet<RouteId>>,
    to_leave: BTreeMap<NodeId, Vec<RouteId>>,
    /// The joins taken in during this input, passed on as they came (see [`Relayed`]).
    relayed: Relayed<RouteId>,
    lease: Micros,
    last_renewal: Micros,
}

impl Trees {
    pub fn new(me: NodeId, lease: Micros, max_entries: usize) -> Self {
        Trees {
            me,
            own: HashMap::new(),
            children: ChildTables::new(max_entries),
            upward: BTreeMap::new(),
            offered_to: HashMap::new(),
            by_key: BTreeMap::new(),
            to_join: BTreeMap::new(),
            to_leave: BTreeMap::new(),
            relayed: Relayed::default(),
            lease,
            last_renewal: 0,
        }
    }

    /// Routes held for children.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// The subscriptions of the routes held for children, in order, each once.
    pub fn routed_subscriptions(&self) -> Vec<SubId> {
        let mut subs: Vec<SubId> = self.children.subs().iter().map(|r| r.sub).collect();
        subs.dedup();
        subs
    }

    /// The children holding a route toward one of `keys` (sorted) whose filter matches
    /// `event`.
    pub fn interested(&self, event: &Event, keys: &[Key]) -> BTreeSet<NodeId> {
        self.children
            .interested(event, |route| keys.binary_search(&route.key).is_ok())
    }

    /// Routes a local subscription toward `keys`; a subscription known already is replaced.
    pub fn subscribe(&mut self, table: &RoutingTable, sub: &Subscription, keys: Vec<Key>) {
        self.unsubscribe(table, &sub.id);
        let own = Own {
            text: sub.filter.to_string().into(),
            filter: sub.filter.clone(),
            expires: sub.expires,
            keys,
        };
        let routes: Vec<RouteId> = own
            .keys
            .iter()
            .map(|&key| RouteId { sub: sub.id, key })
            .collect();
        self.own.insert(sub.id, own);
        for route in routes {
            self.known(route);
            self.offer(table, route);
        }
    }

    /// A local subscription ended: its routes are left.
    pub fn unsubscribe(&mut self, table: &RoutingTable, sub: &SubId) {
        let Some(own) = self.own.remove(sub) else {
            return;
        };
        for key in own.keys {
            self.gone(table, RouteId { sub: *sub, key });
        }
    }

    /// Takes in a child's joins.
    pub fn learn(
        &mut self,
        now: Micros,
        table: &RoutingTable,
        child: NodeId,
        routes: Vec<RouteAnnouncement>,
    ) {
        let lease = now.saturating_add(self.lease);
        for joined in routes.into_iter().take(MAX_BATCH) {
            // A filter this node cannot parse is refused alone; the rest of the batch stands.
            let Some(filter) = joined.sub.filter.filter() else {
                continue;
            };
            let route = joined.route();
            // Routes climb toward their key, so one never comes back to its subscriber's node;
            // a peer naming this node's subscriptions, made or yet to be made, is ignored.
            if route.sub.origin == self.me {
                continue;
            }
            let expires = joined.sub.expires_in.map(|left| now.saturating_add(left));
            let text = Arc::clone(joined.sub.filter.text());
            let holder = Holder {
                child,
                until: lease,
                tag: None,
            };
            match self.children.learn(holder, route, text, filter, expires) {
                Learnt::New => {
                    self.known(route);
                    self.offer_filter(table, route, filter);
                }
                Learnt::Changed => {
                    self.withdraw(table, route, true);
                    self.offer_filter(table, route, filter);
                }
                Learnt::Known | Learnt::Refused => continue,
            }
            self.relayed.took_in(route, &joined.sub.filter);
        }
    }

    /// A child left routes.
    pub fn forget(&mut self, table: &RoutingTable, child: &NodeId, routes: Vec<RouteId>) {
        for route in routes.into_iter().take(MAX_BATCH) {
            if self.children.forget(child, &route) {
                self.gone(table, route);
            }
        }
    }

    /// A child renewed routes; returns those it does not hold here.
    pub fn renew(&mut self, now: Micros, child: &NodeId, routes: Vec<RouteId>) -> Vec<RouteId> {
        let lease = now.saturating_add(self.lease);
        routes
            .into_iter()
            .take(MAX_BATCH)
            .filter(|route| !self.children.refresh(child, route, lease))
            .collect()
    }

    /// A parent did not hold routes this node renewed: join those again.
    pub fn rejoin(&mut self, parent: NodeId, routes: Vec<RouteId>) {
        let again: Vec<RouteId> = routes
            .into_iter()
            .take(MAX_BATCH)
            .filter(|route| {
                self.upward
                    .get(&(parent, route.key))
                    .is_some_and(|up| up.is_announced(route))
            })
            .collect();
        self.to_join.entry(parent).or_default().extend(again);
    }

    /// A child is down: everything it held here goes.
    pub fn child_down(&mut self, table: &RoutingTable, child: &NodeId) {
        for route in self.children.drop_child(child) {
            self.gone(table, route);
        }
    }

    /// Drops lapsed routes and renews the parents' leases when due.
    pub fn upkeep(&mut self, now: Micros, table: &RoutingTable, out: &mut Outputs) {
        for (route, child) in self.children.lapsed(now) {
            if self.children.forget(&child, &route) {
                self.gone(table, route);
            }
        }
        if now < self.last_renewal + self.lease / 3 {
            return;
        }
        self.last_renewal = now;
        let mut sent: BTreeMap<NodeId, Vec<RouteId>> = BTreeMap::new();
        for (&(parent, _), up) in &self.upward {
            // A route joined in this same input is not renewed before its join goes out.
            let joining = self.to_join.get(&parent);
            sent.entry(parent).or_default().extend(
                up.sent()
                    .into_iter()
                    .filter(|route| !joining.is_some_and(|j| j.contains(route))),
            );
        }
        for (parent, routes) in sent {
            for batch in routes.chunks(MAX_BATCH) {
                out.send(
                    parent,
                    Message::Renew {
                        routes: batch.to_vec(),
                    },
                );
            }
        }
    }

    /// Moves every route whose next hop changed to its new parent (or takes it in, if this
    /// node became its key's rendezvous). Called when peers joined the table.
    pub fn replan(&mut self, table: &RoutingTable) {
        let mut moved = Vec::new();
        for (key, routes) in &self.by_key {
            let parent = table.next_hop(key);
            moved.extend(
                routes
                    .iter()
                    .filter(|route| self.offered_to.get(route).copied() != parent),
            );
        }
        self.move_routes(table, moved);
    }

    /// Moves the routes offered to `parent`, which left the table, to their new next hops:
    /// only the keys it was the next hop of change theirs.
    pub fn parent_down(&mut self, table: &RoutingTable, parent: &NodeId) {
        let lowest = (*parent, Key([0; 32]));
        let highest = (*parent, Key([0xff; 32]));
        let keys: Vec<Key> = self
            .upward
            .range(lowest..=highest)
            .map(|(&(_, key), _)| key)
            .collect();
        let moved: Vec<RouteId> = keys
            .iter()
            .filter_map(|key| self.by_key.get(key))
            .flatten()
            .filter(|route| self.offered_to.get(route) == Some(parent))
            .copied()
            .collect();
        self.move_routes(table, moved);
    }

    fn move_routes(&mut self, table: &RoutingTable, moved: Vec<RouteId>) {
        for route in moved {
            // Re-offering what a moved route covered may have placed this one already.
            if self.offered_to.get(&route).copied() != table.next_hop(&route.key) {
                self.withdraw(table, route, false);
                self.offer(table, route);
            }
        }
    }

    /// Sends the parents what this input decided, in batches. A route both left and joined
    /// toward the same parent (a replaced filter) is only joined: the join replaces the old
    /// filter there, and messages may arrive in any order, so a leave could undo the join.
    pub fn flush(&mut self, now: Micros, out: &mut Outputs) {
        let joining = |parent: &NodeId, route: &RouteId| {
            self.offered_to.get(route) == Some(parent)
                && self.to_join.get(parent).is_some_and(|j| j.contains(route))
        };
        let leaves: Vec<(NodeId, Vec<RouteId>)> = std::mem::take(&mut self.to_leave)
            .into_iter()
            .map(|(parent, routes)| {
                let routes = routes
                    .into_iter()
                    .filter(|r| !joining(&parent, r))
                    .collect();
                (parent, routes)
            })
            .collect();
        for (parent, routes) in leaves {
            for batch in routes.chunks(MAX_BATCH) {
                out.send(
                    parent,
                    Message::Leave {
                        routes: batch.to_vec(),
                    },
                );
            }
        }
        for (parent, routes) in std::mem::take(&mut self.to_join) {
            // A route gone since it was queued drops out here.
            let joins: Vec<RouteAnnouncement> = routes
                .into_iter()
                .filter(|route| self.offered_to.get(route) == Some(&parent))
                .filter_map(|route| self.announcement(route, now))
                .collect();
            for batch in joins.chunks(MAX_BATCH) {
                out.send(
                    parent,
                    Message::Join {
                        routes: batch.to_vec(),
                    },
                );
            }
        }
        self.relayed.forget();
    }

    fn known(&mut self, route: RouteId) {
        self.by_key.entry(route.key).or_default().insert(route);
    }

    fn unknown(&mut self, route: &RouteId) {
        if let Some(routes) = self.by_key.get_mut(&route.key) {
            routes.remove(route);
            if routes.is_empty() {
                self.by_key.remove(&route.key);
            }
        }
    }

    /// A route is known here no more: an own one ended, or no child holds a learned one.
    fn gone(&mut self, table: &RoutingTable, route: RouteId) {
        self.unknown(&route);
        self.withdraw(table, route, true);
    }

    fn filter_of(&self, route: &RouteId) -> Option<Filter> {
        match self.own.get(&route.sub) {
            Some(own) => Some(own.filter.clone()),
            None => Filter::parse(&self.children.get(route)?.text).ok(),
        }
    }

    fn offer(&mut self, table: &RoutingTable, route: RouteId) {
        if let Some(filter) = self.filter_of(&route) {
            self.offer_filter(table, route, &filter);
        }
    }

    fn offer_filter(&mut self, table: &RoutingTable, route: RouteId, filter: &Filter) {
        // The node closest to the key is its rendezvous: the route ends here.
        let Some(parent) = table.next_hop(&route.key) else {
            return;
        };
        self.offered_to.insert(route, parent);
        let up = self.upward.entry((parent, route.key)).or_default();
        if up.offer(route, filter) == Offer::Announce {
            self.to_join.entry(parent).or_default().insert(route);
        }
    }

    /// Takes `route` back from the parent it was offered to, telling that parent if `tell`,
    /// and offers again what it was covering there.
    fn withdraw(&mut self, table: &RoutingTable, route: RouteId, tell: bool) {
        let Some(parent) = self.offered_to.remove(&route) else {
            return;
        };
        let Some(up) = self.upward.get_mut(&(parent, route.key)) else {
            return;
        };
        let (announced, uncovered) = up.withdraw(&route);
        if up.is_empty() {
            self.upward.remove(&(parent, route.key));
        }
        if announced && tell {
            self.to_leave.entry(parent).or_default().push(route);
        }
        for covered in uncovered {
            self.offered_to.remove(&covered);
            self.offer(table, covered);
        }
    }

    fn announcement(&self, route: RouteId, now: Micros) -> Option<RouteAnnouncement> {
        let (filter, expires) = match self.own.get(&route.sub) {
            Some(own) => (Arc::clone(&own.text).into(), own.expires),
            None => {
                let learned = self.children.get(&route)?;
                let filter = self.relayed.announce(&route, &learned.text);
                (filter, learned.expires)
            }
        };
        Some(RouteAnnouncement {
            key: route.key,
            sub: Announcement {
                id: route.sub,
                filter,
                expires_in: expires.map(|at| at.saturating_sub(now)),
                tag: None,
            },
        })
    }
}
