//! Events: sets of named, typed attributes.
//!
//! An event arrives as a JSON object (CLI, HTTP API) or as CBOR (between peers). Both go through
//! one serde visitor (`EventSeed`), so the two formats accept exactly the same events and refuse the
//! same mistakes with the same messages. Nested objects flatten to dotted names, arrays of
//! scalars become multi-valued attributes, `null` means absent.
//!
//! Invariants of an [`Event`]: attribute names are unique and sorted by byte order; every
//! attribute has at least one value (an empty array, or one of only nulls, is absent, like
//! `null`); every float is finite; the limits it was decoded under held.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::value::Value;

/// Limits on what an event may be; each one refused with an [`EventError`] that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventLimits {
    /// Attributes after flattening.
    pub max_attributes: usize,
    /// Levels of nested objects; a flat object is depth 1.
    pub max_depth: usize,
    /// Bytes in a flattened (dotted) attribute name.
    pub max_name_len: usize,
    /// Bytes of the encoded event (JSON text or CBOR).
    pub max_encoded_size: usize,
}

impl Default for EventLimits {
    fn default() -> Self {
        EventLimits {
            max_attributes: 256,
            max_depth: 8,
            max_name_len: 256,
            max_encoded_size: 256 * 1024,
        }
    }
}

/// Why an event was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("an event must be a JSON object of attributes, found {found}")]
    NotAnObject { found: String },
    #[error("the event has more than {limit} attributes")]
    TooManyAttributes { limit: usize },
    #[error("attribute `{name}` nests objects deeper than {limit} levels")]
    TooDeep { name: String, limit: usize },
    #[error("attribute name `{name}…` is longer than {limit} bytes")]
    NameTooLong { name: String, limit: usize },
    #[error("attribute `{name}` is given twice (note that nested objects flatten to dotted names)")]
    DuplicateName { name: String },
    #[error(
        "attribute `{name}`: an array may hold only numbers, strings, bools and nulls, found {found}"
    )]
    NonScalarElement { name: String, found: String },
    #[error("attribute `{name}`: {value} does not fit a 64-bit signed integer")]
    IntegerOutOfRange { name: String, value: String },
    #[error("attribute `{name}`: a float must be finite")]
    NonFiniteFloat { name: String },
    #[error(
        "attribute `{name}`: {found} is not a value an event can hold (numbers, strings, bools, arrays of them, objects)"
    )]
    UnsupportedValue { name: String, found: String },
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("invalid CBOR: {0}")]
    Cbor(String),
}

/// One attribute: a name and one or more values.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    name: Box<str>,
    /// [`name_hash`] of the name, computed once when the event is built: an event is matched
    /// against many indexes (one per overlay node in the simulator), and each looks the
    /// event's names up by it.
    name_hash: u64,
    values: Values,
}

/// Events with at most this many attributes are searched by hash rather than in name order:
/// beyond it, comparing every hash costs more than a binary search's few name comparisons.
const MAX_SCANNED_ATTRIBUTES: usize = 64;

/// The hash of an attribute name that indexes look names up by: the same for every index and
/// event in the process, seeded at random per process so that a peer cannot choose names
/// that collide.
pub(crate) fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::SeedableRandomState::with_seed(0, foldhash::SharedSeed::global_random())
        .hash_one(name)
}

/// Most attributes hold one value; keeping it inline saves an allocation per attribute.
#[derive(Clone, Debug, PartialEq)]
enum Values {
    One(Value),
    Many(Box<[Value]>),
}

impl Attribute {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn name_hash(&self) -> u64 {
        self.name_hash
    }

    /// The attribute's values; never empty.
    pub fn values(&self) -> &[Value] {
        match &self.values {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(vs) => vs,
        }
    }
}

/// A decoded, validated event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    attributes: Vec<Attribute>,
}

