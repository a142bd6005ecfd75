//! Lowering a filter to a normal form suited to indexing and routing: a disjunction of
//! conjunctions of single-attribute atoms, with a bounded blow-up.
//!
//! Negation is pushed down to the predicates (De Morgan), where it stays as a flag on the atom:
//! `!(x == 5)` is *not* `x != 5` (the first holds when `x` is absent, the second does not), so
//! a negated atom means "no value of the attribute passes the test, or there is none".
//!
//! Distributing `and` over `or` can explode (`(a || b) && (c || d) && ...` doubles with every
//! factor). The lowering never builds more than [`MAX_CONJUNCTIONS`] conjunctions: a factor
//! whose distribution would pass the bound is kept whole as a *residual* formula of its
//! conjunction, evaluated directly. The normal form always matches exactly the events the
//! filter matches; the residual only decides how much of it an index can use.

use crate::event::Event;
use crate::filter::{Expr, Filter, Predicate};

/// The most conjunctions a normal form holds.
pub const MAX_CONJUNCTIONS: usize = 64;

/// A predicate, possibly negated.
#[derive(Clone, Debug, PartialEq)]
pub struct Atom {
    pub predicate: Predicate,
    pub negated: bool,
}

impl Atom {
    pub fn matches(&self, event: &Event) -> bool {
        self.predicate.matches(event) != self.negated
    }
}

/// A formula in negation normal form: negation only on atoms, no constants below the top.
#[derive(Clone, Debug, PartialEq)]
pub enum Formula {
    Const(bool),
    Atom(Atom),
    And(Vec<Formula>),
    Or(Vec<Formula>),
}

impl Formula {
    pub fn matches(&self, event: &Event) -> bool {
        match self {
            Formula::Const(b) => *b,
            Formula::Atom(a) => a.matches(event),
            Formula::And(fs) => fs.iter().all(|f| f.matches(event)),
            Formula::Or(fs) => fs.iter().any(|f| f.matches(event)),
        }
    }

    /// Negation normal form of `expr`, negated if `negate`; constants are folded away except
    /// for a constant result.
    pub fn from_expr(expr: &Expr, negate: bool) -> Formula {
        match expr {
            Expr::Const(b) => Formula::Const(*b != negate),
            Expr::Not(inner) => Formula::from_expr(inner, !negate),
            Expr::Pred(p) => Formula::Atom(Atom {
                predicate: p.clone(),
                negated: negate,
            }),
            // De Morgan: a negated `and` is an `or` of negations, and the reverse.
            Expr::And(es) if !negate => {
                Formula::all(es.iter().map(|e| Formula::from_expr(e, false)))
            }
            Expr::Or(es) if negate => Formula::all(es.iter().map(|e| Formula::from_expr(e, true))),
            Expr::Or(es) => Formula::any(es.iter().map(|e| Formula::from_expr(e, false))),
            Expr::And(es) => Formula::any(es.iter().map(|e| Formula::from_expr(e, true))),
        }
    }

    fn all(operands: impl Iterator<Item = Formula>) -> Formula {
        let mut kept = Vec::new();
        for f in operands {
            match f {
                Formula::Const(true) => {}
                Formula::Const(false) => return Formula::Const(false),
                Formula::And(inner) => kept.extend(inner),
                other => kept.push(other),
            }
        }
        match kept.len() {
            0 => Formula::Const(true),
            1 => kept.pop().expect("one operand"),
            _ => Formula::And(kept),
        }
    }

    fn any(operands: impl Iterator<Item = Formula>) -> Formula {
        let mut kept = Vec::new();
        for f in operands {
            match f {
                Formula::Const(false) => {}
                Formula::Const(true) => return Formula::Const(true),
                Formula::Or(inner) => kept.extend(inner),
                other => kept.push(other),
            }
        }
        match kept.len() {
            0 => Formula::Const(false),
            1 => kept.pop().expect("one operand"),
            _ => Formula::Or(kept),
        }
    }
}

/// Atoms that must all hold, and a residual formula that must hold too.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Conjunction {
    pub atoms: Vec<Atom>,
    /// The part of the filter that was not distributed into atoms; `None` means nothing is left.
    pub residual: Option<Formula>,
}

impl Conjunction {
    pub fn matches(&self, event: &Event) -> bool {
        self.atoms.iter().all(|a| a.matches(event))
            && self.residual.as_ref().is_none_or(|r| r.matches(event))
    }

    /// Adds `other`'s atoms and residual to this conjunction.
    fn conjoin(&mut self, other: &Conjunction) {
        self.atoms.extend(other.atoms.iter().cloned());
        self.residual = match (self.residual.take(), &other.residual) {
            (None, None) => None,
            (Some(r), None) => Some(r),
            (None, Some(r)) => Some(r.clone()),
            (Some(a), Some(b)) => Some(Formula::all([a, b.clone()].into_iter())),
        };
    }
}

/// A filter as a disjunction of conjunctions. No conjunctions means the filter never matches;
/// a conjunction without atoms or residual matches every event.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NormalForm {
    pub conjunctions: Vec<Conjunction>,
}

impl NormalForm {
    pub fn of(filter: &Filter) -> NormalForm {
        NormalForm::from_formula(Formula::from_expr(filter.expr(), false))
    }

    pub fn from_formula(formula: Formula) -> NormalForm {
        // The common case, a plain conjunction of atoms, moves the atoms instead of copying.
        let formula = match formula {
            Formula::Atom(atom) => return NormalForm::single(vec![atom]),
            Formula::And(factors) if factors.iter().all(|f| matches!(f, Formula::Atom(_))) => {
                let atoms = factors
                    .into_iter()
                    .filter_map(|f| match f {
                        Formula::Atom(atom) => Some(atom),
                        _ => None,
                    })
                    .collect();
                return NormalForm::single(atoms);
            }
            other => other,
        };
        let conjunctions = disjuncts(&formula).unwrap_or_else(|| {
            vec![Conjunction {
                atoms: Vec::new(),
                residual: Some(formula),
            }]
        });
        NormalForm { conjunctions }
    }

