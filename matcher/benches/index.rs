//! Criterion benchmarks of the subscription index on the interval and market workloads:
//! `cargo bench -p sift-matcher --bench index`. `sift bench match` measures the same at any
//! size with percentiles and memory; these track regressions at a fixed, quick size.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use sift_matcher::workload::{IntervalWorkload, MarketWorkload, WorkloadRng};
use sift_matcher::{Event, Filter, MatchBuffers, SubscriptionIndex};

const SUBSCRIPTIONS: usize = 100_000;
const EVENTS: usize = 256;

struct Workload {
    name: &'static str,
    filters: Vec<Filter>,
    events: Vec<Event>,
}

fn workloads() -> Vec<Workload> {
    let interval = IntervalWorkload::default();
    let market = MarketWorkload::default().build();
    let mut rng = WorkloadRng::seed_from_u64(1);
    vec![
        Workload {
            name: "interval",
            filters: (0..SUBSCRIPTIONS)
                .map(|_| parse(&interval.subscription(&mut rng)))
                .collect(),
            events: (0..EVENTS).map(|_| interval.event(&mut rng)).collect(),
        },
        Workload {
            name: "market",
            filters: (0..SUBSCRIPTIONS)
                .map(|_| parse(&market.subscription(&mut rng)))
                .collect(),
            events: (0..EVENTS).map(|_| market.event(&mut rng)).collect(),
        },
    ]
}

fn parse(text: &str) -> Filter {
    Filter::parse(text).expect("generated filters parse")
}

fn build(filters: &[Filter]) -> SubscriptionIndex<u32> {
    let mut index = SubscriptionIndex::new();
    for (key, filter) in filters.iter().enumerate() {
        index.insert(key as u32, filter);
    }
    index
}

fn bench_index(c: &mut Criterion) {
    for workload in workloads() {
        let mut group = c.benchmark_group(format!("index/{}/{}", workload.name, SUBSCRIPTIONS));
        group.sample_size(10);

        group.throughput(Throughput::Elements(SUBSCRIPTIONS as u64));
        group.bench_function("insert all", |b| {
            b.iter(|| build(black_box(&workload.filters)))
        });

        let index = build(&workload.filters);
        group.throughput(Throughput::Elements(EVENTS as u64));
        // As a matcher running for long does, and as `sift bench match` does.
        let mut buffers = MatchBuffers::default();
        group.bench_function("match events", |b| {
            b.iter(|| {
                workload
                    .events
                    .iter()
                    .map(|e| index.matches_with(black_box(e), &mut buffers).len())
                    .sum::<usize>()
            })
        });
        group.bench_function("naive scan", |b| {
            b.iter(|| {
                workload.events[..8]
                    .iter()
                    .map(|e| {
                        workload
                            .filters
                            .iter()
                            .filter(|f| f.matches(black_box(e)))
                            .count()
                    })
                    .sum::<usize>()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench_index);
criterion_main!(benches);
