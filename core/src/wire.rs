//! The wire: one versioned message enum, CBOR-encoded.
//!
//! A frame is a two-byte big-endian version followed by the CBOR encoding of one [`Message`].
//! The decoder refuses a frame longer than its limit before reading any of it (the transport
//! reads the length prefix first and never allocates more than the limit), refuses an unknown
//! version by number, and decodes events under the event limits, so no peer can make a node
//! allocate beyond what the limits allow or panic.

use std::io;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sift_matcher::{EventError, EventLimits, event::take_scoped_error};

use crate::brokers::Beacon;
use crate::gossip::Exchange;
use crate::id::{EventId, NodeId, SubId};
use crate::keyspace::Key;
use crate::membership::MembershipMessage;
use crate::routes::{RouteAnnouncement, RouteId, RouteTag};
use crate::selective::Announcement;
use crate::strategy::Publication;
use crate::tree::TreeOffer;

/// The version this build speaks. Version 2 counts hops on every event and adds the gossip
/// protocols' messages; version 3 adds the broker architectures'; version 4 the `dht`'s.
pub const VERSION: u16 = 4;

/// Longest frame accepted by default: an event at the default event limit plus headers.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

/// Everything peers send each other.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Message {
    Membership(MembershipMessage),
    /// A flooded event and the hops it has travelled.
    Flood {
        publication: Arc<Publication>,
        hops: u16,
    },
    /// The sender's place in the spanning tree (`selective`).
    Tree(TreeOffer),
    /// Subscriptions of the sender's subtree, for its parent. `tree_version` is the version
    /// of the sender's latest tree offer when it sent this: an announcement overtaken by an
    /// offer saying the receiver is no longer the sender's parent is stale.
    Announce {
        tree_version: u64,
        subs: Vec<Announcement>,
    },
    /// Subscriptions the sender no longer has.
    Retract {
        subs: Vec<SubId>,
    },
    /// Subscriptions whose leases the sender renews.
    Refresh {
        subs: Vec<SubId>,
    },
    /// Refreshed subscriptions the receiver of the refresh did not know: announce them again.
    Unknown {
        subs: Vec<SubId>,
    },
    /// An event routed by content, and the hops it has travelled. `matched` (`selective`,
    /// from a parent to a child; empty otherwise): the receiver's announced routes the event
    /// matched at the sender, by the tags the receiver gave them, so that the receiver need
    /// not match it against them again.
    Routed {
        publication: Arc<Publication>,
        hops: u16,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        matched: Vec<RouteTag>,
    },
    /// An event pushed by a gossip protocol: a rumor, the blind counter's forward, pbcast's
    /// first phase, Plumtree's eager push or graft answer.
    Gossip {
        publication: Arc<Publication>,
        hops: u16,
    },
    /// Rumor feedback: the sender already knew the event pushed to it.
    Known {
        event: EventId,
    },
    /// Anti-entropy: the newest events the sender holds, and which way to make up the
    /// difference.
    Digest {
        ids: Vec<EventId>,
        exchange: Exchange,
    },
    /// Anti-entropy: events of a digest the sender lacks.
    Want {
        ids: Vec<EventId>,
    },
    /// Anti-entropy: an event sent in answer to a digest or a want.
    Repair {
        publication: Arc<Publication>,
        hops: u16,
    },
    /// Plumtree: events the sender took in, with the hops they would have here.
    IHave {
        events: Vec<(EventId, u16)>,
    },
    /// Plumtree: send this event, and make the link eager.
    Graft {
        event: EventId,
    },
    /// Plumtree: make the link lazy.
    Prune,
    /// A broker's beacon, flooded over the overlay.
    Beacon(Beacon),
    /// A node failed to reach `broker` since its beacon `seq`, flooded over the overlay.
    BrokerDown {
        broker: NodeId,
        seq: u64,
    },
    /// Subscriptions of the sender's clients, for the receiving broker to hold.
    Store {
        subs: Vec<Announcement>,
    },
    /// An event for the central broker or the master, and the hops it has travelled.
    Publish {
        publication: Arc<Publication>,
        hops: u16,
    },
    /// An event for a broker to match against the subscriptions it holds.
    Match {
        publication: Arc<Publication>,
        hops: u16,
    },
    /// An event for a node one of whose subscriptions it matched.
    Notify {
        publication: Arc<Publication>,
        hops: u16,
    },
    /// A Kademlia lookup's question: which peers the receiver holds closest to `target`. The
    /// answer names the same `query`.
    FindNode {
        query: u64,
        target: Key,
    },
    /// The answer to [`Message::FindNode`]: peers closest to its target, closest first.
    Nodes {
        query: u64,
        closest: Vec<NodeId>,
    },
    /// Subscriptions routed toward their rendezvous keys, for the next hop to hold.
    Join {
        routes: Vec<RouteAnnouncement>,
    },
    /// Routes the sender no longer has.
    Leave {
        routes: Vec<RouteId>,
    },
    /// Routes whose leases the sender renews.
    Renew {
        routes: Vec<RouteId>,
    },
    /// Renewed routes the receiver did not hold: join them again.
    Unrenewed {
        routes: Vec<RouteId>,
    },
    /// An event on its way to the rendezvous of `key`, and the hops it has travelled.
    Toward {
        key: Key,
        publication: Arc<Publication>,
        hops: u16,
    },
}

