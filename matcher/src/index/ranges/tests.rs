//! The range filter against evaluating every threshold, at sizes that take the partition to
//! its largest, through removals, purges and reused slots.

use rand::{RngExt, SeedableRng};

use super::*;
use crate::event::{Event, EventLimits};
use crate::index::compiled::AttrTable;
use crate::workload::WorkloadRng;

/// A slot's atoms on attribute `x`, as the cluster would hand them over.
fn atoms(rng: &mut WorkloadRng, slot: u32) -> Vec<CompiledAtom> {
    let ops = [CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le];
    let bound = |rng: &mut WorkloadRng| -> Value {
        match rng.random_range(0..10) {
            // Many subscriptions sharing one bound.
            0 => Value::Int(500),
            // Bounds that keep rising, as with timestamps.
            1 => Value::Int(i64::from(slot) * 10),
            2 => Value::Float(rng.random_range(-1.0..1.0)),
            _ => Value::Int(rng.random_range(0..1000)),
        }
    };
    (0..rng.random_range(1..=2))
        .map(|_| CompiledAtom::new(0, false, Test::Cmp(ops[rng.random_range(0..4)], bound(rng))))
        .collect()
}

fn event(x: Option<Vec<Value>>) -> Event {
    Event::from_attributes(x.map(|v| ("x".to_string(), v)), &EventLimits::default())
        .expect("a small event")
}

/// Checks pruning against every live slot's atoms for a spread of event values.
fn check(filter: &RangeFilter, live: &[Option<Vec<CompiledAtom>>], table: &AttrTable) {
    let mut probes: Vec<Option<Vec<Value>>> = vec![None, Some(vec![Value::from("text")])];
    for v in [-2.0, -0.5, 0.0, 0.25, 499.0, 500.0, 500.5, 999.0, 1e9] {
        probes.push(Some(vec![Value::Float(v)]));
    }
    for v in [0, 1, 500, 501, 1000, 123_456, 700_000] {
        probes.push(Some(vec![Value::Int(v)]));
    }
    // Several numbers: within one group, and spread over many.
    for values in [[499.0, 500.5], [3.0, 900.0], [-2.0, 1e9], [0.25, 0.5]] {
        probes.push(Some(values.map(Value::Float).to_vec()));
    }
    let mut scratch = Scratch::default();
    for probe in probes {
        let event = event(probe);
        let view = EventView::new(&event, table);
        let mut survivors = vec![0u64; live.len().div_ceil(64)];
        for (slot, atoms) in live.iter().enumerate() {
            if atoms.is_some() {
                survivors[slot / 64] |= 1 << (slot % 64);
            }
        }
        filter.prune(&view, &mut survivors, &mut scratch);
        for (slot, atoms) in live.iter().enumerate() {
            let Some(atoms) = atoms else { continue };
            let matches = atoms.iter().all(|a| a.matches(&view));
            let survived = survivors[slot / 64] & (1 << (slot % 64)) != 0;
            assert_eq!(survived, matches, "slot {slot} {atoms:?} for {event}");
        }
    }
}

#[test]
fn prunes_exactly_through_growth_removal_and_reuse() {
    let mut table = AttrTable::default();
    assert_eq!(table.intern("x"), 0);
    let mut rng = WorkloadRng::seed_from_u64(7);
    let mut filter = RangeFilter::default();
    let mut live: Vec<Option<Vec<CompiledAtom>>> = Vec::new();
    let slots = 45_000u32;
    for slot in 0..slots {
        let atoms = atoms(&mut rng, slot);
        filter.add(slot, &atoms, slot as usize + 1);
        live.push(Some(atoms));
        if slot % 9_000 == 0 {
            check(&filter, &live, &table);
        }
    }
    let groups = filter.attrs[0].groups.len();
    assert!(
        groups > MAX_GROUPS / 2,
        "the partition grew to {groups} groups"
    );
    check(&filter, &live, &table);

    // Remove a third, insert more before purging (rebuilds may run meanwhile), then purge
    // and reuse the removed slots, as a cluster does.
    let mut removed = Vec::new();
    for slot in (0..slots).filter(|s| s % 3 == 1) {
        live[slot as usize].take().expect("live");
        filter.remove(slot);
        removed.push(slot);
    }
    for slot in slots..slots + 30_000 {
        let atoms = atoms(&mut rng, slot);
        filter.add(slot, &atoms, slot as usize + 1);
        live.push(Some(atoms));
    }
    check(&filter, &live, &table);
    let is_removed = |slot: u32| live[slot as usize].is_none();
    filter.purge(&removed, is_removed);
    for &slot in &removed {
        let atoms = atoms(&mut rng, slot);
        filter.add(slot, &atoms, live.len());
        live[slot as usize] = Some(atoms);
    }
    check(&filter, &live, &table);
}

#[test]
fn a_rebuild_between_removal_and_purge_leaves_reused_slots_clean() {
    let mut table = AttrTable::default();
    table.intern("x");
    let mut rng = WorkloadRng::seed_from_u64(11);
    let mut filter = RangeFilter::default();
    let mut live: Vec<Option<Vec<CompiledAtom>>> = Vec::new();
    let mut add = |filter: &mut RangeFilter, live: &mut Vec<_>, slot: u32| {
        let atoms = atoms(&mut rng, slot);
        filter.add(slot, &atoms, live.len().max(slot as usize + 1));
        if slot as usize == live.len() {
            live.push(Some(atoms));
        } else {
            live[slot as usize] = Some(atoms);
        }
    };
    for slot in 0..1_500 {
        add(&mut filter, &mut live, slot);
    }
    let built_at = filter.attrs[0].checked_at;
    let boundaries = filter.attrs[0].partition.cuts().to_vec();
    let removed: Vec<u32> = (0..1_500).filter(|s| s % 2 == 0).collect();
    for &slot in &removed {
        live[slot as usize].take().expect("live");
        filter.remove(slot);
    }
    // The removed slots' thresholds are still in the groups: a rebuild now sets their bits.
    let mut slot = 1_500;
    while filter.attrs[0].checked_at == built_at {
        add(&mut filter, &mut live, slot);
        slot += 1;
    }
    assert_ne!(
        filter.attrs[0].partition.cuts(),
        boundaries,
        "the partition was rebuilt"
    );
    let is_removed = |slot: u32| live[slot as usize].is_none();
    filter.purge(&removed, is_removed);
    // Reused slots get no thresholds at all: a stale bit would rule them out.
    for &slot in &removed {
        live[slot as usize] = Some(Vec::new());
    }
    check(&filter, &live, &table);
}
