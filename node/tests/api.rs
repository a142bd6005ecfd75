//! One real `sift node` process and its HTTP API: expiry, renewal, cancellation, the pull
//! queue's acknowledgements, webhooks, and the errors bad requests get.

mod support;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use futures::StreamExt;
use serde_json::{Value, json};
use support::{NodeProcess, client, delete, get, post, post_raw, publish, pull, subscribe_pull};

#[tokio::test]
async fn expiry_ends_a_stream_and_forgets_the_subscription() {
    let node = NodeProcess::start("expiry", None);
    let (status, sub) = post(
        &node,
        "/v1/subscriptions",
        json!({"filter": "x > 1", "ttl": "4s"}),
    )
    .await;
    assert_eq!(status, 201);
    let id = sub["id"].as_str().unwrap();
    assert!(sub["expires_at"].is_string());

    let open = || {
        client()
            .get(node.url(&format!("/v1/subscriptions/{id}/stream")))
            .send()
    };
    let first = open().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        open().await.unwrap().status(),
        409,
        "a stream has one consumer"
    );

    // The first consumer goes away; once the node notices (on its next write), the stream
    // is free for the next one.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let stream = loop {
        publish(&node, json!({"x": 3})).await;
        let next = open().await.unwrap();
        if next.status() == 200 {
            break next;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream was never freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    publish(&node, json!({"x": 5})).await;
    publish(&node, json!({"x": 0})).await;
    let mut body = stream.bytes_stream();
    let mut text = String::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if text.contains("event: end") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the stream did not end at expiry: {text}");
    assert_eq!(text.matches(r#""x":5"#).count(), 1, "{text}");
    assert_eq!(get(&node, &format!("/v1/subscriptions/{id}")).await.0, 404);
}

#[tokio::test]
async fn renew_extends_and_cancel_stops() {
    let node = NodeProcess::start("renew", None);
    let renewed = subscribe_pull(&node, "x > 1", Some("1s")).await;
    let cancelled = subscribe_pull(&node, "x > 1", None).await;
    let renew = format!("/v1/subscriptions/{renewed}/renew");
    assert_eq!(post(&node, &renew, json!({"ttl": "1h"})).await.0, 200);
    let cancel = format!("/v1/subscriptions/{cancelled}");
    assert_eq!(delete(&node, &cancel).await, 204);
    assert_eq!(delete(&node, &cancel).await, 404, "cancelled already");

    // Past the first expiry: the renewed subscription still matches.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let id = publish(&node, json!({"x": 2})).await;
    let got = pull(&node, &renewed, "5s").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["event_id"], json!(id));
    let (_, listed) = get(&node, "/v1/subscriptions").await;
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [renewed.as_str()]);
}

#[tokio::test]
async fn unacknowledged_pulls_come_back_after_their_visibility_timeout() {
    let node = NodeProcess::start("pull", None);
    let sub = subscribe_pull(&node, "exists(n)", None).await;
    for n in 0..2 {
        publish(&node, json!({ "n": n })).await;
    }
    let events = |query: &str| format!("/v1/subscriptions/{sub}/events?{query}");
    let mut taken = Vec::new();
    while taken.len() < 2 {
        let (_, body) = get(&node, &events("wait=5s&max=10&visibility=1s")).await;
        taken.extend(body["events"].as_array().unwrap().clone());
    }
    let ack = format!("/v1/subscriptions/{sub}/ack");
    let (_, acked) = post(&node, &ack, json!({"receipts": [taken[0]["receipt"]]})).await;
    assert_eq!(acked["acked"], 1);

    let (_, polled) = get(&node, &events("max=10")).await;
    let polled = polled["events"].as_array().unwrap();
    assert!(polled.is_empty(), "nothing visible yet");

    let (_, back) = get(&node, &events("wait=5s&max=10")).await;
    let back = back["events"].as_array().unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["event_id"], taken[1]["event_id"]);
    assert_eq!(back[0]["redeliveries"], 1);
}

