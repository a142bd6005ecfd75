//! Each gossip strategy on real `sift node` processes on loopback, with its parameters from
//! flags or a configuration file: subscribers on three of four nodes get every matching
//! event once.

mod support;

use serde_json::json;
use support::{NodeProcess, collect, publish, settle, subscribe_pull, temp_dir, wait_for_overlay};

async fn delivers_exactly(flags: &[&str]) {
    let extra: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    let seed = NodeProcess::start_with("n0", None, &extra);
    let address = seed.address.clone();
    let mut nodes = vec![seed];
    for i in 1..4 {
        nodes.push(NodeProcess::start_with(
            &format!("n{i}"),
            Some(&address),
            &extra,
        ));
    }
    wait_for_overlay(&nodes.iter().collect::<Vec<_>>()).await;
    let mut subs = Vec::new();
    for node in &nodes[1..] {
        subs.push(subscribe_pull(node, "price > 100", None).await);
    }
    settle(&nodes[0], &[&nodes[1], &nodes[2], &nodes[3]]).await;
    let mut wanted = Vec::new();
    for (i, price) in [50, 150, 99, 250, 101, 7].into_iter().enumerate() {
        let id = publish(&nodes[i % 2 * 3], json!({ "price": price, "n": i })).await;
        if price > 100 {
            wanted.push(id);
        }
    }
    wanted.sort();
    for (node, sub) in nodes[1..].iter().zip(&subs) {
        assert_eq!(
            collect(node, sub, wanted.len()).await,
            wanted,
            "{flags:?} at {}",
            node.api
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumor_backed_by_anti_entropy() {
    delivers_exactly(&[
        "--strategy",
        "rumor",
        "--k",
        "3",
        "--anti-entropy",
        "push-pull",
        "--round-ms",
        "100",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blind_counter() {
    delivers_exactly(&["--strategy", "blind-counter", "--b", "3", "--f", "2"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anti_entropy_from_a_configuration_file() {
    let dir = temp_dir("gossip-config");
    let file = dir.join("node.toml");
    std::fs::write(
        &file,
        "strategy = \"anti-entropy\"\n[gossip]\nmode = \"push-pull\"\nround_ms = 100\n",
    )
    .unwrap();
    delivers_exactly(&["--config", file.to_str().unwrap()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pbcast() {
    delivers_exactly(&["--strategy", "pbcast", "--round-ms", "100", "--fanout", "2"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plumtree() {
    delivers_exactly(&["--strategy", "plumtree", "--graft-timeout-ms", "500"]).await;
}

#[test]
fn a_bad_gossip_parameter_is_refused_before_the_node_starts() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sift"))
        .args([
            "node",
            "--strategy",
            "rumor",
            "--k",
            "0",
            "--api",
            "127.0.0.1:0",
        ])
        .args(["--listen", "/ip4/127.0.0.1/tcp/0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("k must be at least 1"), "{stderr}");
}
