//! What a node has announced to a parent, with covering: a route whose filter is covered by
//! one already announced is held back, and announced when its coverer goes.

use std::collections::{BTreeSet, HashMap, HashSet};

use sift_matcher::{Filter, NormalForm};

use super::RouteKey;

/// Announced filters kept as candidates to cover new ones: the most general-looking (fewest
/// atoms). Checking every announced filter would cost a covering test per filter per
/// announcement; any subset is sound, a missed covering only costs an announcement.
const COVERER_CANDIDATES: usize = 16;

#[derive(Debug)]
struct Coverer<R> {
    sub: R,
    form: NormalForm,
    atoms: usize,
}

#[derive(Debug)]
pub struct Upward<R> {
    sent: HashSet<R>,
    coverers: Vec<Coverer<R>>,
    /// Held-back route → the announced one covering it.
    suppressed: HashMap<R, R>,
    covered_by: HashMap<R, BTreeSet<R>>,
}

impl<R> Default for Upward<R> {
    fn default() -> Self {
        Upward {
            sent: HashSet::new(),
            coverers: Vec::new(),
            suppressed: HashMap::new(),
            covered_by: HashMap::new(),
        }
    }
}

/// What to do with an offered subscription.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    /// Announce it to the parent.
    Announce,
    /// Already announced, or covered by an announced filter.
    Nothing,
}

impl<R: RouteKey> Upward<R> {
    pub fn is_announced(&self, sub: &R) -> bool {
        self.sent.contains(sub)
    }

    /// Every announced subscription, in id order.
    pub fn sent(&self) -> Vec<R> {
        let mut subs: Vec<R> = self.sent.iter().copied().collect();
        subs.sort_unstable();
        subs
    }

    /// Forgets everything announced: the parent changed.
    pub fn reset(&mut self) {
        *self = Upward::default();
    }

    /// Whether nothing is announced or held back.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty() && self.suppressed.is_empty()
    }

    pub fn offer(&mut self, sub: R, filter: &Filter) -> Offer {
        if self.sent.contains(&sub) || self.suppressed.contains_key(&sub) {
            return Offer::Nothing;
        }
        let form = NormalForm::of(filter);
        if let Some(coverer) = self.coverers.iter().find(|c| c.form.covers(&form)) {
            self.suppressed.insert(sub, coverer.sub);
            self.covered_by.entry(coverer.sub).or_default().insert(sub);
            return Offer::Nothing;
        }
        self.sent.insert(sub);
        let atoms = form.conjunctions.iter().map(|c| c.atoms.len()).sum();
        let most = self.coverers.iter().map(|c| c.atoms).max().unwrap_or(0);
        if self.coverers.len() < COVERER_CANDIDATES || atoms < most {
            if self.coverers.len() == COVERER_CANDIDATES
                && let Some(at) = self.coverers.iter().position(|c| c.atoms == most)
            {
                self.coverers.swap_remove(at);
            }
            self.coverers.push(Coverer { sub, form, atoms });
        }
        Offer::Announce
    }

    /// Takes a route back. Returns whether it had been announced (the parent must be told)
    /// and the routes it was covering, in order, now to be offered again.
    pub fn withdraw(&mut self, sub: &R) -> (bool, Vec<R>) {
        if let Some(coverer) = self.suppressed.remove(sub) {
            if let Some(covered) = self.covered_by.get_mut(&coverer) {
                covered.remove(sub);
            }
            return (false, Vec::new());
        }
        if !self.sent.remove(sub) {
            return (false, Vec::new());
        }
        self.coverers.retain(|c| c.sub != *sub);
        let uncovered: Vec<R> = self
            .covered_by
            .remove(sub)
            .unwrap_or_default()
            .into_iter()
            .collect();
        for s in &uncovered {
            self.suppressed.remove(s);
        }
        (true, uncovered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{NodeId, SubId};

    fn id(seq: u64) -> SubId {
        SubId {
            origin: NodeId::from_bytes([1; 32]),
            seq,
        }
    }

    fn f(text: &str) -> Filter {
        Filter::parse(text).unwrap()
    }

    #[test]
    fn covered_filters_wait_for_their_coverer_to_go() {
        let mut up = Upward::<SubId>::default();
        assert_eq!(up.offer(id(1), &f("price > 100")), Offer::Announce);
        assert_eq!(
            up.offer(id(2), &f("price > 200 && symbol == \"A\"")),
            Offer::Nothing
        );
        assert_eq!(up.offer(id(3), &f("volume > 1")), Offer::Announce);
        assert_eq!(up.offer(id(1), &f("price > 100")), Offer::Nothing);
        assert_eq!(up.sent(), vec![id(1), id(3)]);
        // The covered one goes quietly.
        assert_eq!(up.withdraw(&id(2)), (false, vec![]));
        assert_eq!(up.offer(id(2), &f("price > 200")), Offer::Nothing);
        // The coverer goes: the parent is told, and the covered one is offered again.
        assert_eq!(up.withdraw(&id(1)), (true, vec![id(2)]));
        assert_eq!(up.offer(id(2), &f("price > 200")), Offer::Announce);
        assert_eq!(up.withdraw(&id(9)), (false, vec![]));
    }
}