impl Event {
    /// Decodes a JSON object under `limits`.
    pub fn from_json(text: &str, limits: &EventLimits) -> Result<Event, EventError> {
        check_size(text.len(), limits)?;
        let event = limits
            .scope(|| {
                let mut deserializer = serde_json::Deserializer::from_str(text);
                let event = Event::deserialize(&mut deserializer)?;
                deserializer.end().map(|()| event)
            })
            .map_err(|error| {
                take_scoped_error().unwrap_or_else(|| EventError::Json(error.to_string()))
            })?;
        // serde_json hands an integer literal beyond u64 or below i64::MIN to the visitor as a
        // float, which would let `18446744073709551616` in while `9223372036854775808` is
        // refused. Only such a literal yields an integral float of magnitude 2^63 or more, so
        // the text is searched only when one is present.
        let suspect = event
            .attributes
            .iter()
            .flat_map(Attribute::values)
            .any(|v| matches!(v, Value::Float(f) if f.abs() >= TWO_POW_63 && f.fract() == 0.0));
        match suspect.then(|| oversize_integer_literal(text)).flatten() {
            Some(error) => Err(error),
            None => Ok(event),
        }
    }

    /// Decodes the CBOR form written by [`Event::to_cbor`] (a map of attribute names to values or
    /// arrays of values) under `limits`. Like JSON text, the bytes must hold exactly one event:
    /// trailing bytes are refused.
    pub fn from_cbor(bytes: &[u8], limits: &EventLimits) -> Result<Event, EventError> {
        check_size(bytes.len(), limits)?;
        let mut rest = bytes;
        let event = limits
            .scope(|| ciborium::de::from_reader::<Event, _>(&mut rest))
            .map_err(|error| {
                take_scoped_error().unwrap_or_else(|| EventError::Cbor(error.to_string()))
            })?;
        if !rest.is_empty() {
            return Err(EventError::Cbor(format!(
                "{} trailing bytes after the event",
                rest.len()
            )));
        }
        Ok(event)
    }

    /// Builds an event from flattened attributes, checking names and values as decoding does.
    pub fn from_attributes<N: Into<String>>(
        attributes: impl IntoIterator<Item = (N, Vec<Value>)>,
        limits: &EventLimits,
    ) -> Result<Event, EventError> {
        let mut builder = Builder::new(limits);
        for (name, values) in attributes {
            let name = name.into();
            builder.check_name(&name)?;
            for value in &values {
                if let Value::Float(f) = value
                    && !f.is_finite()
                {
                    return Err(EventError::NonFiniteFloat { name });
                }
            }
            builder.push(name, values)?;
        }
        builder.finish()
    }

    /// The CBOR encoding: a map from flattened names to a value or an array of values.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail, and every value is representable.
        ciborium::ser::into_writer(self, &mut out).expect("CBOR encoding into memory");
        out
    }

    /// The values of attribute `name`, if present.
    pub fn get(&self, name: &str) -> Option<&[Value]> {
        self.lookup(name, name_hash(name))
    }

    /// [`Self::get`] for a name whose [`name_hash`] is known. A small event is searched by
    /// hash, which compares one name at most; a large one by name, in order.
    pub(crate) fn lookup(&self, name: &str, hash: u64) -> Option<&[Value]> {
        let found = if self.attributes.len() <= MAX_SCANNED_ATTRIBUTES {
            self.attributes
                .iter()
                .find(|a| a.name_hash == hash && *a.name == *name)
        } else {
            self.attributes
                .binary_search_by(|a| a.name.as_ref().cmp(name))
                .ok()
                .map(|i| &self.attributes[i])
        };
        found.map(Attribute::values)
    }

    /// The attributes in name order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    pub fn len(&self) -> usize {
        self.attributes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }
}

impl fmt::Display for Event {
    /// The event as compact JSON with flattened names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.attributes.len()))?;
        for attribute in &self.attributes {
            match &attribute.values {
                Values::One(v) => map.serialize_entry(&*attribute.name, v)?,
                Values::Many(vs) => map.serialize_entry(&*attribute.name, &ValueList(vs))?,
            }
        }
        map.end()
    }
}

