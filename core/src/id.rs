//! Identifiers: 256-bit node keys, and event and subscription ids made unique by their origin.

use std::fmt;

use rand::RngExt;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A node's key in the overlay: 256 bits, drawn from the seed in the simulator and derived from
/// the libp2p peer id in the daemon. Encoded on the wire as a 32-byte string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId([u8; 32]);

impl NodeId {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        NodeId(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key drawn from `rng`.
    pub fn random(rng: &mut impl rand::Rng) -> Self {
        NodeId(rng.random())
    }
}

/// The first eight hex digits, as logs want them.
impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0[..4] {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({self})")
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_bytes(Bytes32("a 32-byte node key"))
            .map(NodeId)
    }
}

/// Reads the 32-byte string a 256-bit key is encoded as; `.0` names what is expected.
pub(crate) struct Bytes32(pub(crate) &'static str);

impl Visitor<'_> for Bytes32 {
    type Value = [u8; 32];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<[u8; 32], E> {
        bytes
            .try_into()
            .map_err(|_| E::invalid_length(bytes.len(), &self))
    }
}

/// An event's id: the node it was published at and that node's sequence number, so ids are
/// unique without coordination and a receiver can suppress duplicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId {
    pub origin: NodeId,
    pub seq: u64,
}

/// A subscription's id: the node its subscriber is attached to and that node's sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubId {
    pub origin: NodeId,
    pub seq: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.origin, self.seq)
    }
}

impl fmt::Display for SubId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.origin, self.seq)
    }
}
