//! A hash map keyed by event values under the filter language's equality: `1`, `1.0` and the
//! integral float `1e0` are one key, `"1"` another, and lookups by a borrowed value allocate
//! nothing.

use foldhash::HashMap;

use crate::value::Value;

/// A number as a hash key: numerically equal values (`1`, `1.0`, `-0.0` and `0`) give equal keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NumberKey {
    Int(i64),
    /// A float that is not an integer in `i64` range, by its bits.
    Float(u64),
}

impl NumberKey {
    fn of(value: &Value) -> Option<NumberKey> {
        match *value {
            Value::Int(i) => Some(NumberKey::Int(i)),
            Value::Float(f) => {
                // Integral floats within i64 range are keyed as the integer they equal; the
                // bounds are exact in f64 (-2^63 and 2^63).
                if f.fract() == 0.0
                    && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
                {
                    Some(NumberKey::Int(f as i64))
                } else {
                    Some(NumberKey::Float(f.to_bits()))
                }
            }
            _ => None,
        }
    }
}

/// One map per kind of value, so that a string is looked up as `&str`.
#[derive(Debug)]
pub(crate) struct ValueMap<V> {
    numbers: HashMap<NumberKey, V>,
    strings: HashMap<Box<str>, V>,
    bools: [Option<V>; 2],
}

impl<V> Default for ValueMap<V> {
    fn default() -> Self {
        ValueMap {
            numbers: HashMap::default(),
            strings: HashMap::default(),
            bools: [None, None],
        }
    }
}

impl<V> ValueMap<V> {
    pub(crate) fn get(&self, value: &Value) -> Option<&V> {
        match value {
            Value::Str(s) => self.strings.get(&**s),
            Value::Bool(b) => self.bools[usize::from(*b)].as_ref(),
            number => self.numbers.get(&NumberKey::of(number)?),
        }
    }

    pub(crate) fn get_or_insert_with(&mut self, value: &Value, make: impl FnOnce() -> V) -> &mut V {
        match value {
            Value::Str(s) => self.strings.entry(s.clone()).or_insert_with(make),
            Value::Bool(b) => self.bools[usize::from(*b)].get_or_insert_with(make),
            number => {
                let key = NumberKey::of(number)
                    .expect("a value that is not a string or bool is a number");
                self.numbers.entry(key).or_insert_with(make)
            }
        }
    }

    pub(crate) fn remove(&mut self, value: &Value) -> Option<V> {
        match value {
            Value::Str(s) => self.strings.remove(&**s),
            Value::Bool(b) => self.bools[usize::from(*b)].take(),
            number => self.numbers.remove(&NumberKey::of(number)?),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.numbers.is_empty() && self.strings.is_empty() && self.bools.iter().all(Option::is_none)
    }

    /// Keeps the entries for which `keep` returns true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&mut V) -> bool) {
        self.numbers.retain(|_, v| keep(v));
        self.strings.retain(|_, v| keep(v));
        for slot in &mut self.bools {
            if slot.as_mut().is_some_and(|v| !keep(v)) {
                *slot = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerically_equal_values_share_a_key() {
        let mut map = ValueMap::default();
        *map.get_or_insert_with(&Value::Int(1), || 0) += 1;
        *map.get_or_insert_with(&Value::Float(1.0), || 0) += 1;
        assert_eq!(map.get(&Value::Int(1)), Some(&2));
        assert_eq!(map.get(&Value::Float(-0.0)), None);
        *map.get_or_insert_with(&Value::Float(-0.0), || 7) += 0;
        assert_eq!(map.get(&Value::Int(0)), Some(&7));
        assert_eq!(map.get(&Value::from("1")), None);
        assert_eq!(map.get(&Value::Float(9_223_372_036_854_775_808.0)), None);
        assert_eq!(map.remove(&Value::Float(1.0)), Some(2));
        assert_eq!(map.get(&Value::Int(1)), None);
    }
}
