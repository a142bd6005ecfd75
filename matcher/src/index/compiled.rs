//! Conjunctions compiled against the index's attribute table, and the event view they are
//! checked against.

use std::cell::RefCell;

use foldhash::HashMap;
use hashbrown::HashTable;

use super::ranges::{Side, threshold};
use crate::event::{Attribute, Event, name_hash};
use crate::filter::{Expr, Path, Pattern, Predicate, Test};
use crate::normal::{Conjunction, Formula};
use crate::value::Value;

/// Dense id of an attribute name the index has seen in some filter.
pub(crate) type AttrId = u32;

/// Interns attribute names. Names are never forgotten while the index lives: they are bounded
/// by the filters that were inserted, and ids must stay stable for the clusters keyed by them.
///
/// Every event is looked up name by name, and in a routing overlay the table is one of
/// thousands, rarely in cache: a lookup by the event's precomputed [`name_hash`] that compares
/// names in one contiguous buffer touches a few cache lines, where a map of boxed names
/// hashed every name again and chased a pointer per comparison.
#[derive(Debug, Default)]
pub(crate) struct AttrTable {
    /// Ids by name hash.
    ids: HashTable<AttrId>,
    /// Every name, one after another; `ends[id]` is where name `id` ends.
    names: String,
    ends: Vec<usize>,
}

impl AttrTable {
    #[cfg(test)]
    pub(crate) fn intern(&mut self, name: &str) -> AttrId {
        self.intern_hashed(name, name_hash(name))
    }

    /// Interns `name`, whose [`name_hash`] is `hash` (a filter's path carries it).
    pub(crate) fn intern_hashed(&mut self, name: &str, hash: u64) -> AttrId {
        debug_assert_eq!(hash, name_hash(name));
        if let Some(id) = self.find(hash, name) {
            return id;
        }
        let id = self.ends.len() as AttrId;
        self.names.push_str(name);
        self.ends.push(self.names.len());
        let (names, ends) = (&self.names, &self.ends);
        self.ids
            .insert_unique(hash, id, |&id| name_hash(name_of(names, ends, id)));
        id
    }

    /// The id of an event's attribute, if some filter names it.
    pub(crate) fn get(&self, attribute: &Attribute) -> Option<AttrId> {
        self.find(attribute.name_hash(), attribute.name())
    }

    fn find(&self, hash: u64, name: &str) -> Option<AttrId> {
        self.ids
            .find(hash, |&id| name_of(&self.names, &self.ends, id) == name)
            .copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

fn name_of<'n>(names: &'n str, ends: &[usize], id: AttrId) -> &'n str {
    let end = ends[id as usize];
    let start = id.checked_sub(1).map_or(0, |before| ends[before as usize]);
    &names[start..end]
}

/// Shares one compiled regex among all atoms with the same pattern text. The regex crate keeps
/// its lazy-DFA caches per `Regex` (clones share them), so a thousand subscriptions with one
/// pattern warm one cache instead of allocating a thousand: without this, an event reaching
/// many regex atoms spent most of its time building caches.
///
/// A pattern is in use while anything but the table holds it (its reference count says so);
/// the table forgets unused patterns whenever it has doubled since it last looked, so it never
/// holds more than twice the patterns in use, and removing a subscription needs no bookkeeping.
/// A pattern can also be held by other indexes (filters parsed once and shared, as the
/// simulator's nodes share them, on several threads), so what a sweep keeps may vary from run
/// to run; it decides only which compiled regex an atom shares, never what matches.
#[derive(Debug, Default)]
pub(crate) struct PatternTable {
    shared: HashMap<Box<str>, Pattern>,
    /// Entries after the last sweep.
    swept_at: usize,
}

/// The table sweeps unused patterns once it holds at least this many.
const MIN_PATTERN_SWEEP: usize = 64;

impl PatternTable {
    /// Patterns held, in use or not yet swept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shared.len()
    }

    fn share(&mut self, pattern: Pattern) -> Pattern {
        if let Some(shared) = self.shared.get(pattern.as_str()) {
            return shared.clone();
        }
        if self.shared.len() >= MIN_PATTERN_SWEEP.max(2 * self.swept_at) {
            self.shared.retain(|_, p| !p.is_unshared());
            self.swept_at = self.shared.len();
        }
        self.shared.insert(pattern.as_str().into(), pattern.clone());
        pattern
    }
}

