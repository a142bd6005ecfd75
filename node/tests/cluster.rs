//! Real `sift node` processes on loopback: exact delivery across a five-node overlay, and
//! the overlay going on delivering after a node is killed.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::{cluster, collect, publish, settle, subscribe_pull, temp_dir, wait_for_overlay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_deliver_exactly_the_matching_events_even_after_one_is_killed() {
    let traces = temp_dir("traces");
    let mut nodes = cluster(5, Some(&traces));
    wait_for_overlay(&nodes.iter().collect::<Vec<_>>()).await;

    // Subscriptions at nodes 1, 2 and 3; events from nodes 4 and 0.
    let expensive = subscribe_pull(&nodes[1], "price > 100", None).await;
    let acme = subscribe_pull(&nodes[2], r#"symbol == "ACME""#, None).await;
    let cheap_acme = subscribe_pull(&nodes[3], r#"symbol == "ACME" && price < 50"#, None).await;
    let never = subscribe_pull(&nodes[3], "price > 1000000", None).await;
    let subscribers = [&nodes[1], &nodes[2], &nodes[3]];
    settle(&nodes[4], &subscribers).await;
    settle(&nodes[0], &subscribers).await;

    let mut want_expensive = Vec::new();
    let mut want_acme = Vec::new();
    let mut want_cheap_acme = Vec::new();
    for (i, (symbol, price)) in [("ACME", 120), ("ACME", 20), ("INIT", 500), ("INIT", 5)]
        .into_iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        let publisher = if i % 2 == 0 { &nodes[4] } else { &nodes[0] };
        let id = publish(publisher, json!({"symbol": symbol, "price": price, "n": i})).await;
        if price > 100 {
            want_expensive.push(id.clone());
        }
        if symbol == "ACME" {
            want_acme.push(id.clone());
            if price < 50 {
                want_cheap_acme.push(id);
            }
        }
    }
    for want in [&mut want_expensive, &mut want_acme, &mut want_cheap_acme] {
        want.sort();
    }
    assert_eq!(
        collect(&nodes[1], &expensive, want_expensive.len()).await,
        want_expensive
    );
    assert_eq!(collect(&nodes[2], &acme, want_acme.len()).await, want_acme);
    assert_eq!(
        collect(&nodes[3], &cheap_acme, want_cheap_acme.len()).await,
        want_cheap_acme
    );
    assert!(collect(&nodes[3], &never, 0).await.is_empty());

    // Kill the seed everyone joined through: the others repair the overlay and go on.
    nodes[0].kill();
    settle(&nodes[4], &[&nodes[1], &nodes[2], &nodes[3]]).await;
    let mut after = Vec::new();
    for price in [150, 250] {
        after.push(publish(&nodes[4], json!({"symbol": "ACME", "price": price})).await);
    }
    after.sort();
    assert_eq!(collect(&nodes[1], &expensive, 2).await, after);
    assert_eq!(collect(&nodes[2], &acme, 2).await, after);
    assert!(collect(&nodes[3], &cheap_acme, 0).await.is_empty());

    // The merged traces of the nodes tell the same story to `sift check`.
    for node in &mut nodes[1..] {
        node.stop();
    }
    let files: Vec<String> = (0..5)
        .map(|i| traces.join(format!("n{i}.jsonl")).display().to_string())
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["check", "--json", "--settle-ms", "3000"])
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["nodes"], 5);
    assert_eq!(report["missing"], 0);
    assert_eq!(report["duplicates"], 0);
    assert_eq!(report["spurious"], 0);
    let wanted = want_expensive.len() + want_acme.len() + want_cheap_acme.len() + 4;
    assert!(
        report["deliveries"].as_u64().unwrap() >= wanted as u64,
        "{report}"
    );
    std::fs::remove_dir_all(&traces).unwrap();
}
