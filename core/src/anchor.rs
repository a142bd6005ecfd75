//! Anchor keys: where a subscription is stored and which places an event must visit, for the
//! strategies that partition subscriptions by key (`hierarchical`, `flat`).
//!
//! The rule, for a filter in normal form (a disjunction of conjunctions, see
//! [`sift_matcher::NormalForm`]): each conjunction gets anchors such that every event it matches
//! carries at least one of them among its [`event_keys`].
//!
//! - A positive equality or in-list on strings, `symbol == "ACME"` or `symbol in ["A", "B"]`,
//!   anchors at `symbol=ACME` (one key per listed value, up to [`MAX_IN_ANCHORS`]): a matching
//!   event has that string among the attribute's values. Values spread popular names over many
//!   keys, so one hot attribute does not land on one broker.
//! - Otherwise any positive predicate anchors at its attribute's name: a predicate holds only
//!   when the attribute is present (the filter language's rule), and an event has a key for
//!   each of its attribute names. Of several, the conjunction takes the one a hash of its
//!   canonical text picks, which spreads subscriptions over names without any shared counts.
//! - A conjunction without a positive predicate (only negations, `!exists(x)`, or a residual
//!   too large to normalize) can match an event that carries no particular key: it anchors at
//!   the wildcard key, which every event visits as well. That costs every event one more place
//!   to visit (measured in docs/compare.md); in exchange no filter the language allows is left
//!   out.
//!
//! Numbers and booleans anchor by name only: `1 == 1.0` under the language's equality, so a
//! value key would have to normalize numbers, and a boolean has two values, which would put
//! every subscription on `flag` onto two brokers anyway.
//!
//! Keys are 64-bit hashes of their text, by FNV-1a with a final mix: every node computes the
//! same keys for the same filter and event, whatever its platform or build.

use sift_matcher::filter::{CmpOp, Test};
use sift_matcher::normal::Atom;
use sift_matcher::{Event, Filter, NormalForm, Value};

/// Most values of one in-list that anchor separately; a longer list anchors at the name.
pub const MAX_IN_ANCHORS: usize = 16;

/// A key of the partitioned key space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub u64);

impl Key {
    /// The key every event visits: home of the filters with no positive anchor.
    pub const WILDCARD: Key = Key(0x5741_4c44_4341_5244);

    /// The key of an attribute's name.
    pub fn name(name: &str) -> Key {
        Key(mix(fnv(fnv(FNV_OFFSET, b"n"), name.as_bytes())))
    }

    /// The key of an attribute holding a string value.
    pub fn value(name: &str, value: &str) -> Key {
        let h = fnv(fnv(FNV_OFFSET, b"v"), name.as_bytes());
        // The separator cannot be confused with a name's bytes: its length is hashed in.
        let h = fnv(h, &(name.len() as u64).to_le_bytes());
        Key(mix(fnv(h, value.as_bytes())))
    }

    /// This key's weight at a node whose id hashes to `node`: the owner of a key is the node
    /// with the highest weight (rendezvous hashing), so removing a node moves only its keys.
    pub fn weight_at(self, node: u64) -> u64 {
        mix(self.0 ^ node)
    }
}