/// The event field of the messages that carry one, by reference or mutably alike.
macro_rules! payload_of {
    ($msg:expr) => {
        match $msg {
            Message::Flood { publication, .. }
            | Message::Routed { publication, .. }
            | Message::Gossip { publication, .. }
            | Message::Repair { publication, .. }
            | Message::Publish { publication, .. }
            | Message::Match { publication, .. }
            | Message::Notify { publication, .. }
            | Message::Toward { publication, .. } => Some(publication),
            _ => None,
        }
    };
}

impl Message {
    /// The event the message carries, if it carries one (as opposed to membership, routing
    /// or gossip control).
    pub fn payload(&self) -> Option<&Arc<Publication>> {
        payload_of!(self)
    }

    /// [`Message::payload`], to replace.
    pub fn payload_mut(&mut self) -> Option<&mut Arc<Publication>> {
        payload_of!(self)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    Oversize { len: usize, max: usize },
    #[error("frame of {0} bytes is too short to hold a version")]
    Truncated(usize),
    #[error("wire version {found} is not supported (this node speaks version {VERSION})")]
    UnknownVersion { found: u16 },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("event in message: {0}")]
    Event(EventError),
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
}

/// The encoding of `msg` as a frame.
pub fn encode(msg: &Message) -> Vec<u8> {
    let mut frame = VERSION.to_be_bytes().to_vec();
    // Writing into memory cannot fail and every message is representable.
    ciborium::ser::into_writer(msg, &mut frame).expect("CBOR encoding into memory");
    frame
}

/// The length [`encode`] would produce, without building the frame.
pub fn encoded_len(msg: &Message) -> usize {
    2 + cbor_len(msg)
}

/// The length of `value`'s CBOR encoding. CBOR encodes a value the same wherever it stands, so
/// inside a message it takes this many bytes too.
pub fn cbor_len(value: &impl Serialize) -> usize {
    let mut counter = ByteCounter(0);
    ciborium::ser::into_writer(value, &mut counter).expect("CBOR encoding into a counter");
    counter.0
}

struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decodes one frame of at most `max_frame` bytes; events inside are held to `limits`.
pub fn decode(
    frame: &[u8],
    max_frame: usize,
    limits: &EventLimits,
) -> Result<Message, DecodeError> {
    if frame.len() > max_frame {
        return Err(DecodeError::Oversize {
            len: frame.len(),
            max: max_frame,
        });
    }
    let Some((version, mut body)) = frame.split_first_chunk::<2>() else {
        return Err(DecodeError::Truncated(frame.len()));
    };
    let found = u16::from_be_bytes(*version);
    if found != VERSION {
        return Err(DecodeError::UnknownVersion { found });
    }
    let msg = limits
        .scope(|| ciborium::de::from_reader::<Message, _>(&mut body))
        .map_err(|error| match take_scoped_error() {
            Some(event_error) => DecodeError::Event(event_error),
            None => DecodeError::Malformed(error.to_string()),
        })?;
    if !body.is_empty() {
        return Err(DecodeError::Trailing(body.len()));
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{EventId, NodeId};
    use sift_matcher::Event;

    fn flood() -> Message {
        let event = Event::from_json(
            r#"{"symbol": "ACME", "price": 101.5, "tags": ["a", "b"], "book": {"bid": 3}}"#,
            &EventLimits::default(),
        )
        .unwrap();
        Message::Flood {
            publication: Arc::new(Publication {
                id: EventId {
                    origin: NodeId::from_bytes([9; 32]),
                    seq: 42,
                },
                published_at: 1_234_567,
                event,
            }),
            hops: 7,
        }
    }

    fn routed(matched: Vec<RouteTag>) -> Message {
        let Message::Flood { publication, hops } = flood() else {
            unreachable!("flood() builds a flood message")
        };
        Message::Routed {
            publication,
            hops,
            matched,
        }
    }

    fn membership() -> Message {
        Message::Membership(MembershipMessage::Shuffle {
            origin: NodeId::from_bytes([3; 32]),
            ttl: 2,
            nodes: vec![NodeId::from_bytes([4; 32]), NodeId::from_bytes([5; 32])],
        })
    }

    #[test]
    fn messages_round_trip() {
        for msg in [
            flood(),
            routed(Vec::new()),
            routed(vec![0, 23, 1 << 40]),
            membership(),
            Message::Membership(MembershipMessage::Ping),
        ] {
            let frame = encode(&msg);
            assert_eq!(frame.len(), encoded_len(&msg));
            let back = decode(&frame, DEFAULT_MAX_FRAME, &EventLimits::default()).unwrap();
            assert_eq!(back, msg);
        }
    }

    #[test]
    fn lists_of_matched_routes_cost_a_few_bytes_and_none_when_empty() {
        // An empty list is left out: the message is a flood's but for the variant's name.
        let bare = encoded_len(&routed(Vec::new()));
        assert_eq!(bare, encoded_len(&flood()) + "Routed".len() - "Flood".len());
        // The field's name, the array's header and a byte per small tag.
        let listed = encoded_len(&routed(vec![1, 2, 3]));
        assert_eq!(listed, bare + 1 + "matched".len() + 1 + 3);
    }

    #[test]
    fn bad_frames_are_refused_with_the_reason() {
        let limits = EventLimits::default();
        let frame = encode(&flood());
        assert_eq!(
            decode(&frame, 10, &limits),
            Err(DecodeError::Oversize {
                len: frame.len(),
                max: 10
            })
        );
        assert_eq!(decode(&[1], 100, &limits), Err(DecodeError::Truncated(1)));
        let mut future = frame.clone();
        future[..2].copy_from_slice(&(VERSION + 1).to_be_bytes());
        assert_eq!(
            decode(&future, DEFAULT_MAX_FRAME, &limits),
            Err(DecodeError::UnknownVersion { found: VERSION + 1 })
        );
        let mut trailing = frame.clone();
        trailing.push(0);
        assert_eq!(
            decode(&trailing, DEFAULT_MAX_FRAME, &limits),
            Err(DecodeError::Trailing(1))
        );
        for cut in 2..frame.len() {
            assert!(decode(&frame[..cut], DEFAULT_MAX_FRAME, &limits).is_err());
        }
    }

    #[test]
    fn events_inside_are_held_to_the_limits() {
        let frame = encode(&flood());
        let tight = EventLimits {
            max_attributes: 1,
            ..EventLimits::default()
        };
        assert!(matches!(
            decode(&frame, DEFAULT_MAX_FRAME, &tight),
            Err(DecodeError::Event(_))
        ));
    }

    #[test]
    fn a_wrong_key_length_is_malformed() {
        let mut frame = VERSION.to_be_bytes().to_vec();
        let bogus = ciborium::Value::Map(vec![(
            ciborium::Value::Text("Membership".into()),
            ciborium::Value::Map(vec![(
                ciborium::Value::Text("ForwardJoin".into()),
                ciborium::Value::Map(vec![
                    (
                        ciborium::Value::Text("joiner".into()),
                        ciborium::Value::Bytes(vec![1, 2, 3]),
                    ),
                    (
                        ciborium::Value::Text("ttl".into()),
                        ciborium::Value::Integer(1.into()),
                    ),
                ]),
            )]),
        )]);
        ciborium::ser::into_writer(&bogus, &mut frame).unwrap();
        assert!(matches!(
            decode(&frame, DEFAULT_MAX_FRAME, &EventLimits::default()),
            Err(DecodeError::Malformed(_))
        ));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::brokers::BrokerRole;
    use crate::id::NodeId;
    use crate::selective::Announcement;
    use crate::tree::TreeOffer;
    use proptest::prelude::*;

    fn node() -> impl Strategy<Value = NodeId> {
        any::<[u8; 32]>().prop_map(NodeId::from_bytes)
    }

    fn sub() -> impl Strategy<Value = SubId> {
        (node(), any::<u64>()).prop_map(|(origin, seq)| SubId { origin, seq })
    }

    fn key() -> impl Strategy<Value = Key> {
        any::<[u8; 32]>().prop_map(Key)
    }

    fn route() -> impl Strategy<Value = RouteId> {
        (sub(), key()).prop_map(|(sub, key)| RouteId { sub, key })
    }

    fn event_id() -> impl Strategy<Value = EventId> {
        (node(), any::<u64>()).prop_map(|(origin, seq)| EventId { origin, seq })
    }

    fn announcements() -> impl Strategy<Value = Vec<Announcement>> {
        let announcement = (
            sub(),
            "\\PC{0,40}",
            any::<Option<u64>>(),
            any::<Option<RouteTag>>(),
        );
        prop::collection::vec(announcement, 0..6).prop_map(|subs| {
            subs.into_iter()
                .map(|(id, filter, expires_in, tag)| Announcement {
                    id,
                    filter: filter.into(),
                    expires_in,
                    tag,
                })
                .collect()
        })
    }

    fn message() -> impl Strategy<Value = Message> {
        prop_oneof![
            (
                node(),
                any::<u64>(),
                any::<u64>(),
                any::<u16>(),
                any::<bool>()
            )
                .prop_map(|(root, version, seq, dist, parent)| Message::Tree(
                    TreeOffer {
                        version,
                        root,
                        seq,
                        dist,
                        parent,
                    }
                )),
            (node(), any::<u8>(), prop::collection::vec(node(), 0..8)).prop_map(
                |(origin, ttl, nodes)| Message::Membership(MembershipMessage::Shuffle {
                    origin,
                    ttl,
                    nodes,
                })
            ),
            (any::<u64>(), announcements())
                .prop_map(|(tree_version, subs)| { Message::Announce { tree_version, subs } }),
            prop::collection::vec(sub(), 0..10).prop_map(|subs| Message::Retract { subs }),
            (
                prop::collection::vec(event_id(), 0..10),
                prop::sample::select(vec![Exchange::Push, Exchange::Pull, Exchange::PushPull])
            )
                .prop_map(|(ids, exchange)| Message::Digest { ids, exchange }),
            prop::collection::vec(event_id(), 0..10).prop_map(|ids| Message::Want { ids }),
            prop::collection::vec((event_id(), any::<u16>()), 0..10)
                .prop_map(|events| Message::IHave { events }),
            event_id().prop_map(|event| Message::Graft { event }),
            event_id().prop_map(|event| Message::Known { event }),
            Just(Message::Prune),
            (
                node(),
                prop::sample::select(vec![BrokerRole::Broker, BrokerRole::Master]),
                any::<u64>(),
                any::<u64>()
            )
                .prop_map(|(broker, role, seq, since)| Message::Beacon(Beacon {
                    broker,
                    role,
                    seq,
                    since
                })),
            (node(), any::<u64>()).prop_map(|(broker, seq)| Message::BrokerDown { broker, seq }),
            announcements().prop_map(|subs| Message::Store { subs }),
            (any::<u64>(), key()).prop_map(|(query, target)| Message::FindNode { query, target }),
            (any::<u64>(), prop::collection::vec(node(), 0..20))
                .prop_map(|(query, closest)| Message::Nodes { query, closest }),
            (announcements(), prop::collection::vec(key(), 6)).prop_map(|(subs, keys)| {
                let routes = subs
                    .into_iter()
                    .zip(keys)
                    .map(|(sub, key)| RouteAnnouncement { key, sub })
                    .collect();
                Message::Join { routes }
            }),
            prop::collection::vec(route(), 0..10).prop_map(|routes| Message::Leave { routes }),
            prop::collection::vec(route(), 0..10).prop_map(|routes| Message::Renew { routes }),
            prop::collection::vec(route(), 0..10).prop_map(|routes| Message::Unrenewed { routes }),
        ]
    }

    proptest! {
        #[test]
        fn every_message_survives_the_wire(msg in message()) {
            let frame = encode(&msg);
            prop_assert_eq!(frame.len(), encoded_len(&msg));
            let back = decode(&frame, DEFAULT_MAX_FRAME, &EventLimits::default()).unwrap();
            prop_assert_eq!(back, msg);
        }
    }
}