/// The event's attributes that some filter mentions, by attribute id.
pub(crate) struct EventView<'e> {
    pub(crate) event: &'e Event,
    /// Sorted by id.
    pub(crate) attrs: Vec<(AttrId, &'e [Value])>,
    /// Per entry of `attrs`, the least and greatest of its numbers, if it has any: what every
    /// threshold on the attribute is decided by.
    spans: Vec<Option<(f64, f64)>>,
    /// Position in `attrs` plus one, by attribute id (zero: absent), when the ids are small
    /// enough for the table to be cheap (see [`MAX_DENSE_ID`]). Atoms look attributes up
    /// constantly, and a table read is several times faster than a binary search.
    positions: Vec<u8>,
    /// Outcomes of regex atoms already evaluated on this event, by attribute and pattern
    /// (patterns are shared, see [`PatternTable`], so the pattern's address identifies it).
    /// Subscriptions often share a pattern; each is run once per event.
    regex_outcomes: RefCell<Vec<(AttrId, usize, bool)>>,
}

/// An event view keeps a table by attribute id when its largest id is at most this: building
/// the table costs a pass over that many bytes per event, which must stay small beside a match.
const MAX_DENSE_ID: AttrId = 1024;

/// At most this many regex outcomes are remembered per event: the memo is searched linearly,
/// and an event that meets more distinct patterns evaluates the rest directly.
const MAX_REGEX_OUTCOMES: usize = 64;

impl<'e> EventView<'e> {
    pub(crate) fn new(event: &'e Event, table: &AttrTable) -> Self {
        let mut attrs: Vec<_> = event
            .attributes()
            .iter()
            .filter_map(|a| Some((table.get(a)?, a.values())))
            .collect();
        attrs.sort_unstable_by_key(|&(id, _)| id);
        let mut positions = Vec::new();
        if let Some(&(max_id, _)) = attrs.last()
            && max_id <= MAX_DENSE_ID
            && attrs.len() < usize::from(u8::MAX)
        {
            positions.resize(max_id as usize + 1, 0);
            for (position, &(id, _)) in attrs.iter().enumerate() {
                positions[id as usize] = position as u8 + 1;
            }
        }
        let spans = attrs
            .iter()
            .map(|&(_, values)| numeric_span(values))
            .collect();
        EventView {
            event,
            attrs,
            spans,
            positions,
            regex_outcomes: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn get(&self, attr: AttrId) -> Option<&'e [Value]> {
        self.position(attr).map(|i| self.attrs[i].1)
    }

    /// The least and greatest number `attr` carries, if it carries any.
    pub(crate) fn span(&self, attr: AttrId) -> Option<(f64, f64)> {
        self.position(attr).and_then(|i| self.spans[i])
    }

    fn position(&self, attr: AttrId) -> Option<usize> {
        if self.positions.is_empty() {
            return self.attrs.binary_search_by_key(&attr, |&(id, _)| id).ok();
        }
        let position = *self.positions.get(attr as usize).unwrap_or(&0);
        (position != 0).then(|| usize::from(position) - 1)
    }

    /// Whether some value of `attr` matches `pattern`, remembered per event.
    pub(crate) fn regex_holds(&self, attr: AttrId, pattern: &Pattern) -> bool {
        let Some(values) = self.get(attr) else {
            return false;
        };
        let id = pattern.as_str().as_ptr() as usize;
        let mut outcomes = self.regex_outcomes.borrow_mut();
        if let Some(&(_, _, holds)) = outcomes.iter().find(|&&(a, p, _)| a == attr && p == id) {
            return holds;
        }
        let holds = values
            .iter()
            .any(|v| v.as_str().is_some_and(|s| pattern.is_match(s)));
        if outcomes.len() < MAX_REGEX_OUTCOMES {
            outcomes.push((attr, id, holds));
        }
        holds
    }
}

/// The least and greatest of `values` that are numbers, as floats (exact for the integers a
/// threshold can be compared with, see `ranges`).
fn numeric_span(values: &[Value]) -> Option<(f64, f64)> {
    values
        .iter()
        .filter_map(|value| match *value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        })
        .fold(None, |span, v| match span {
            None => Some((v, v)),
            Some((low, high)) => Some((f64::min(low, v), f64::max(high, v))),
        })
}

/// One atom with its attribute resolved to an id.
#[derive(Clone, Debug)]
pub(crate) struct CompiledAtom {
    pub(crate) attr: AttrId,
    pub(crate) negated: bool,
    pub(crate) test: Test,
    /// The threshold the atom puts on a number, if it is one the range filter takes: read by
    /// every step of filing a conjunction, so decoded once.
    pub(crate) threshold: Option<(Side, f64)>,
}

