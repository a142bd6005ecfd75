//! sift's structured overlay, pure like the core: the XOR keyspace of Kademlia, and the
//! k-bucket routing table a node picks its next hops from.
//!
//! Keys are the ones libp2p's Kademlia uses: the SHA-256 digest of a peer id's bytes for a
//! node, of the content's bytes for content. A sift node's peer id is fixed by its ed25519
//! key, so the core computes a node's key from its [`sift_core::NodeId`] alone, and the
//! daemon's Kademlia buckets and this crate's tables order peers the same way.

pub mod key;
pub mod table;

pub use key::{Distance, Key};
pub use table::{Inserted, RoutingTable};
