//! The broker architectures on real `sift node` processes on loopback: nodes given a role by
//! flag or configuration file become brokers or the master, the others find them by their
//! beacons, and subscribers on every client node get each matching event once.

mod support;

use serde_json::json;
use support::{
    NodeProcess, collect, node_refuses, publish, settle, subscribe_pull, temp_dir, wait_for_overlay,
};

/// Starts five nodes of `strategy`, the first ones with `roles`, and checks delivery.
async fn delivers_exactly(strategy: &str, roles: &[&[&str]]) {
    let flags = |i: usize| -> Vec<String> {
        let mut flags = vec!["--strategy".to_string(), strategy.to_string()];
        if let Some(role) = roles.get(i) {
            flags.extend(role.iter().map(|f| f.to_string()));
        }
        flags
    };
    let seed = NodeProcess::start_with("n0", None, &flags(0));
    let address = seed.address.clone();
    let mut nodes = vec![seed];
    for i in 1..5 {
        nodes.push(NodeProcess::start_with(
            &format!("n{i}"),
            Some(&address),
            &flags(i),
        ));
    }
    wait_for_overlay(&nodes.iter().collect::<Vec<_>>()).await;
    let filters = [
        "price > 100",
        r#"symbol == "ACME""#,
        // No positive anchor; the probes of `settle` are no matches.
        "!(price > 10) && !exists(probe)",
        r#"symbol in ["ACME", "INIT"] && price > 200"#,
    ];
    let mut subs = Vec::new();
    for (i, filter) in filters.iter().enumerate() {
        let node = &nodes[1 + i];
        subs.push((node, *filter, subscribe_pull(node, filter, None).await));
    }
    let subscribers: Vec<&NodeProcess> = nodes[1..].iter().collect();
    settle(&nodes[0], &subscribers).await;
    settle(&nodes[4], &subscribers).await;
    let events = [
        json!({ "price": 50, "symbol": "ACME" }),
        json!({ "price": 150, "symbol": "INIT" }),
        json!({ "price": 5 }),
        json!({ "price": 250, "symbol": "ACME" }),
        json!({ "volume": 3 }),
    ];
    let matches = [
        [false, true, false, false],
        [true, false, false, false],
        [false, false, true, false],
        [true, true, false, true],
        [false, false, true, false],
    ];
    let mut wanted = vec![Vec::new(); filters.len()];
    for (i, event) in events.iter().enumerate() {
        let id = publish(&nodes[if i % 2 == 0 { 0 } else { 4 }], event.clone()).await;
        for (f, hit) in matches[i].iter().enumerate() {
            if *hit {
                wanted[f].push(id.clone());
            }
        }
    }
    for ((node, filter, sub), mut wanted) in subs.into_iter().zip(wanted) {
        wanted.sort();
        assert_eq!(
            collect(node, &sub, wanted.len()).await,
            wanted,
            "{strategy}: `{filter}` at {}",
            node.api
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn centralized() {
    delivers_exactly("centralized", &[&["--role", "broker"]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hierarchical() {
    let broker: &[&str] = &["--role", "broker"];
    delivers_exactly("hierarchical", &[&["--role", "master"], broker, broker]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flat_with_roles_from_a_configuration_file() {
    let dir = temp_dir("brokers-config");
    let file = dir.join("broker.toml");
    std::fs::write(&file, "role = \"broker\"\n").unwrap();
    let broker: &[&str] = &["--config", file.to_str().unwrap()];
    delivers_exactly("flat", &[broker, broker, broker]).await;
}

#[test]
fn a_role_the_strategy_does_not_have_is_refused() {
    for (strategy, role) in [
        ("selective", "broker"),
        ("flat", "master"),
        ("flat", "boss"),
    ] {
        let stderr = node_refuses(&["--strategy", strategy, "--role", role]);
        assert!(stderr.contains("role"), "{strategy} {role}: {stderr}");
    }
}
