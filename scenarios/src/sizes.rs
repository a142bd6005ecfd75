//! The size of each message on the wire, for the summary's byte count, measured without
//! encoding each event again for every copy of it.

use std::sync::Arc;

use sift_core::wire::{Message, cbor_len, encoded_len};
use sift_core::{EventId, NodeId, Publication};

/// Measures messages as [`encoded_len`] does. A message carrying an event is measured around a
/// stand-in with an empty event, and the event's own length is added: CBOR encodes a field's
/// value the same wherever it stands, so the sum is exact. Each event is encoded once, where
/// a large run sends hundreds of copies of it; measuring every copy in full was 6% of the
/// simulator's instructions.
#[derive(Debug)]
pub(crate) struct MessageSizes {
    stand_in: Arc<Publication>,
    stand_in_len: usize,
    /// By the scenario's event number, the event's id and the length of its publication;
    /// as long as the scenario has events.
    events: Vec<Option<(EventId, usize)>>,
}

impl MessageSizes {
    pub(crate) fn new(events: usize) -> Self {
        let stand_in = Arc::new(Publication {
            id: EventId {
                origin: NodeId::from_bytes([0; 32]),
                seq: 0,
            },
            published_at: 0,
            event: Default::default(),
        });
        MessageSizes {
            stand_in_len: cbor_len(&*stand_in),
            stand_in,
            events: vec![None; events],
        }
    }

    /// The length of `msg`'s frame. The message is measured with the stand-in in its event's
    /// place and left as it was.
    pub(crate) fn of(&mut self, msg: &mut Message) -> usize {
        let Some(publication) = msg.payload_mut() else {
            return encoded_len(msg);
        };
        let Some(known) = self.events.get_mut(publication.id.seq as usize) else {
            return encoded_len(msg);
        };
        let event_len = match *known {
            Some((id, len)) if id == publication.id => len,
            _ => {
                let len = cbor_len(&**publication);
                *known = Some((publication.id, len));
                len
            }
        };
        let event = std::mem::replace(publication, Arc::clone(&self.stand_in));
        let len = encoded_len(msg) - self.stand_in_len + event_len;
        *msg.payload_mut().expect("it carries an event") = event;
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sift_matcher::{Event, EventLimits};

    fn publication(seq: u64, json: &str) -> Arc<Publication> {
        Arc::new(Publication {
            id: EventId {
                origin: NodeId::from_bytes([9; 32]),
                seq,
            },
            published_at: 1_234_567_890,
            event: Event::from_json(json, &EventLimits::default()).expect("a valid event"),
        })
    }

    #[test]
    fn sizes_equal_the_full_encoding() {
        let mut sizes = MessageSizes::new(4);
        let events = [
            publication(
                0,
                r#"{"price": 101.5, "symbol": "ACME", "tags": ["a", "b"]}"#,
            ),
            publication(3, r#"{"x": {"y": 1, "z": null}}"#),
            // Outside the scenario's numbering: measured in full.
            publication(70_000, r#"{"big": 9007199254740993, "s": "é"}"#),
        ];
        for publication in &events {
            for matched in [vec![], vec![1, 300, 70_000]] {
                let messages = [
                    Message::Routed {
                        publication: Arc::clone(publication),
                        hops: 300,
                        matched,
                    },
                    Message::Flood {
                        publication: Arc::clone(publication),
                        hops: 2,
                    },
                ];
                for mut msg in messages {
                    let before = msg.clone();
                    // Twice: measured, then remembered.
                    assert_eq!(sizes.of(&mut msg), encoded_len(&before));
                    assert_eq!(sizes.of(&mut msg), encoded_len(&before));
                    assert_eq!(msg, before, "the message is left as it was");
                }
            }
        }
        let mut control = Message::Refresh { subs: Vec::new() };
        assert_eq!(sizes.of(&mut control), 2 + cbor_len(&control));
    }
}
