//! Node ids and peer ids: a node's id in the core is its ed25519 public key, so each maps to
//! the other without a table.

use std::fmt::Write;

use libp2p::PeerId;
use libp2p::identity::{PublicKey, ed25519};
use sift_core::{EventId, NodeId, SubId};

/// The core id of `peer`, if its key is ed25519 (every sift node's is; another peer's is
/// ignored).
pub(crate) fn node_id(peer: &PeerId) -> Option<NodeId> {
    let multihash = peer.as_ref();
    // Ed25519 keys are short enough to be inlined in the peer id (the identity multihash).
    if multihash.code() != 0 {
        return None;
    }
    let key = PublicKey::try_decode_protobuf(multihash.digest()).ok()?;
    Some(NodeId::from_bytes(key.try_into_ed25519().ok()?.to_bytes()))
}

/// The peer id of a core id, if it is a valid ed25519 key.
pub(crate) fn peer_id(node: &NodeId) -> Option<PeerId> {
    let key = ed25519::PublicKey::try_from_bytes(node.as_bytes()).ok()?;
    Some(PublicKey::from(key).to_peer_id())
}

/// An event's id as the API and traces show it: the origin's whole key in hex, then the
/// sequence number, so ids from different nodes never collide.
pub(crate) fn event_id_text(id: &EventId) -> String {
    id_text(&id.origin, id.seq)
}

/// A subscription's id in traces, unique across nodes like [`event_id_text`].
pub(crate) fn sub_id_text(id: &SubId) -> String {
    id_text(&id.origin, id.seq)
}

fn id_text(origin: &NodeId, seq: u64) -> String {
    let mut text = String::with_capacity(64 + 21);
    for byte in origin.as_bytes() {
        let _ = write!(text, "{byte:02x}");
    }
    let _ = write!(text, ":{seq}");
    text
}

#[cfg(test)]
mod tests {
    use libp2p::identity::Keypair;

    use super::*;

    #[test]
    fn ids_map_both_ways() {
        let peer = Keypair::generate_ed25519().public().to_peer_id();
        let node = node_id(&peer).expect("an ed25519 peer");
        assert_eq!(peer_id(&node), Some(peer));
        assert_eq!(node_id(&PeerId::random()), None, "not an ed25519 key");
    }

    /// The dht core orders peers by the keys Kademlia computes from their peer ids, so the
    /// daemon's buckets and the core's next hops agree on who is closest.
    #[test]
    fn the_dht_key_of_a_node_is_kademlias_key_of_its_peer_id() {
        for _ in 0..20 {
            let peer = Keypair::generate_ed25519().public().to_peer_id();
            let node = node_id(&peer).expect("an ed25519 peer");
            let kad = libp2p::kad::KBucketKey::from(peer);
            assert_eq!(&sift_dht::Key::of_node(&node).0[..], kad.hashed_bytes());
        }
    }
}
