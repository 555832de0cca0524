//! Feature flags: each request's evaluations on its own events and spans only; an evaluation
//! on the span it was made in; names checked at compile time (`flag!`) and never taken for
//! secrets.

use vigil::protocol::{Context, Event, Transaction};

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

/// The `flag.evaluation.*` keys of a map of span data, sorted.
fn evaluations(data: &vigil::protocol::Map<String, serde_json::Value>) -> Vec<String> {
    let mut keys: Vec<String> = data
        .keys()
        .filter(|k| k.starts_with("flag.evaluation."))
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn trace_data(tx: &Transaction<'static>) -> vigil::protocol::Map<String, serde_json::Value> {
    let Some(Context::Trace(trace)) = tx.contexts.get("trace") else {
        panic!("trace context")
    };
    trace.data.clone()
}

#[cfg(feature = "axum")]
mod requests {
    use axum::body::Body;
    use axum::extract::Path;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    async fn checkout(Path(variant): Path<String>) -> &'static str {
        vigil::set_feature_flag(&format!("checkout_{variant}"), variant == "new");
        // Let the other request run between the flag and the event.
        tokio::task::yield_now().await;
        vigil::capture_message!("checkout done", level = warning);
        "ok"
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
            .map(|tx| evaluations(&trace_data(tx)))
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
}

#[vigil::monitored(name = "price_cart")]
fn price_cart() -> u32 {
    if vigil::flag!("new_pricing", true) {
        90
    } else {
        100
    }
}

#[vigil::monitored(name = "many_flags")]
fn many_flags() {
    for i in 0..12 {
        vigil::set_feature_flag(&format!("experiment_{i:02}"), i % 2 == 0);
    }
    // Already recorded on this span: updated, though the span is full.
    vigil::set_feature_flag("experiment_00", false);
}

#[test]
fn an_evaluation_goes_on_the_span_it_was_made_in() {
    let captured = vigil::testing::capture(|| {
        let tx = vigil::start_transaction("checkout", "task");
        vigil::set_feature_flag("dark_mode", false);
        assert_eq!(price_cart(), 90);
        many_flags();
        vigil::capture_message!("checkout done", level = warning);
        drop(tx);
    });
    let tx = captured.single_transaction();
    // The transaction's own evaluation, not its children's.
    let data = trace_data(tx);
    assert_eq!(evaluations(&data), ["flag.evaluation.dark_mode"]);
    assert_eq!(data["flag.evaluation.dark_mode"], false);
    let span = |name: &str| {
        tx.spans
            .iter()
            .find(|s| s.description.as_deref() == Some(name))
            .unwrap()
    };
    let pricing = span("price_cart");
    assert_eq!(evaluations(&pricing.data), ["flag.evaluation.new_pricing"]);
    assert_eq!(pricing.data["flag.evaluation.new_pricing"], true);
    // At most 10 a span, the first ones, as sentry-python keeps.
    let many = span("many_flags");
    let kept = evaluations(&many.data);
    assert_eq!(kept.len(), 10, "{kept:?}");
    assert_eq!(kept[9], "flag.evaluation.experiment_09");
    assert_eq!(many.data["flag.evaluation.experiment_00"], false);
    // The event carries every evaluation of the scope, wherever it was made.
    let on_event = flags(captured.single_event());
    assert_eq!(on_event.len(), 14);
    assert_eq!(on_event[0], ("dark_mode".to_owned(), false));
    assert_eq!(on_event[1], ("new_pricing".to_owned(), true));
}

#[test]
fn flag_names_that_mention_secrets_are_not_taken_for_secrets() {
    let captured = vigil::testing::capture(|| {
        let tx = vigil::start_transaction("login", "task");
        vigil::flag!("new_auth_flow", true);
        vigil::flag!("password_reset_v2", false);
        vigil::set_feature_flag("api_key_rotation", true);
        vigil::capture_message!("login failed", level = error);
        drop(tx);
    });
    assert_eq!(
        flags(captured.single_event()),
        [
            ("new_auth_flow".to_owned(), true),
            ("password_reset_v2".to_owned(), false),
            ("api_key_rotation".to_owned(), true),
        ]
    );
    let data = trace_data(captured.single_transaction());
    assert_eq!(data["flag.evaluation.new_auth_flow"], true);
    assert_eq!(data["flag.evaluation.password_reset_v2"], false);
    assert_eq!(data["flag.evaluation.api_key_rotation"], true);
}

#[test]
fn a_secret_written_into_a_flag_name_is_still_filtered() {
    let captured = vigil::testing::capture(|| {
        vigil::set_feature_flag("beta Bearer abc.def.ghi", true);
        vigil::set_feature_flag("beta_for user@example.com", true);
        vigil::capture_message!("oops", level = error);
    });
    let names: Vec<String> = flags(captured.single_event())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("abc.def.ghi") && !n.contains("user@example.com")),
        "{names:?}"
    );
}

#[test]
fn flag_evaluates_its_result_once_and_gives_it_back() {
    let mut evaluated = 0;
    let mut provider = |on: bool| {
        evaluated += 1;
        on
    };
    assert!(vigil::flag!("new_checkout", provider(true)));
    assert!(!vigil::flag!(
        "new_checkout",
        provider(false),
        crate = "vigil"
    ));
    assert_eq!(evaluated, 2);
}
