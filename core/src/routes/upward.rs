//! What a node has announced to a parent, with covering: a route whose filter is covered by
//! one already announced is held back, and announced when its coverer goes.
//!
//! The held-back routes are also kept in an index of their own: the parent cannot know which
//! of them an event matches (it matched their coverer), so a node told by its parent which of
//! its announced routes an event matched still checks these itself.

use std::collections::BTreeSet;

use foldhash::HashMap;

use sift_matcher::covering::NameMask;
use sift_matcher::{Event, Filter, NormalForm, SubscriptionIndex};

use super::{RouteKey, RouteTag};

/// Announced filters kept as candidates to cover new ones: the most general-looking (fewest
/// atoms). Checking every announced filter would cost a covering test per filter per
/// announcement; any subset is sound, a missed covering only costs an announcement.
const COVERER_CANDIDATES: usize = 16;

#[derive(Debug)]
struct Coverer<R> {
    sub: R,
    form: NormalForm,
    /// The form's [`NormalForm::required_names`]: most offers are ruled out by it alone,
    /// without reading the form (which, at a node among thousands, is rarely in cache).
    names: Option<NameMask>,
    atoms: usize,
}

impl<R> Coverer<R> {
    fn covers(&self, form: &NormalForm, names: Option<NameMask>) -> bool {
        let ruled_out =
            matches!((self.names, names), (Some(ours), Some(theirs)) if ours & !theirs != 0);
        !ruled_out && self.form.covers(form)
    }
}

#[derive(Debug)]
pub struct Upward<R> {
    /// Announced routes and their tags.
    sent: HashMap<R, RouteTag>,
    tagged: HashMap<RouteTag, R>,
    /// The tag of the next route announced: tags are never reused, not even across parents
    /// (see [`RouteTag`]).
    next_tag: RouteTag,
    coverers: Vec<Coverer<R>>,
    /// Held-back route → the announced one covering it.
    suppressed: HashMap<R, R>,
    covered_by: HashMap<R, BTreeSet<R>>,
    /// The held-back routes' filters.
    held_back: SubscriptionIndex<R>,
}

impl<R: RouteKey> Default for Upward<R> {
    fn default() -> Self {
        Upward {
            sent: HashMap::default(),
            tagged: HashMap::default(),
            next_tag: 0,
            coverers: Vec::new(),
            suppressed: HashMap::default(),
            covered_by: HashMap::default(),
            held_back: SubscriptionIndex::new(),
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
        self.sent.contains_key(sub)
    }

    /// The tag of an announced route.
    pub fn tag(&self, sub: &R) -> Option<RouteTag> {
        self.sent.get(sub).copied()
    }

    /// The announced route with this tag.
    pub fn tagged(&self, tag: RouteTag) -> Option<R> {
        self.tagged.get(&tag).copied()
    }

    /// Every announced subscription, in id order.
    pub fn sent(&self) -> Vec<R> {
        let mut subs: Vec<R> = self.sent.keys().copied().collect();
        subs.sort_unstable();
        subs
    }

    /// Forgets everything announced: the parent changed.
    pub fn reset(&mut self) {
        // Tags go on from where they were: a parent left and found again may still hold
        // the routes under their old tags.
        *self = Upward {
            next_tag: self.next_tag,
            ..Upward::default()
        };
    }

    /// Whether nothing is announced or held back.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty() && self.suppressed.is_empty()
    }

    /// The held-back routes whose filter matches `event`, in no particular order.
    pub fn held_back_matching(&self, event: &Event) -> Vec<R> {
        self.held_back.matches(event).into_iter().copied().collect()
    }

    /// Routes held back.
    pub fn held_back(&self) -> usize {
        self.held_back.len()
    }

    pub fn offer(&mut self, sub: R, filter: &Filter) -> Offer {
        if self.sent.contains_key(&sub) || self.suppressed.contains_key(&sub) {
            return Offer::Nothing;
        }
        let form = NormalForm::of(filter);
        let names = form.required_names();
        if let Some(coverer) = self.coverers.iter().find(|c| c.covers(&form, names)) {
            self.held_back.insert(sub, filter);
            self.suppressed.insert(sub, coverer.sub);
            self.covered_by.entry(coverer.sub).or_default().insert(sub);
            return Offer::Nothing;
        }
        self.sent.insert(sub, self.next_tag);
        self.tagged.insert(self.next_tag, sub);
        self.next_tag += 1;
        let atoms = form.conjunctions.iter().map(|c| c.atoms.len()).sum();
        let most = self.coverers.iter().map(|c| c.atoms).max().unwrap_or(0);
        if self.coverers.len() < COVERER_CANDIDATES || atoms < most {
            if self.coverers.len() == COVERER_CANDIDATES
                && let Some(at) = self.coverers.iter().position(|c| c.atoms == most)
            {
                self.coverers.swap_remove(at);
            }
            self.coverers.push(Coverer {
                sub,
                form,
                names,
                atoms,
            });
        }
        Offer::Announce
    }

    /// Takes a route back. Returns whether it had been announced (the parent must be told)
    /// and the routes it was covering, in order, now to be offered again.
    pub fn withdraw(&mut self, sub: &R) -> (bool, Vec<R>) {
        if let Some(coverer) = self.suppressed.remove(sub) {
            self.held_back.remove(sub);
            if let Some(covered) = self.covered_by.get_mut(&coverer) {
                covered.remove(sub);
            }
            return (false, Vec::new());
        }
        let Some(tag) = self.sent.remove(sub) else {
            return (false, Vec::new());
        };
        self.tagged.remove(&tag);
        self.coverers.retain(|c| c.sub != *sub);
        let uncovered: Vec<R> = self
            .covered_by
            .remove(sub)
            .unwrap_or_default()
            .into_iter()
            .collect();
        for s in &uncovered {
            self.suppressed.remove(s);
            self.held_back.remove(s);
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