struct ValueList<'a>(&'a [Value]);

impl Serialize for ValueList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Event {
    /// Decodes under the limits of the innermost [`EventLimits::scope`] on this thread, or the
    /// defaults. This is how an event embedded in a larger message (a wire frame) is decoded
    /// under the node's configured limits without threading them through serde.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let limits = SCOPE.with(|scope| scope.limits.get());
        let mut builder = Builder::new(&limits);
        let result = EventSeed {
            builder: &mut builder,
        }
        .deserialize(deserializer);
        let outcome = match (result, builder.error.take()) {
            (_, Some(error)) => Err(error),
            (Err(syntax_error), None) => return Err(syntax_error),
            (Ok(()), None) => builder.finish(),
        };
        outcome.map_err(|error| {
            let message = error.to_string();
            SCOPE.with(|scope| scope.error.replace(Some(error)));
            de::Error::custom(message)
        })
    }
}

struct Scope {
    limits: Cell<EventLimits>,
    /// The structured error behind the last serde error an event decode raised, so that callers
    /// that see only serde's string can still report it precisely.
    error: RefCell<Option<EventError>>,
}

thread_local! {
    static SCOPE: Scope = Scope {
        limits: Cell::new(EventLimits::default()),
        error: RefCell::new(None),
    };
}

impl EventLimits {
    /// Runs `f` with these limits in force for every [`Event`] that serde decodes on this
    /// thread (see the `Deserialize` impl); the previous limits are restored afterwards, also
    /// when `f` panics.
    pub fn scope<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Restore(EventLimits);
        impl Drop for Restore {
            fn drop(&mut self) {
                SCOPE.with(|scope| scope.limits.set(self.0));
            }
        }
        let _restore = Restore(SCOPE.with(|scope| scope.limits.replace(*self)));
        SCOPE.with(|scope| scope.error.replace(None));
        f()
    }
}

/// The structured form of the last event error raised through serde on this thread, if any.
pub fn take_scoped_error() -> Option<EventError> {
    SCOPE.with(|scope| scope.error.take())
}

