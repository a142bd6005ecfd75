//! A list that is nearly always one element long.

/// Most subscriptions have one conjunction, and most conjunctions are filed in one cluster:
/// keeping that one element inline spares an allocation per subscription, and the memory of
/// the boxed slice it would be.
#[derive(Debug)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Box<[T]>),
}

impl<T> OneOrMany<T> {
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}

impl<T> FromIterator<T> for OneOrMany<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut iter = iter.into_iter().fuse();
        match (iter.next(), iter.next()) {
            (Some(one), None) => OneOrMany::One(one),
            (first, second) => {
                OneOrMany::Many(first.into_iter().chain(second).chain(iter).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_element_in_order() {
        for n in 0..4u32 {
            let list: OneOrMany<u32> = (0..n).collect();
            assert_eq!(list.as_slice(), (0..n).collect::<Vec<_>>().as_slice());
            assert_eq!(matches!(list, OneOrMany::One(_)), n == 1);
        }
    }
}
