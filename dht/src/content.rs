//! Rendezvous keys: where a subscription's trees are rooted and which rendezvous an event
//! visits.
//!
//! The anchors are the core's ([`sift_core::anchor`]): a string equality or short in-list
//! anchors at `name=value`, any other positive predicate at its attribute's name, a filter with
//! no positive predicate at the wildcard; an event carries the wildcard, each attribute's
//! name and each string value, so every event a filter matches carries one of the filter's
//! anchors. Each anchor is a point of the keyspace: SHA-256 of its 64-bit hash and a replica
//! number. A subscription joins the tree of every replica of each of its anchors; an event
//! visits one replica of each of its anchors, picked by its id, so with `r` replicas a
//! popular anchor's events spread over `r` rendezvous nodes.

use sift_core::anchor::{self, anchors, node_hash};
use sift_core::keyspace::Key;
use sift_core::{EventId, Publication};
use sift_matcher::Filter;

/// The rendezvous keys of `filter`'s trees, sorted.
pub fn filter_keys(filter: &Filter, replicas: u8) -> Vec<Key> {
    let mut keys: Vec<Key> = anchors(filter)
        .into_iter()
        .flat_map(|anchor| (0..replicas.max(1)).map(move |r| point(anchor, r)))
        .collect();
    keys.sort_unstable();
    keys
}

/// The rendezvous keys `publication` visits, sorted.
pub fn event_keys(publication: &Publication, replicas: u8) -> Vec<Key> {
    let replica = replica_of(&publication.id, replicas);
    let mut keys: Vec<Key> = anchor::event_keys(&publication.event)
        .into_iter()
        .map(|anchor| point(anchor, replica))
        .collect();
    keys.sort_unstable();
    keys
}

/// Successive events of one publisher take the replicas in turn.
fn replica_of(event: &EventId, replicas: u8) -> u8 {
    let replicas = u64::from(replicas.max(1));
    ((node_hash(&event.origin) ^ event.seq) % replicas) as u8
}

fn point(anchor: anchor::Key, replica: u8) -> Key {
    let mut bytes = [0u8; 9];
    bytes[..8].copy_from_slice(&anchor.0.to_be_bytes());
    bytes[8] = replica;
    Key::of_content(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sift_core::NodeId;
    use sift_matcher::Event;

    fn publication(json: &str, seq: u64) -> Publication {
        Publication {
            id: EventId {
                origin: NodeId::from_bytes([3; 32]),
                seq,
            },
            published_at: 0,
            event: Event::from_json(json, &Default::default()).unwrap(),
        }
    }

    #[test]
    fn a_matching_event_visits_one_replica_of_some_anchor() {
        let filter = Filter::parse(r#"symbol == "ACME" && price > 10"#).unwrap();
        for replicas in [1, 4] {
            let joined = filter_keys(&filter, replicas);
            assert_eq!(joined.len(), usize::from(replicas));
            for seq in 0..8 {
                let event = publication(r#"{"symbol": "ACME", "price": 12}"#, seq);
                let visited = event_keys(&event, replicas);
                assert_eq!(visited.iter().filter(|k| joined.contains(k)).count(), 1);
            }
        }
    }

    #[test]
    fn replicas_take_turns() {
        let picked: std::collections::BTreeSet<u8> = (0..8)
            .map(|seq| replica_of(&publication("{}", seq).id, 4))
            .collect();
        assert_eq!(picked.len(), 4);
    }
}
