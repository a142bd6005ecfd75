//! The roster: the brokers a node believes alive, learned from their beacons.
//!
//! A broker floods a beacon over the overlay every [`super::BrokerConfig::beacon_every`],
//! numbered by the time it sent it; a node takes a beacon newer than the last it has from that
//! broker, forwards it to its other neighbours, and so every node hears every live broker
//! within a few hops' latency. An entry lapses [`super::BrokerConfig::roster_ttl`] after its
//! latest beacon, so a crashed broker drops out of every roster without being told.
//!
//! Faster than that: a node that fails to reach a broker drops it at once and floods the news
//! (`BrokerDown`, naming the latest beacon it had), and every node that holds no newer beacon
//! drops it too. So the subscribers of a dead broker's subscriptions re-store them elsewhere
//! within a flood's latency of the first node noticing, rather than at their next refresh. A
//! broker wrongly suspected hears the news about itself and beacons at once, which restores
//! it everywhere.
//!
//! Numbering beacons by the sender's clock keeps them increasing across a broker's restarts,
//! as long as its clock does not run back by more than a beacon period.

use serde::{Deserialize, Serialize};

use crate::anchor::{Key, node_hash};
use crate::id::NodeId;
use crate::strategy::Micros;

/// Most brokers a roster holds: beacons of further brokers are ignored.
pub const MAX_BROKERS: usize = 64;

/// What a broker does; a node without a role is a client only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrokerRole {
    /// Holds subscriptions and matches events against them: `centralized`'s broker,
    /// `hierarchical`'s workers, `flat`'s brokers.
    Broker,
    /// `hierarchical`'s master: takes every publication and dispatches it to the workers.
    Master,
}

/// A broker's announcement that it is alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beacon {
    pub broker: NodeId,
    pub role: BrokerRole,
    /// Grows with every beacon the broker sends: its clock when it sent it.
    pub seq: u64,
    /// When the broker started: a new value says it restarted, holding nothing.
    pub since: Micros,
}

impl BrokerRole {
    pub fn name(self) -> &'static str {
        match self {
            BrokerRole::Broker => "broker",
            BrokerRole::Master => "master",
        }
    }
}

impl std::fmt::Display for BrokerRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for BrokerRole {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "broker" => Ok(BrokerRole::Broker),
            "master" => Ok(BrokerRole::Master),
            _ => Err(format!("unknown role `{name}`; known: broker, master")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// The latest beacon.
    beacon: Beacon,
    hash: u64,
    /// When the entry lapses without a newer beacon.
    until: Micros,
    /// The node failed to reach the broker after that beacon.
    suspected: bool,
}

/// What a beacon changed.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// Older than or as old as the one held: not to be forwarded.
    Stale,
    /// Newer, and the set of live brokers is unchanged.
    Fresh,
    /// Newer, and the broker was not live here before.
    Joined,
    /// Newer, from a broker that restarted since its previous beacon: it holds nothing.
    Restarted,
}

impl Heard {
    /// Whether the beacon changed which brokers are live, or what they hold.
    pub fn changes_placement(&self) -> bool {
        matches!(self, Heard::Joined | Heard::Restarted)
    }
}

#[derive(Debug, Default)]
pub struct Roster {
    /// In id order.
    entries: Vec<Entry>,
}

impl Roster {
    /// Takes in a beacon heard at `now`, to hold until `until`.
    pub fn hear(&mut self, beacon: Beacon, now: Micros, until: Micros) -> Heard {
        match self
            .entries
            .binary_search_by(|e| e.beacon.broker.cmp(&beacon.broker))
        {
            Ok(i) => {
                let entry = &mut self.entries[i];
                if beacon.seq <= entry.beacon.seq {
                    return Heard::Stale;
                }
                let was_live = entry.is_live(now);
                let before = entry.beacon;
                *entry = Entry {
                    beacon,
                    until,
                    suspected: false,
                    ..*entry
                };
                if before.since != beacon.since {
                    Heard::Restarted
                } else if was_live && before.role == beacon.role {
                    Heard::Fresh
                } else {
                    Heard::Joined
                }
            }
            Err(_) if self.entries.len() >= MAX_BROKERS => Heard::Stale,
            Err(i) => {
                self.entries.insert(
                    i,
                    Entry {
                        beacon,
                        hash: node_hash(&beacon.broker),
                        until,
                        suspected: false,
                    },
                );
                Heard::Joined
            }
        }
    }

    /// Takes `broker` out until a beacon newer than `upto` (any beacon held, if `None`):
    /// the node failed to reach it, or heard that another node did. Returns the number of
    /// the beacon the suspicion is about if the live set changed.
    pub fn suspect(&mut self, broker: &NodeId, upto: Option<u64>, now: Micros) -> Option<u64> {
        let i = self
            .entries
            .binary_search_by(|e| e.beacon.broker.cmp(broker))
            .ok()?;
        let entry = &mut self.entries[i];
        if !entry.is_live(now) || upto.is_some_and(|upto| entry.beacon.seq > upto) {
            return None;
        }
        entry.suspected = true;
        Some(entry.beacon.seq)
    }

