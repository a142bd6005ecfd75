//! Kademlia's keyspace: 256-bit keys and their XOR distance.
//!
//! Keys are the ones libp2p's Kademlia uses: the SHA-256 digest of a peer id's bytes for a
//! node, of the content's bytes for content. A sift node's peer id is fixed by its ed25519
//! key, so a node's key follows from its [`NodeId`] alone, and the daemon's Kademlia buckets
//! and the `dht` strategy's table order peers the same way. The keyspace lives in the core
//! rather than in sift-dht because the wire messages carry keys.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::id::{Bytes32, NodeId};

/// A point of the keyspace. Encoded on the wire as a 32-byte string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub [u8; 32]);

/// The XOR of two keys, ordered as a 256-bit big-endian number: smaller is closer.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Distance(pub [u8; 32]);

/// The bytes of an ed25519 peer id before the key: the identity multihash (code 0, length 36)
/// of the protobuf-encoded public key (field 1, key type 1 = Ed25519; field 2, 32 bytes).
const PEER_ID_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

impl Key {
    /// The key of a node: SHA-256 of its peer id's bytes, as Kademlia computes it.
    pub fn of_node(node: &NodeId) -> Key {
        let mut hasher = Sha256::new();
        hasher.update(PEER_ID_PREFIX);
        hasher.update(node.as_bytes());
        Key(hasher.finalize().into())
    }

    /// The key of some content: SHA-256 of its bytes.
    pub fn of_content(bytes: &[u8]) -> Key {
        Key(Sha256::digest(bytes).into())
    }

    pub fn distance(&self, other: &Key) -> Distance {
        let mut xor = [0u8; 32];
        for (d, (a, b)) in xor.iter_mut().zip(self.0.iter().zip(other.0)) {
            *d = a ^ b;
        }
        Distance(xor)
    }
}

/// The first eight hex digits, as logs want them.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(")?;
        for byte in &self.0[..4] {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_bytes(Bytes32("a 32-byte key"))
            .map(Key)
    }
}

impl Distance {
    /// The index of the k-bucket a key at this distance falls in: 255 for the farthest half
    /// of the keyspace, 0 for the closest non-zero distance; `None` for the key itself.
    pub fn bucket(&self) -> Option<usize> {
        let leading = self
            .0
            .iter()
            .position(|&b| b != 0)
            .map(|i| i * 8 + self.0[i].leading_zeros() as usize)?;
        Some(255 - leading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_symmetric_and_bucketed_by_the_first_differing_bit() {
        let a = Key([0; 32]);
        let mut far = [0; 32];
        far[0] = 0x80;
        let mut near = [0; 32];
        near[31] = 1;
        assert_eq!(a.distance(&a).bucket(), None);
        assert_eq!(a.distance(&Key(far)).bucket(), Some(255));
        assert_eq!(a.distance(&Key(near)).bucket(), Some(0));
        assert_eq!(a.distance(&Key(far)), Key(far).distance(&a));
        assert!(a.distance(&Key(near)) < a.distance(&Key(far)));
    }

    #[test]
    fn content_keys_are_sha256() {
        // SHA-256 of the empty string.
        assert_eq!(Key::of_content(b"").0[..4], [0xe3, 0xb0, 0xc4, 0x42],);
    }
}
