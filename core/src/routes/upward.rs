//! What a node has announced to a parent, with covering: a route whose filter is covered by
//! one already announced is held back, and announced when its coverer goes.
//!
//! The held-back routes are also kept in an index of their own: the parent cannot know which
//! of them an event matches (it matched their coverer), so a node told by its parent which of
//! its announced routes an event matched still checks these itself.

use std::collections::BTreeSet;

use foldhash::{HashMap, HashSet};

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

/// A node keeps one `Upward` per parent (`dht`: per parent and key, so many of them): what
/// only some need is made when first needed.
#[derive(Debug)]
pub struct Upward<R> {
    sent: HashSet<R>,
    /// The announced routes' tags, for a strategy whose parents list matched routes by them
    /// (see [`Upward::tagging`]).
    tags: Option<Tags<R>>,
    coverers: Vec<Coverer<R>>,
    /// Held-back route → the announced one covering it.
    suppressed: HashMap<R, R>,
    covered_by: HashMap<R, BTreeSet<R>>,
    /// The held-back routes' filters, once there are any.
    held_back: Option<Box<SubscriptionIndex<R>>>,
}

#[derive(Debug)]
struct Tags<R> {
    of: HashMap<R, RouteTag>,
    routes: HashMap<RouteTag, R>,
    /// The tag of the next route announced: tags are never reused, not even across parents
    /// (see [`RouteTag`]).
    next: RouteTag,
}

impl<R> Tags<R> {
    fn starting_at(next: RouteTag) -> Self {
        Tags {
            of: HashMap::default(),
            routes: HashMap::default(),
            next,
        }
    }
}

impl<R> Default for Upward<R> {
    fn default() -> Self {
        Upward {
            sent: HashSet::default(),
            tags: None,
            coverers: Vec::new(),
            suppressed: HashMap::default(),
            covered_by: HashMap::default(),
            held_back: None,
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
    /// An `Upward` that tags the routes it announces (see [`RouteTag`]).
    pub fn tagging() -> Self {
        Upward {
            tags: Some(Tags::starting_at(0)),
            ..Upward::default()
        }
    }

    pub fn is_announced(&self, sub: &R) -> bool {
        self.sent.contains(sub)
    }

    /// The tag of an announced route, if this `Upward` tags them.
    pub fn tag(&self, sub: &R) -> Option<RouteTag> {
        self.tags.as_ref()?.of.get(sub).copied()
    }

    /// The announced route with this tag.
    pub fn tagged(&self, tag: RouteTag) -> Option<R> {
        self.tags.as_ref()?.routes.get(&tag).copied()
    }

    /// Every announced subscription, in id order.
    pub fn sent(&self) -> Vec<R> {
        let mut subs: Vec<R> = self.sent.iter().copied().collect();
        subs.sort_unstable();
        subs
    }

    /// Forgets everything announced: the parent changed.
    pub fn reset(&mut self) {
        // Tags go on from where they were: a parent left and found again may still hold
        // the routes under their old tags.
        *self = Upward {
            tags: self.tags.as_ref().map(|tags| Tags::starting_at(tags.next)),
            ..Upward::default()
        };
    }

    /// Whether nothing is announced or held back.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty() && self.suppressed.is_empty()
    }

    /// The held-back routes whose filter matches `event`, in no particular order.
    pub fn held_back_matching(&self, event: &Event) -> Vec<R> {
        self.held_back.as_ref().map_or_else(Vec::new, |index| {
            index.matches(event).into_iter().copied().collect()
        })
    }

    /// Routes held back.
    pub fn held_back(&self) -> usize {
        self.suppressed.len()
    }

    pub fn offer(&mut self, sub: R, filter: &Filter) -> Offer {
        if self.sent.contains(&sub) || self.suppressed.contains_key(&sub) {
            return Offer::Nothing;
        }
        let form = NormalForm::of(filter);
        let names = form.required_names();
        if let Some(coverer) = self.coverers.iter().find(|c| c.covers(&form, names)) {
            self.held_back
                .get_or_insert_with(Box::default)
                .insert(sub, filter);
            self.suppressed.insert(sub, coverer.sub);
            self.covered_by.entry(coverer.sub).or_default().insert(sub);
            return Offer::Nothing;
        }
        self.sent.insert(sub);
        if let Some(tags) = &mut self.tags {
            tags.of.insert(sub, tags.next);
            tags.routes.insert(tags.next, sub);
            tags.next += 1;
        }
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

    /// Drops a route from the index of held-back filters, and the index once it is empty.
    fn forget_held_back(&mut self, sub: &R) {
        if let Some(index) = &mut self.held_back {
            index.remove(sub);
            if index.is_empty() {
                self.held_back = None;
            }
        }
    }

    /// Takes a route back. Returns whether it had been announced (the parent must be told)
    /// and the routes it was covering, in order, now to be offered again.
    pub fn withdraw(&mut self, sub: &R) -> (bool, Vec<R>) {
        if let Some(coverer) = self.suppressed.remove(sub) {
            self.forget_held_back(sub);
            if let Some(covered) = self.covered_by.get_mut(&coverer) {
                covered.remove(sub);
            }
            return (false, Vec::new());
        }
        if !self.sent.remove(sub) {
            return (false, Vec::new());
        }
        if let Some(tags) = &mut self.tags
            && let Some(tag) = tags.of.remove(sub)
        {
            tags.routes.remove(&tag);
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
            self.forget_held_back(s);
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

    #[test]
    fn tags_count_up_across_parents_and_only_when_asked_for() {
        let mut up = Upward::<SubId>::tagging();
        assert_eq!(up.offer(id(1), &f("x > 1")), Offer::Announce);
        assert_eq!((up.tag(&id(1)), up.tagged(0)), (Some(0), Some(id(1))));
        // Withdrawn and announced again: a new tag, the old one names nothing.
        up.withdraw(&id(1));
        up.offer(id(1), &f("x > 1"));
        assert_eq!((up.tag(&id(1)), up.tagged(0)), (Some(1), None));
        // A new parent: tags go on.
        up.reset();
        up.offer(id(2), &f("y > 1"));
        assert_eq!(up.tag(&id(2)), Some(2));
        let mut untagged = Upward::<SubId>::default();
        untagged.offer(id(1), &f("x > 1"));
        assert_eq!(untagged.tag(&id(1)), None);
    }

    #[test]
    fn held_back_routes_are_matched_where_they_were_held_back() {
        let mut up = Upward::<SubId>::tagging();
        up.offer(id(1), &f("price > 100"));
        assert_eq!(up.offer(id(2), &f("price > 200")), Offer::Nothing);
        let event = Event::from_json(r#"{"price": 250}"#, &Default::default()).unwrap();
        assert_eq!(up.held_back_matching(&event), vec![id(2)]);
        assert_eq!(up.held_back(), 1);
        // Its coverer gone, it is the caller's to announce, no longer held back here.
        assert_eq!(up.withdraw(&id(1)), (true, vec![id(2)]));
        assert!(up.held_back_matching(&event).is_empty());
        assert_eq!(up.held_back(), 0);
    }
}