/// 2^63, exact as an `f64`: the magnitude from which an integral float may stand for an integer
/// literal that does not fit `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// The first integer literal (no fraction, no exponent) in `text` that does not fit `i64`, as
/// the error naming the attribute it belongs to. `text` must be JSON that serde_json accepted:
/// the scan relies on its structure (a key is the string directly followed by ':').
fn oversize_integer_literal(text: &str) -> Option<EventError> {
    let bytes = text.as_bytes();
    // One entry per open container: the current key for an object, `None` for an array.
    let mut keys: Vec<Option<String>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => keys.push(Some(String::new())),
            b'[' => keys.push(None),
            b'}' | b']' => {
                keys.pop();
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let end = (i + 1).min(bytes.len());
                if text[end..].trim_start().starts_with(':')
                    && let Some(Some(key)) = keys.last_mut()
                {
                    *key = serde_json::from_str(&text[start..end]).unwrap_or_default();
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let literal = &text[start..i];
                if !literal.contains(['.', 'e', 'E']) && literal.parse::<i64>().is_err() {
                    let segments: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
                    return Some(EventError::IntegerOutOfRange {
                        name: segments.join("."),
                        value: literal.to_string(),
                    });
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn check_size(size: usize, limits: &EventLimits) -> Result<(), EventError> {
    if size > limits.max_encoded_size {
        return Err(EventError::TooLarge {
            size,
            limit: limits.max_encoded_size,
        });
    }
    Ok(())
}

/// Collects flattened attributes and enforces the limits as they arrive, so a hostile input is
/// refused before it costs more memory than the limits allow.
struct Builder<'l> {
    limits: &'l EventLimits,
    attributes: Vec<Attribute>,
    error: Option<EventError>,
}

impl<'l> Builder<'l> {
    fn new(limits: &'l EventLimits) -> Self {
        Builder {
            limits,
            attributes: Vec::new(),
            error: None,
        }
    }

    fn check_name(&self, name: &str) -> Result<(), EventError> {
        if name.len() > self.limits.max_name_len {
            let mut cut = self.limits.max_name_len.min(64);
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            return Err(EventError::NameTooLong {
                name: name[..cut].to_string(),
                limit: self.limits.max_name_len,
            });
        }
        Ok(())
    }

    fn push(&mut self, name: String, mut values: Vec<Value>) -> Result<(), EventError> {
        let values = match values.len() {
            0 => return Ok(()),
            1 => Values::One(values.pop().expect("one value")),
            _ => Values::Many(values.into_boxed_slice()),
        };
        if self.attributes.len() >= self.limits.max_attributes {
            return Err(EventError::TooManyAttributes {
                limit: self.limits.max_attributes,
            });
        }
        self.attributes.push(Attribute {
            name_hash: name_hash(&name),
            name: name.into_boxed_str(),
            values,
        });
        Ok(())
    }

    fn finish(mut self) -> Result<Event, EventError> {
        self.attributes.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        if let Some(pair) = self.attributes.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(EventError::DuplicateName {
                name: pair[0].name.to_string(),
            });
        }
        Ok(Event {
            attributes: self.attributes,
        })
    }

    /// Records `error` and returns the serde error that unwinds the parse.
    fn fail<E: de::Error>(&mut self, error: EventError) -> E {
        let message = error.to_string();
        self.error.get_or_insert(error);
        E::custom(message)
    }
}

/// The top level: must be a map.
struct EventSeed<'b, 'l> {
    builder: &'b mut Builder<'l>,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(NodeVisitor {
            builder: self.builder,
            name: None,
            depth: 0,
        })
    }
}

/// Visits one node of the tree: the top-level object (`name` is `None`), a nested object, an
/// array or a scalar under `name`.
struct NodeVisitor<'b, 'l> {
    builder: &'b mut Builder<'l>,
    name: Option<String>,
    depth: usize,
}

impl NodeVisitor<'_, '_> {
    fn name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    /// A scalar under `name`, or an error if it is at the top level.
    fn scalar<E: de::Error>(self, value: Result<Value, EventError>) -> Result<(), E> {
        let Some(name) = self.name else {
            let found = match value {
                Ok(Value::Int(_)) => "an integer".to_string(),
                Ok(v) => format!("a {}", v.kind()),
                Err(_) => "a scalar".to_string(),
            };
            return Err(self.builder.fail(EventError::NotAnObject { found }));
        };
        let pushed = value.and_then(|v| self.builder.push(name, vec![v]));
        pushed.map_err(|e| self.builder.fail(e))
    }

    fn not_a_value<E: de::Error>(self, found: &str) -> Result<(), E> {
        let error = match self.name {
            None => EventError::NotAnObject {
                found: found.to_string(),
            },
            Some(name) => EventError::UnsupportedValue {
                name,
                found: found.to_string(),
            },
        };
        Err(self.builder.fail(error))
    }
}

impl<'de> Visitor<'de> for NodeVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event attribute value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.scalar(Ok(Value::Bool(b)))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<(), E> {
        self.scalar(Ok(Value::Int(i)))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<(), E> {
        let name = self.name();
        self.scalar(int_value(u.try_into(), name, u))
    }

    fn visit_i128<E: de::Error>(self, i: i128) -> Result<(), E> {
        let name = self.name();
        self.scalar(int_value(i.try_into(), name, i))
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<(), E> {
        let name = self.name();
        self.scalar(int_value(u.try_into(), name, u))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<(), E> {
        let value = if f.is_finite() {
            Ok(Value::Float(f))
        } else {
            Err(EventError::NonFiniteFloat { name: self.name() })
        };
        self.scalar(value)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.scalar(Ok(Value::Str(s.into())))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.not_a_value("a byte string")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        match self.name {
            Some(_) => Ok(()),
            None => self.not_a_value("null"),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some(name) = self.name else {
            return Err(self.builder.fail(EventError::NotAnObject {
                found: "an array".into(),
            }));
        };
        let mut values = Vec::new();
        while let Some(element) = seq.next_element::<Element>()? {
            match element {
                Element::Value(v) => values.push(v),
                Element::Null => {}
                Element::Invalid(error) => {
                    return Err(self.builder.fail(error.into_event_error(&name)));
                }
            }
        }
        self.builder
            .push(name, values)
            .map_err(|e| self.builder.fail(e))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        if depth > self.builder.limits.max_depth {
            let error = EventError::TooDeep {
                name: self.name(),
                limit: self.builder.limits.max_depth,
            };
            return Err(self.builder.fail(error));
        }
        while let Some(key) = map.next_key::<String>()? {
            let name = match &self.name {
                Some(prefix) => format!("{prefix}.{key}"),
                None => key,
            };
            if let Err(error) = self.builder.check_name(&name) {
                return Err(self.builder.fail(error));
            }
            map.next_value_seed(NodeSeed {
                builder: &mut *self.builder,
                name,
                depth,
            })?;
        }
        Ok(())
    }
}

struct NodeSeed<'b, 'l> {
    builder: &'b mut Builder<'l>,
    name: String,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let visitor = NodeVisitor {
            builder: self.builder,
            name: Some(self.name),
            depth: self.depth,
        };
        deserializer.deserialize_any(visitor)
    }
}

fn int_value<T: fmt::Display>(
    converted: Result<i64, std::num::TryFromIntError>,
    name: String,
    original: T,
) -> Result<Value, EventError> {
    converted
        .map(Value::Int)
        .map_err(|_| EventError::IntegerOutOfRange {
            name,
            value: original.to_string(),
        })
}

/// One element of an array: a scalar, a null to skip, or something an array may not hold. The
/// problem is returned as data rather than a serde error so the caller can name the attribute.
enum Element {
    Value(Value),
    Null,
    Invalid(ElementError),
}

enum ElementError {
    NonScalar(&'static str),
    OutOfRange(String),
    NonFinite,
    Unsupported(&'static str),
}

impl ElementError {
    fn into_event_error(self, name: &str) -> EventError {
        let name = name.to_string();
        match self {
            ElementError::NonScalar(found) => EventError::NonScalarElement {
                name,
                found: found.to_string(),
            },
            ElementError::OutOfRange(value) => EventError::IntegerOutOfRange { name, value },
            ElementError::NonFinite => EventError::NonFiniteFloat { name },
            ElementError::Unsupported(found) => EventError::UnsupportedValue {
                name,
                found: found.to_string(),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, string, bool or null")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Element, E> {
        Ok(Element::Value(Value::Bool(b)))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Element, E> {
        Ok(Element::Value(Value::Int(i)))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Element, E> {
        Ok(element_int(u.try_into(), u))
    }

    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Element, E> {
        Ok(element_int(i.try_into(), i))
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Element, E> {
        Ok(element_int(u.try_into(), u))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Element, E> {
        Ok(if f.is_finite() {
            Element::Value(Value::Float(f))
        } else {
            Element::Invalid(ElementError::NonFinite)
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Element, E> {
        Ok(Element::Value(Value::Str(s.into())))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Element, E> {
        Ok(Element::Invalid(ElementError::Unsupported("a byte string")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Element, D::Error> {
        deserializer.deserialize_any(self)
    }

    /// Skips the nested array without keeping it (its size is bounded by the input) and reports
    /// it; the parse stops at the caller.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Element::Invalid(ElementError::NonScalar("an array")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Element::Invalid(ElementError::NonScalar("an object")))
    }
}

fn element_int<T: fmt::Display>(
    converted: Result<i64, std::num::TryFromIntError>,
    original: T,
) -> Element {
    match converted {
        Ok(i) => Element::Value(Value::Int(i)),
        Err(_) => Element::Invalid(ElementError::OutOfRange(original.to_string())),
    }
}