    pub fn matches(&self, event: &Event) -> bool {
        self.conjunctions.iter().any(|c| c.matches(event))
    }

    fn single(atoms: Vec<Atom>) -> NormalForm {
        NormalForm {
            conjunctions: vec![Conjunction {
                atoms,
                residual: None,
            }],
        }
    }
}

/// The disjunctive normal form of `formula`, or `None` if it would need more than
/// [`MAX_CONJUNCTIONS`] conjunctions (only an `or` can fail: an `and` keeps the factors it cannot
/// distribute as a residual).
fn disjuncts(formula: &Formula) -> Option<Vec<Conjunction>> {
    match formula {
        Formula::Const(true) => Some(vec![Conjunction::default()]),
        Formula::Const(false) => Some(Vec::new()),
        Formula::Atom(a) => Some(vec![Conjunction {
            atoms: vec![a.clone()],
            residual: None,
        }]),
        Formula::Or(operands) => {
            let mut all = Vec::new();
            for operand in operands {
                all.extend(disjuncts(operand)?);
                if all.len() > MAX_CONJUNCTIONS {
                    return None;
                }
            }
            Some(all)
        }
        Formula::And(factors) => {
            let mut product = vec![Conjunction::default()];
            let mut residual = Vec::new();
            for factor in factors {
                match disjuncts(factor) {
                    Some(terms) if terms.is_empty() => return Some(Vec::new()),
                    // One term (an atom, or an `and` of atoms): extend every conjunction in
                    // place, so a long chain of atoms costs one copy of each.
                    Some(mut terms) if terms.len() == 1 => {
                        let term = terms.pop().expect("one term");
                        for p in &mut product {
                            p.conjoin(&term);
                        }
                    }
                    Some(terms) if product.len() * terms.len() <= MAX_CONJUNCTIONS => {
                        product = product
                            .iter()
                            .flat_map(|p| {
                                terms.iter().map(move |t| {
                                    let mut q = p.clone();
                                    q.conjoin(t);
                                    q
                                })
                            })
                            .collect();
                    }
                    _ => residual.push(factor.clone()),
                }
            }
            if !residual.is_empty() {
                let rest = Conjunction {
                    atoms: Vec::new(),
                    residual: Some(Formula::all(residual.into_iter())),
                };
                for p in &mut product {
                    p.conjoin(&rest);
                }
            }
            Some(product)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(text: &str) -> NormalForm {
        NormalForm::of(&Filter::parse(text).expect("test filter parses"))
    }

    fn shape(nf: &NormalForm) -> Vec<(Vec<String>, bool)> {
        nf.conjunctions
            .iter()
            .map(|c| {
                let atoms = c
                    .atoms
                    .iter()
                    .map(|a| format!("{}{}", if a.negated { "!" } else { "" }, a.predicate))
                    .collect();
                (atoms, c.residual.is_some())
            })
            .collect()
    }

    #[test]
    fn distributes_and_over_or() {
        let nf = normal("a == 1 && (b == 2 || c == 3)");
        assert_eq!(
            shape(&nf),
            vec![
                (vec!["a == 1".to_string(), "b == 2".to_string()], false),
                (vec!["a == 1".to_string(), "c == 3".to_string()], false),
            ]
        );
    }

    #[test]
    fn pushes_negation_to_atoms() {
        let nf = normal("!(a == 1 || !(b < 2))");
        assert_eq!(
            shape(&nf),
            vec![(vec!["!a == 1".to_string(), "b < 2".to_string()], false)]
        );
    }

    #[test]
    fn folds_constants() {
        assert_eq!(normal("false || a == 1 && true").conjunctions.len(), 1);
        assert!(normal("a == 1 && false").conjunctions.is_empty());
        assert_eq!(shape(&normal("!false || a == 1")), vec![(vec![], false)]);
    }

    #[test]
    fn keeps_a_residual_instead_of_exploding() {
        // 2^7 = 128 conjunctions if distributed fully.
        let factors: Vec<String> = (0..7)
            .map(|i| format!("(a{i} == 1 || b{i} == 2)"))
            .collect();
        let nf = normal(&format!("anchor == 1 && {}", factors.join(" && ")));
        assert!(nf.conjunctions.len() <= MAX_CONJUNCTIONS);
        assert!(nf.conjunctions.iter().all(|c| c.residual.is_some()));
        assert!(
            nf.conjunctions
                .iter()
                .all(|c| c.atoms.iter().any(|a| a.predicate.path.key() == "anchor"))
        );
    }

    #[test]
    fn a_wide_or_becomes_one_residual() {
        let factors: Vec<String> = (0..8)
            .map(|i| format!("(a{i} == 1 && b{i} == 2 || c{i} == 3)"))
            .collect();
        let nf = normal(&factors.join(" || "));
        // 16 conjunctions fit; this one is under the bound and is distributed.
        assert_eq!(nf.conjunctions.len(), 16);
        let factors: Vec<String> = (0..7)
            .map(|i| format!("(a{i} == 1 || b{i} == 2)"))
            .collect();
        let nf = normal(&format!("({}) || z == 1", factors.join(" && ")));
        assert_eq!(nf.conjunctions.len(), 1);
        assert!(nf.conjunctions[0].atoms.is_empty() && nf.conjunctions[0].residual.is_some());
    }
}
