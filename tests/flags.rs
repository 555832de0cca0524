//! Feature flags: each request's evaluations on its own events and transaction only.
#![cfg(feature = "axum")]

use axum::body::Body;
use axum::extract::Path;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use vigil::protocol::{Context, Event};

async fn checkout(Path(variant): Path<String>) -> &'static str {
    vigil::set_feature_flag(&format!("checkout_{variant}"), variant == "new");
    // Let the other request run between the flag and the event.
    tokio::task::yield_now().await;
    vigil::capture_message!("checkout done", level = warning);
    "ok"
}

/// A flag's name and result.
type Flag = (String, bool);

fn flags(event: &Event<'static>) -> Vec<Flag> {
    let Some(Context::Other(flags)) = event.contexts.get("flags") else {
        return Vec::new();
    };
    flags["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["flag"].as_str().unwrap().to_owned(),
                v["result"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn concurrent_requests_carry_their_own_flags() {
    let captured = vigil::testing::capture(|| {
        // Set outside any request: every request's scope starts from it.
        vigil::set_feature_flag("dark_mode", true);
        let app = Router::new()
            .route("/checkout/{variant}", get(checkout))
            .layer(vigil::axum::layer());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let call = |variant: &str| {
                app.clone().oneshot(
                    Request::builder()
                        .uri(format!("/checkout/{variant}"))
                        .body(Body::empty())
                        .unwrap(),
                )
            };
            let (a, b) = tokio::join!(call("new"), call("old"));
            assert!(a.unwrap().status().is_success() && b.unwrap().status().is_success());
        });
        // After the requests: the main scope has its own flag only.
        vigil::capture_message!("after");
    });
    let mut seen: Vec<(Option<String>, Vec<Flag>)> = captured
        .events
        .iter()
        .map(|e| (e.transaction.clone(), flags(e)))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (None, vec![("dark_mode".to_owned(), true)]),
            (
                Some("GET /checkout/{variant}".to_owned()),
                vec![
                    ("dark_mode".to_owned(), true),
                    ("checkout_new".to_owned(), true)
                ]
            ),
            (
                Some("GET /checkout/{variant}".to_owned()),
                vec![
                    ("dark_mode".to_owned(), true),
                    ("checkout_old".to_owned(), false)
                ]
            ),
        ]
    );
    // Each request's transaction has its own evaluation as data.
    let mut evaluations: Vec<Vec<String>> = captured
        .transactions
        .iter()
        .map(|tx| {
            let Some(Context::Trace(trace)) = tx.contexts.get("trace") else {
                panic!("trace context")
            };
            trace
                .data
                .keys()
                .filter(|k| k.starts_with("flag.evaluation."))
                .cloned()
                .collect()
        })
        .collect();
    evaluations.sort();
    assert_eq!(
        evaluations,
        vec![
            vec!["flag.evaluation.checkout_new".to_owned()],
            vec!["flag.evaluation.checkout_old".to_owned()]
        ]
    );
}
