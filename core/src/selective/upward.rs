//! What a node has announced to its parent, with covering: a subscription whose filter is
//! covered by one already announced is held back, and announced when its coverer goes.

use std::collections::{HashMap, HashSet};

use sift_matcher::{Filter, NormalForm};

use crate::id::SubId;

/// Announced filters kept as candidates to cover new ones: the most general-looking (fewest
/// atoms). Checking every announced filter would cost a covering test per filter per
/// announcement; any subset is sound, a missed covering only costs an announcement.
const COVERER_CANDIDATES: usize = 16;

#[derive(Debug)]
struct Coverer {
    sub: SubId,
    form: NormalForm,
    atoms: usize,
}

#[derive(Debug, Default)]
pub(super) struct Upward {
    sent: HashSet<SubId>,
    coverers: Vec<Coverer>,
    /// Held-back subscription → the announced one covering it.
    suppressed: HashMap<SubId, SubId>,
    covered_by: HashMap<SubId, Vec<SubId>>,
}

/// What to do with an offered subscription.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Offer {
    /// Announce it to the parent.
    Announce,
    /// Already announced, or covered by an announced filter.
    Nothing,
}

impl Upward {
    pub(super) fn is_announced(&self, sub: &SubId) -> bool {
        self.sent.contains(sub)
    }

    /// Every announced subscription, in id order.
    pub(super) fn sent(&self) -> Vec<SubId> {
        let mut subs: Vec<SubId> = self.sent.iter().copied().collect();
        subs.sort_unstable();
        subs
    }

    /// Forgets everything announced: the parent changed.
    pub(super) fn reset(&mut self) {
        *self = Upward::default();
    }

    pub(super) fn offer(&mut self, sub: SubId, filter: &Filter) -> Offer {
        if self.sent.contains(&sub) || self.suppressed.contains_key(&sub) {
            return Offer::Nothing;
        }
        let form = NormalForm::of(filter);
        if let Some(coverer) = self.coverers.iter().find(|c| c.form.covers(&form)) {
            self.suppressed.insert(sub, coverer.sub);
            self.covered_by.entry(coverer.sub).or_default().push(sub);
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

    /// Takes a subscription back. Returns whether it had been announced (the parent must be
    /// told) and the subscriptions it was covering, now to be offered again.
    pub(super) fn withdraw(&mut self, sub: &SubId) -> (bool, Vec<SubId>) {
        if let Some(coverer) = self.suppressed.remove(sub) {
            if let Some(covered) = self.covered_by.get_mut(&coverer) {
                covered.retain(|s| s != sub);
            }
            return (false, Vec::new());
        }
        if !self.sent.remove(sub) {
            return (false, Vec::new());
        }
        self.coverers.retain(|c| c.sub != *sub);
        let uncovered = self.covered_by.remove(sub).unwrap_or_default();
        for s in &uncovered {
            self.suppressed.remove(s);
        }
        (true, uncovered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;

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
        let mut up = Upward::default();
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