/// The anchors of `filter`, sorted and without repeats; never empty for a filter that can
/// match.
pub fn anchors(filter: &Filter) -> Vec<Key> {
    let mut keys = Vec::new();
    for conjunction in NormalForm::of(filter).conjunctions {
        let positive: Vec<&Atom> = conjunction.atoms.iter().filter(|a| !a.negated).collect();
        let values: Option<Vec<Key>> = positive.iter().find_map(|atom| string_values(atom));
        match values {
            Some(values) => keys.extend(values),
            None if positive.is_empty() => keys.push(Key::WILDCARD),
            None => {
                let pick = mix(fnv(FNV_OFFSET, filter.to_string().as_bytes())) as usize;
                keys.push(Key::name(
                    positive[pick % positive.len()].predicate.path.key(),
                ));
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The value keys of a positive string equality or short in-list of strings.
fn string_values(atom: &Atom) -> Option<Vec<Key>> {
    let name = atom.predicate.path.key();
    let literals: &[Value] = match &atom.predicate.test {
        Test::Cmp(CmpOp::Eq, value) => std::slice::from_ref(value),
        Test::In(values) if values.len() <= MAX_IN_ANCHORS => values,
        _ => return None,
    };
    literals
        .iter()
        .map(|v| v.as_str().map(|s| Key::value(name, s)))
        .collect()
}

/// The keys an event visits: the wildcard, each attribute's name and each string value.
/// Sorted and without repeats.
pub fn event_keys(event: &Event) -> Vec<Key> {
    let mut keys = vec![Key::WILDCARD];
    for attribute in event.attributes() {
        keys.push(Key::name(attribute.name()));
        keys.extend(
            attribute
                .values()
                .iter()
                .filter_map(Value::as_str)
                .map(|s| Key::value(attribute.name(), s)),
        );
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A node id's hash for [`Key::weight_at`].
pub fn node_hash(node: &crate::NodeId) -> u64 {
    mix(fnv(FNV_OFFSET, node.as_bytes()))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// SplitMix64's finalizer: spreads FNV's weak low bits over the whole word.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sift_matcher::EventLimits;

    fn filter(text: &str) -> Filter {
        Filter::parse(text).unwrap()
    }

    fn event(json: &str) -> Event {
        Event::from_json(json, &EventLimits::default()).unwrap()
    }

    #[test]
    fn the_anchor_rules() {
        let acme = Key::value("symbol", "ACME");
        assert_eq!(
            anchors(&filter(r#"symbol == "ACME" && price > 1"#)),
            vec![acme]
        );
        let mut listed = vec![Key::value("symbol", "A"), Key::value("symbol", "B")];
        listed.sort_unstable();
        assert_eq!(anchors(&filter(r#"symbol in ["A", "B"]"#)), listed);
        assert_eq!(anchors(&filter("price > 1")), vec![Key::name("price")]);
        assert_eq!(anchors(&filter("price == 1")), vec![Key::name("price")]);
        assert_eq!(anchors(&filter("!(price > 1)")), vec![Key::WILDCARD]);
        assert_eq!(anchors(&filter("!exists(x)")), vec![Key::WILDCARD]);
        let mut either = vec![Key::name("a"), Key::name("b")];
        either.sort_unstable();
        assert_eq!(anchors(&filter("a > 1 || b < 2")), either);
        assert!(anchors(&filter("false")).is_empty());
    }

    #[test]
    fn names_and_values_do_not_collide() {
        assert_ne!(Key::name("a"), Key::value("a", ""));
        assert_ne!(Key::value("a=b", "c"), Key::value("a", "b=c"));
        assert_ne!(Key::name("x"), Key::WILDCARD);
    }

    /// The rule's promise: an event a filter matches carries one of the filter's anchors.
    #[test]
    fn a_matching_event_carries_an_anchor() {
        let cases = [
            (
                r#"symbol == "ACME" && price > 1"#,
                r#"{"symbol": "ACME", "price": 2}"#,
            ),
            (r#"tags in ["x", "y"]"#, r#"{"tags": ["q", "y"]}"#),
            ("!(price > 1)", r#"{"volume": 3}"#),
            ("a > 1 || b < 2", r#"{"b": 1}"#),
            (
                r#"a > 1 && (b == "u" || c == "v")"#,
                r#"{"a": 2, "c": "v"}"#,
            ),
        ];
        for (text, json) in cases {
            let (filter, event) = (filter(text), event(json));
            assert!(filter.matches(&event), "{text} should match {json}");
            let keys = event_keys(&event);
            assert!(
                anchors(&filter)
                    .iter()
                    .any(|a| keys.binary_search(a).is_ok()),
                "{text}: no anchor among the keys of {json}"
            );
        }
    }

    /// The same promise over the market workload, which has every kind of predicate:
    /// equalities, in-lists, ranges, prefixes, regexes and negations.
    #[test]
    fn market_subscriptions_are_found_by_the_events_they_match() {
        use rand::SeedableRng;
        use sift_matcher::workload::{MarketWorkload, WorkloadRng};
        let market = MarketWorkload::default().build();
        let mut rng = WorkloadRng::seed_from_u64(7);
        let filters: Vec<(Filter, Vec<Key>)> = (0..2_000)
            .map(|_| {
                let filter = filter(&market.subscription(&mut rng));
                let anchors = anchors(&filter);
                (filter, anchors)
            })
            .collect();
        let mut matched = 0;
        for _ in 0..300 {
            let event = market.event(&mut rng);
            let keys = event_keys(&event);
            for (filter, anchors) in &filters {
                if filter.matches(&event) {
                    matched += 1;
                    assert!(
                        anchors.iter().any(|a| keys.binary_search(a).is_ok()),
                        "{filter} matches an event carrying none of its anchors"
                    );
                }
            }
        }
        assert!(
            matched > 100,
            "only {matched} matches: the check proved little"
        );
    }
}