    /// Drops lapsed entries; returns whether one of them had not been suspected, so that
    /// the live set changed when it lapsed.
    pub fn expire(&mut self, now: Micros) -> bool {
        let mut lost_live = false;
        self.entries.retain(|e| {
            let keep = now < e.until;
            lost_live |= !keep && !e.suspected;
            keep
        });
        lost_live
    }

    /// Whether `node` is a live broker of any role.
    pub fn is_live(&self, node: &NodeId, now: Micros) -> bool {
        self.entries
            .binary_search_by(|e| e.beacon.broker.cmp(node))
            .is_ok_and(|i| self.entries[i].is_live(now))
    }

    /// The first live broker of `role` in id order: the one every node agrees on when their
    /// rosters agree.
    pub fn first(&self, role: BrokerRole, now: Micros) -> Option<NodeId> {
        self.entries
            .iter()
            .find(|e| e.beacon.role == role && e.is_live(now))
            .map(|e| e.beacon.broker)
    }

    /// The live broker of `role` that owns `key`: the one of highest weight.
    pub fn owner(&self, key: Key, role: BrokerRole, now: Micros) -> Option<NodeId> {
        self.entries
            .iter()
            .filter(|e| e.beacon.role == role && e.is_live(now))
            .max_by_key(|e| key.weight_at(e.hash))
            .map(|e| e.beacon.broker)
    }

    /// The latest beacon of every live broker.
    pub fn beacons(&self, now: Micros) -> impl Iterator<Item = Beacon> + '_ {
        self.entries
            .iter()
            .filter(move |e| e.is_live(now))
            .map(|e| e.beacon)
    }
}

impl Entry {
    fn is_live(&self, now: Micros) -> bool {
        !self.suspected && now < self.until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u8) -> NodeId {
        NodeId::from_bytes([n; 32])
    }

    fn beacon(n: u8, role: BrokerRole, seq: u64) -> Beacon {
        Beacon {
            broker: node(n),
            role,
            seq,
            since: 0,
        }
    }

    #[test]
    fn beacons_join_lapse_and_are_suspected() {
        let mut roster = Roster::default();
        assert_eq!(
            roster.hear(beacon(2, BrokerRole::Broker, 10), 0, 100),
            Heard::Joined
        );
        assert_eq!(
            roster.hear(beacon(1, BrokerRole::Master, 10), 0, 100),
            Heard::Joined
        );
        assert_eq!(
            roster.hear(beacon(2, BrokerRole::Broker, 10), 0, 100),
            Heard::Stale
        );
        assert_eq!(
            roster.hear(beacon(2, BrokerRole::Broker, 20), 5, 150),
            Heard::Fresh
        );
        assert_eq!(roster.first(BrokerRole::Broker, 50), Some(node(2)));
        assert_eq!(roster.first(BrokerRole::Master, 50), Some(node(1)));

        assert_eq!(roster.suspect(&node(2), Some(10), 60), None);
        assert_eq!(roster.suspect(&node(2), None, 60), Some(20));
        assert_eq!(roster.suspect(&node(2), None, 60), None);
        assert_eq!(roster.first(BrokerRole::Broker, 60), None);
        assert_eq!(
            roster.hear(beacon(2, BrokerRole::Broker, 30), 70, 170),
            Heard::Joined
        );
        let restarted = Beacon {
            since: 80,
            ..beacon(2, BrokerRole::Broker, 40)
        };
        assert_eq!(roster.hear(restarted, 80, 180), Heard::Restarted);

        assert!(roster.expire(120));
        assert_eq!(roster.first(BrokerRole::Master, 120), None);
        assert_eq!(roster.entries.len(), 1);
    }

    #[test]
    fn ownership_moves_only_from_the_broker_that_left() {
        let mut roster = Roster::default();
        for n in 1..=8 {
            roster.hear(beacon(n, BrokerRole::Broker, 1), 0, 1_000);
        }
        let keys: Vec<Key> = (0..2_000).map(|i| Key::name(&format!("k{i}"))).collect();
        let before: Vec<NodeId> = keys
            .iter()
            .map(|&k| roster.owner(k, BrokerRole::Broker, 0).unwrap())
            .collect();
        let owned_by_3 = before.iter().filter(|&&o| o == node(3)).count();
        assert!(
            (150..350).contains(&owned_by_3),
            "uneven: {owned_by_3} of 2000"
        );
        roster.suspect(&node(3), None, 1);
        for (key, old) in keys.iter().zip(&before) {
            let new = roster.owner(*key, BrokerRole::Broker, 1).unwrap();
            if *old != node(3) {
                assert_eq!(new, *old);
            } else {
                assert_ne!(new, node(3));
            }
        }
    }

    #[test]
    fn the_roster_is_bounded() {
        let mut roster = Roster::default();
        for n in 0..=MAX_BROKERS as u8 {
            roster.hear(beacon(n, BrokerRole::Broker, 1), 0, 100);
        }
        assert_eq!(roster.entries.len(), MAX_BROKERS);
    }
}
