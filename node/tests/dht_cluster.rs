//! The `dht` strategy on sixteen real `sift node` processes on loopback: libp2p's Kademlia
//! fills the tables, subscriptions climb toward their rendezvous nodes, and every subscriber
//! gets each matching event once, whichever node publishes it; `--replicas` is refused
//! where it does not belong.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{NodeProcess, collect, node_refuses, publish, subscribe_pull, wait_for_overlay};

const NODES: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_nodes_deliver_exactly() {
    let flags = ["--strategy".to_string(), "dht".to_string()];
    let seed = NodeProcess::start_with("n0", None, &flags);
    let address = seed.address.clone();
    let mut nodes = vec![seed];
    for i in 1..NODES {
        nodes.push(NodeProcess::start_with(
            &format!("n{i}"),
            Some(&address),
            &flags,
        ));
    }
    wait_for_overlay(&nodes.iter().collect::<Vec<_>>()).await;
    // Kademlia's bootstrap spreads the peers over every table in a few round trips.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let filters = [
        "price > 100",
        r#"symbol == "ACME""#,
        r#"symbol == "INIT" && price < 100"#,
        // No positive anchor: the wildcard's tree.
        "!(price > 10)",
        r#"symbol in ["ACME", "INIT"] && price > 200"#,
        r#"news =~ "merger" || volume >= 1000"#,
    ];
    let mut subs = Vec::new();
    for (i, filter) in filters.iter().enumerate() {
        // Subscribers spread over the nodes, two per filter.
        for node in [&nodes[1 + i], &nodes[NODES - 1 - i]] {
            subs.push((node, i, subscribe_pull(node, filter, None).await));
        }
    }
    // Exact delivery is owed a settle period after subscribing (spec/trace-format.md): the
    // joins climb a few hops on loopback in milliseconds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let events = [
        json!({ "price": 50, "symbol": "ACME" }),
        json!({ "price": 150, "symbol": "INIT" }),
        json!({ "price": 5, "symbol": "INIT" }),
        json!({ "price": 250, "symbol": "ACME", "news": "merger talks" }),
        json!({ "volume": 3 }),
        json!({ "volume": 5000, "symbol": "OTHER" }),
        json!({ "price": 7 }),
    ];
    let matches: [[bool; 6]; 7] = [
        [false, true, false, false, false, false],
        [true, false, false, false, false, false],
        [false, false, true, true, false, false],
        [true, true, false, false, true, true],
        [false, false, false, true, false, false],
        [false, false, false, true, false, true],
        [false, false, false, true, false, false],
    ];
    let mut wanted = vec![Vec::new(); filters.len()];
    for (i, event) in events.iter().enumerate() {
        let id = publish(&nodes[(i * 5) % NODES], event.clone()).await;
        for (f, hit) in matches[i].iter().enumerate() {
            if *hit {
                wanted[f].push(id.clone());
            }
        }
    }
    for wanted in &mut wanted {
        wanted.sort();
    }
    for (node, f, sub) in subs {
        assert_eq!(
            collect(node, &sub, wanted[f].len()).await,
            wanted[f],
            "`{}` at {}",
            filters[f],
            node.api
        );
    }
}

#[test]
fn replicas_belong_to_the_dht_and_are_at_least_one() {
    for (strategy, replicas, expected) in [
        ("selective", "2", "replicas belong to the dht"),
        ("dht", "0", "0"),
    ] {
        let stderr = node_refuses(&["--strategy", strategy, "--replicas", replicas]);
        assert!(stderr.contains(expected), "{strategy} {replicas}: {stderr}");
    }
}