impl CompiledAtom {
    pub(crate) fn new(attr: AttrId, negated: bool, test: Test) -> Self {
        CompiledAtom {
            attr,
            negated,
            threshold: threshold(negated, &test),
            test,
        }
    }

    pub(crate) fn matches(&self, view: &EventView<'_>) -> bool {
        let holds = match &self.test {
            Test::Regex(pattern) => view.regex_holds(self.attr, pattern),
            test => view
                .get(self.attr)
                .is_some_and(|values| test.holds_any(values)),
        };
        holds != self.negated
    }
}

/// Compiles predicates one after another against the index's tables. A predicate on the path
/// of the one before it (a range is two of them, and the parser shares their key) takes that
/// one's attribute id without looking the name up again.
struct AtomCompiler<'t, 'p> {
    table: &'t mut AttrTable,
    patterns: &'t mut PatternTable,
    last: Option<(&'p Path, AttrId)>,
}

impl<'t, 'p> AtomCompiler<'t, 'p> {
    fn new(table: &'t mut AttrTable, patterns: &'t mut PatternTable) -> Self {
        AtomCompiler {
            table,
            patterns,
            last: None,
        }
    }

    fn compile(&mut self, predicate: &'p Predicate, negated: bool) -> CompiledAtom {
        let path = &predicate.path;
        let attr = match self.last {
            Some((last, attr)) if last.shares_key(path) => attr,
            _ => self.table.intern_hashed(path.key(), path.key_hash()),
        };
        self.last = Some((path, attr));
        let test = match &predicate.test {
            Test::Regex(pattern) => Test::Regex(self.patterns.share(pattern.clone())),
            other => other.clone(),
        };
        CompiledAtom::new(attr, negated, test)
    }
}

/// A conjunction's atoms compiled against the index's tables, and its residual formula.
pub(crate) fn compile(
    conjunction: Conjunction,
    table: &mut AttrTable,
    patterns: &mut PatternTable,
) -> (Vec<CompiledAtom>, Option<Box<Formula>>) {
    let mut compiler = AtomCompiler::new(table, patterns);
    let atoms = conjunction
        .atoms
        .iter()
        .map(|a| compiler.compile(&a.predicate, a.negated))
        .collect();
    (atoms, conjunction.residual.map(Box::new))
}

/// The atoms of a filter that is a plain conjunction of predicates without negation (the
/// common case, `price > 100 && symbol == "ACME"`), compiled straight from the syntax tree:
/// the same atoms its normal form has, without building and dropping the normal form. `None`
/// for any other filter, before any name is interned.
pub(crate) fn compile_plain(
    expr: &Expr,
    table: &mut AttrTable,
    patterns: &mut PatternTable,
) -> Option<Vec<CompiledAtom>> {
    fn is_plain(expr: &Expr) -> bool {
        match expr {
            Expr::Pred(_) | Expr::Const(true) => true,
            Expr::And(operands) => operands.iter().all(is_plain),
            Expr::Const(false) | Expr::Not(_) | Expr::Or(_) => false,
        }
    }
    fn compile_into<'p>(
        expr: &'p Expr,
        compiler: &mut AtomCompiler<'_, 'p>,
        atoms: &mut Vec<CompiledAtom>,
    ) {
        match expr {
            Expr::Pred(predicate) => atoms.push(compiler.compile(predicate, false)),
            Expr::And(operands) => {
                for operand in operands {
                    compile_into(operand, compiler, atoms);
                }
            }
            Expr::Const(_) | Expr::Not(_) | Expr::Or(_) => {}
        }
    }
    if !is_plain(expr) {
        return None;
    }
    let mut atoms = Vec::with_capacity(match expr {
        Expr::And(operands) => operands.len(),
        _ => 1,
    });
    compile_into(expr, &mut AtomCompiler::new(table, patterns), &mut atoms);
    Some(atoms)
}

/// What is left to check of a conjunction that survives its cluster's filters: the atoms they
/// do not decide, and the residual formula (rare), evaluated on the event directly. Most
/// conjunctions have nothing left, and the index keeps nothing else of their atoms.
#[derive(Debug)]
pub(crate) struct Undecided {
    pub(crate) atoms: Box<[CompiledAtom]>,
    pub(crate) residual: Option<Box<Formula>>,
}

impl Undecided {
    pub(crate) fn is_empty(&self) -> bool {
        self.atoms.is_empty() && self.residual.is_none()
    }

    /// Whether the rest of the conjunction holds for `view`.
    pub(crate) fn matches(&self, view: &EventView<'_>) -> bool {
        self.atoms.iter().all(|a| a.matches(view))
            && self.residual.as_ref().is_none_or(|r| r.matches(view.event))
    }
}
