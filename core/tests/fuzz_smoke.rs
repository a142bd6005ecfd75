//! The wire fuzz body over generated and hostile frames, so CI exercises it without a fuzzer.

use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sift_core::fuzzing::wire_frame;
use sift_core::gossip::Exchange;
use sift_core::membership::MembershipMessage;
use sift_core::selective::Announcement;
use sift_core::tree::TreeOffer;
use sift_core::wire::{VERSION, encode};
use sift_core::{EventId, Message, NodeId, Publication, SubId};
use sift_matcher::workload::MarketWorkload;

fn valid_frames(rng: &mut ChaCha8Rng) -> Vec<Vec<u8>> {
    let market = MarketWorkload::default().build();
    let node = NodeId::random(rng);
    let sub = SubId {
        origin: node,
        seq: 7,
    };
    let publication = Arc::new(Publication {
        id: EventId {
            origin: node,
            seq: 3,
        },
        published_at: 99,
        event: market.event(rng),
    });
    let messages = [
        Message::Membership(MembershipMessage::Join),
        Message::Membership(MembershipMessage::Shuffle {
            origin: node,
            ttl: 3,
            nodes: vec![node; 5],
        }),
        Message::Flood {
            publication: Arc::clone(&publication),
            hops: 9,
        },
        Message::Gossip {
            publication: Arc::clone(&publication),
            hops: 2,
        },
        Message::Digest {
            ids: vec![publication.id; 3],
            exchange: Exchange::PushPull,
        },
        Message::IHave {
            events: vec![(publication.id, 4)],
        },
        Message::Routed {
            publication: Arc::clone(&publication),
            hops: 1,
            matched: Vec::new(),
        },
        Message::Routed {
            publication,
            hops: 2,
            matched: vec![0, 7, 1 << 40],
        },
        Message::Tree(TreeOffer {
            version: 5,
            root: node,
            seq: 2,
            dist: 3,
            parent: true,
        }),
        Message::Announce {
            tree_version: 4,
            subs: vec![Announcement {
                id: sub,
                filter: market.subscription(rng).into(),
                expires_in: Some(1_000),
                tag: Some(12),
            }],
        },
        Message::Retract { subs: vec![sub; 3] },
        Message::Refresh { subs: vec![sub] },
        Message::Unknown { subs: vec![sub] },
    ];
    messages.iter().map(encode).collect()
}

#[test]
fn valid_frames_changed_and_cut_short() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for frame in valid_frames(&mut rng) {
        wire_frame(&frame);
        for cut in 0..frame.len() {
            wire_frame(&frame[..cut]);
        }
        for _ in 0..300 {
            let mut changed = frame.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..changed.len());
                changed[at] = rng.random();
            }
            wire_frame(&changed);
        }
    }
}

#[test]
fn random_and_hostile_bytes() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for _ in 0..2_000 {
        let len = rng.random_range(0..64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if rng.random_bool(0.5) && bytes.len() >= 2 {
            bytes[..2].copy_from_slice(&VERSION.to_be_bytes());
        }
        wire_frame(&bytes);
    }
    let version = VERSION.to_be_bytes();
    // A byte string, an array and a map claiming 2^64 - 1 entries; a text string claiming
    // exabytes; nesting deeper than any decoder's stack.
    for body in [
        vec![0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        vec![0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        vec![0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        vec![0x7b, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00],
        vec![0x81; 100_000],
        vec![0xa1; 100_000],
    ] {
        let mut frame = version.to_vec();
        frame.extend(body);
        wire_frame(&frame);
    }
}
