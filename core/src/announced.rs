//! A filter as peers announce it: its canonical text, which is what travels, and its parse,
//! made at most once however many nodes of one process take in the same announcement.
//!
//! Every node that learns a subscription parses its filter, and in a routing tree the same
//! announcement climbs many hops. The daemon decodes a fresh announcement at every hop, so it
//! parses once per hop whatever this type does; the simulator hands the very value a node
//! sent to the next one, and a node that passes on an announcement in the input that brought
//! it passes on this value too ([`Relayed`]), so the simulator parses an announcement once as
//! it climbs instead of once per hop. (What a node announces later, after its parent changed
//! or a covering filter went away, it builds from the text and the next node parses again.) A
//! node keeps only the text of what it learned, and the parse lives only as long as some
//! message or input holds the value, so sharing costs no memory per route.

use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

use foldhash::HashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sift_matcher::{Filter, FilterLimits};

/// A filter's canonical text and, once asked for, its parse with the default limits (what
/// every node holds peers' filters to). Equal when the texts are; on the wire, the text alone.
#[derive(Clone)]
pub struct AnnouncedFilter(Arc<Announced>);

struct Announced {
    text: Arc<str>,
    /// `None` inside: the text does not parse.
    parsed: OnceLock<Option<Filter>>,
}

impl AnnouncedFilter {
    pub fn new(text: Arc<str>) -> Self {
        AnnouncedFilter(Arc::new(Announced {
            text,
            parsed: OnceLock::new(),
        }))
    }

    pub fn text(&self) -> &Arc<str> {
        &self.0.text
    }

    /// The filter, parsed on the first call; `None` when the text does not parse within the
    /// default limits.
    pub fn filter(&self) -> Option<&Filter> {
        self.0
            .parsed
            .get_or_init(|| Filter::parse_with(&self.0.text, &FilterLimits::default()).ok())
            .as_ref()
    }
}

/// The announcements a node took in during one input, by route, so that one it passes on in
/// the same input goes on as it came, parse included. [`Relayed::forget`] at the end of every
/// input: no parse outlives the input here, and the table's memory goes with it. At most one
/// batch of announcements per input, so bounded like a batch.
#[derive(Debug)]
pub struct Relayed<K>(HashMap<K, AnnouncedFilter>);

impl<K: Hash + Eq> Default for Relayed<K> {
    fn default() -> Self {
        Relayed(HashMap::default())
    }
}

impl<K: Hash + Eq> Relayed<K> {
    /// Remembers that `route`'s announcement came in as `filter` (and was learned).
    pub fn took_in(&mut self, route: K, filter: &AnnouncedFilter) {
        self.0.insert(route, filter.clone());
    }

    /// What to announce for `route`, whose learned text is `text`: the value taken in when it
    /// carries this very text, else a new one.
    pub fn announce(&self, route: &K, text: &Arc<str>) -> AnnouncedFilter {
        match self.0.get(route) {
            Some(relayed) if Arc::ptr_eq(relayed.text(), text) => relayed.clone(),
            _ => AnnouncedFilter::new(Arc::clone(text)),
        }
    }

    /// Drops everything, allocation included.
    pub fn forget(&mut self) {
        self.0 = HashMap::default();
    }
}

impl From<Arc<str>> for AnnouncedFilter {
    fn from(text: Arc<str>) -> Self {
        AnnouncedFilter::new(text)
    }
}

impl From<String> for AnnouncedFilter {
    fn from(text: String) -> Self {
        AnnouncedFilter::new(text.into())
    }
}

impl From<&str> for AnnouncedFilter {
    fn from(text: &str) -> Self {
        AnnouncedFilter::new(text.into())
    }
}

impl PartialEq for AnnouncedFilter {
    fn eq(&self, other: &Self) -> bool {
        self.0.text == other.0.text
    }
}

impl Eq for AnnouncedFilter {}

impl fmt::Debug for AnnouncedFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.text, f)
    }
}

impl Serialize for AnnouncedFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.text)
    }
}

impl<'de> Deserialize<'de> for AnnouncedFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Arc::<str>::deserialize(deserializer).map(AnnouncedFilter::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_and_travels_as_text() {
        let announced = AnnouncedFilter::from("price > 100 && symbol == \"ACME\"");
        let copy = announced.clone();
        let first = announced.filter().expect("the filter parses") as *const Filter;
        assert_eq!(copy.filter().map(|f| f as *const Filter), Some(first));
        let mut cbor = Vec::new();
        ciborium::ser::into_writer(&announced, &mut cbor).unwrap();
        let mut text_cbor = Vec::new();
        ciborium::ser::into_writer(announced.text().as_ref(), &mut text_cbor).unwrap();
        assert_eq!(cbor, text_cbor, "on the wire, the text alone");
        let decoded: AnnouncedFilter = ciborium::de::from_reader(cbor.as_slice()).unwrap();
        assert_eq!(decoded, announced);
        assert_eq!(decoded.filter(), announced.filter());
    }

    #[test]
    fn a_text_that_does_not_parse_has_no_filter() {
        assert!(AnnouncedFilter::from("price >").filter().is_none());
        let deep = format!("{}a == 1{}", "(".repeat(100), ")".repeat(100));
        assert!(
            AnnouncedFilter::from(deep.as_str()).filter().is_none(),
            "held to the default limits"
        );
    }
}