/// A webhook receiver on loopback that fails the first `failures` requests; it returns its
/// URL, the bodies it took, and the number of requests it got.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Value>>>, Arc<Mutex<usize>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(Mutex::new(0usize));
    let app = {
        let received = Arc::clone(&received);
        let calls = Arc::clone(&calls);
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let received = Arc::clone(&received);
                let calls = Arc::clone(&calls);
                async move {
                    let mut calls = calls.lock().unwrap();
                    *calls += 1;
                    if *calls <= failures {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    received.lock().unwrap().push(body);
                    StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received, calls)
}

#[tokio::test]
async fn webhooks_retry_a_failing_receiver_and_count_the_failures() {
    let node = NodeProcess::start("webhook", None);
    let (url, received, _) = receiver(2).await;
    let webhook =
        |url: &str| json!({"filter": "x > 1", "callback": {"type": "webhook", "url": url}});
    let (status, sub) = post(&node, "/v1/subscriptions", webhook(&url)).await;
    assert_eq!(status, 201);
    let id = sub["id"].as_str().unwrap().to_owned();
    let event_id = publish(&node, json!({"x": 2})).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the webhook was never called"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = received.lock().unwrap()[0].clone();
    assert_eq!(body["event_id"], json!(event_id));
    assert_eq!(body["event"]["x"], 2);
    let (_, sub) = get(&node, &format!("/v1/subscriptions/{id}")).await;
    assert_eq!(sub["webhook"]["failed_attempts"], 2);
    assert_eq!(sub["webhook"]["given_up"], 0);

    let (status, body) = post(&node, "/v1/subscriptions", webhook("ftp://h/")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "bad_webhook");
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let node = NodeProcess::start("errors", None);
    let (status, body) = post(
        &node,
        "/v1/subscriptions",
        json!({"filter": "price > && x"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "bad_filter");
    assert_eq!(body["error"]["offset"], 8);

    let (status, body) = post_raw(&node, "/v1/events", "{\"price\": ".into()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "bad_event");

    let oversize = format!("{{\"pad\": \"{}\"}}", "x".repeat(2 << 20));
    assert_eq!(post_raw(&node, "/v1/events", oversize).await.0, 413);

    let (status, body) = post_raw(&node, "/v1/events/batch", "{\"a\": 1}\nnot json\n".into()).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2"),
        "{body}"
    );

    let sub = subscribe_pull(&node, "x > 1", None).await;
    let (status, body) = get(&node, &format!("/v1/subscriptions/{sub}/events?max=lots")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "bad_parameter");
    let (status, body) = post(&node, &format!("/v1/subscriptions/{sub}/renew"), json!({})).await;
    assert_eq!(status, 400, "a renewal names its expiry");
    assert_eq!(body["error"]["code"], "bad_expiry");
    assert_eq!(
        delete(&node, &format!("/v1/subscriptions/{sub}")).await,
        204
    );
    let (status, body) = get(&node, "/v1/events").await;
    assert_eq!(status, 405);
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let (status, body) = get(&node, "/v1/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (_, stats) = get(&node, "/v1/stats").await;
    assert_eq!(stats["subscriptions"], 0);
    assert_eq!(
        stats["counters"]["events_published"], 0,
        "the bad batch published nothing"
    );

    // The CLI: a bad filter exits 2 and points at the offset.
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["sub", "price > && x", "--api", &node.api])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("price > && x\n        ^"), "{stderr}");
    assert!(stderr.contains("byte 8"), "{stderr}");
}

#[tokio::test]
async fn a_webhook_stops_retrying_when_its_subscription_expires() {
    let node = NodeProcess::start("webhook-expiry", None);
    let (url, _, calls) = receiver(usize::MAX).await;
    let request =
        json!({"filter": "x > 1", "ttl": "1s", "callback": {"type": "webhook", "url": url}});
    let (status, sub) = post(&node, "/v1/subscriptions", request).await;
    assert_eq!(status, 201);
    let path = format!("/v1/subscriptions/{}", sub["id"].as_str().unwrap());
    publish(&node, json!({"x": 2})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while get(&node, &path).await.0 != 404 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the subscription never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Attempts go out at about 0, 0.2, 0.6, 1.4 and 3 s after the event: had the webhook
    // outlived its subscription, one would come within the next 2 s.
    let at_expiry = *calls.lock().unwrap();
    assert!(at_expiry >= 1, "the webhook was never tried");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(*calls.lock().unwrap(), at_expiry, "an attempt after expiry");
    assert_eq!(get(&node, "/healthz").await.0, 200);
}
