//! Release health: a service behind the HTTP layer counts a session per request (healthy,
//! errored, crashed), sent as counts per minute with the config's release and environment;
//! a program counts one session for the whole run. Checked on the envelopes, and read back by
//! sentry-python's envelope parser next to the sessions sentry-python sends itself.

mod common;

use std::collections::BTreeSet;

use vigil::protocol::{Envelope, SessionStatus};

/// The session items of `envelopes` as sentry-python's parser reads them, and the session
/// items sentry-python sends for the same kinds of session (`tests/sentry_sdk_sessions.py`).
fn through_sentry_sdk(envelopes: &[Envelope]) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let parsed = common::through_sentry_sdk("sentry_sdk_sessions.py", envelopes);
    let items =
        |side: &str| -> Vec<serde_json::Value> { parsed[side].as_array().unwrap().to_vec() };
    (items("vigil"), items("python"))
}

/// Every key sentry-python sends in `theirs` is in `ours`, with the same JSON type; except
/// two the `sentry` crate leaves out of a session update where Relay's default says the
/// same: `init` when false (a later update of a session sent before with `init: true`; the
/// tests check that one), and `timestamp` (Relay takes the time it received the update).
fn has_what_python_sends(ours: &serde_json::Value, theirs: &serde_json::Value) {
    let keys = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    let relay_defaults = |k: &String| k == "init" || k == "timestamp";
    let missing: Vec<_> = keys(theirs)
        .difference(&keys(ours))
        .filter(|k| !relay_defaults(k))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "vigil lacks {missing:?}: {ours:#} vs {theirs:#}"
    );
    for (key, their) in theirs.as_object().unwrap() {
        if !ours.as_object().unwrap().contains_key(key) {
            continue;
        }
        assert_eq!(
            std::mem::discriminant(&ours[key]),
            std::mem::discriminant(their),
            "{key}: {} vs {their}",
            ours[key]
        );
    }
}

#[cfg(feature = "axum")]
mod service {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    async fn ok() -> &'static str {
        "ok"
    }

    async fn not_found() -> StatusCode {
        StatusCode::NOT_FOUND
    }

    async fn fail() -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    #[vigil::monitored]
    async fn load_invoice() -> Result<String, std::io::Error> {
        Err(std::io::Error::other("invoice store unreachable"))
    }

    async fn invoice() -> Result<String, StatusCode> {
        load_invoice()
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
    }

    async fn boom() -> &'static str {
        panic!("handler exploded")
    }

    /// Reports from a task it spawns (bound to the request) and waits for it.
    async fn background() -> &'static str {
        let task = tokio::spawn(vigil::bind(async {
            vigil::capture_message!("cache refresh failed", level = warning);
        }));
        task.await.unwrap();
        "started"
    }

    fn app() -> Router {
        Router::new()
            .route("/ok", get(ok))
            .route("/missing", get(not_found))
            .route("/fail", get(fail))
            .route("/invoice", get(invoice))
            .route("/panic", get(boom))
            .route("/background", get(background))
            .layer(vigil::axum::layer())
    }

    #[test]
    fn request_sessions_add_up_to_the_requests_with_the_right_split() {
        // With the `axum` feature, the HTTP layer's mode is the default.
        assert_eq!(
            vigil::Config::new().effective_session_mode(),
            vigil::SessionMode::Request
        );
        let config = vigil::Config::new()
            .release("billing@2.1.0")
            .environment(vigil::Environment::Production)
            .release_health(true);
        let requests = [
            ("/ok", StatusCode::OK),
            ("/ok", StatusCode::OK),
            ("/missing", StatusCode::NOT_FOUND),
            ("/fail", StatusCode::INTERNAL_SERVER_ERROR),
            ("/ok", StatusCode::OK),
            ("/invoice", StatusCode::INTERNAL_SERVER_ERROR),
            ("/panic", StatusCode::INTERNAL_SERVER_ERROR),
            ("/ok", StatusCode::OK),
        ];
        let captured = vigil::testing::capture_with(config, || {
            common::block_on(async {
                for (uri, status) in requests {
                    let response = app()
                        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
                        .await
                        .unwrap();
                    assert_eq!(response.status(), status, "{uri}");
                }
            })
        })
        .unwrap();
        // One event per failed request, each captured through its request's hub.
        assert_eq!(captured.events.len(), 3, "{captured}");
        // No session for the process: sessions are per request in this mode.
        assert!(captured.sessions.is_empty(), "{:?}", captured.sessions);
        let (mut exited, mut errored, mut crashed, mut abnormal) = (0, 0, 0, 0);
        for aggregates in &captured.session_aggregates {
            assert_eq!(aggregates.attributes.release, "billing@2.1.0");
            assert_eq!(
                aggregates.attributes.environment.as_deref(),
                Some("production")
            );
            for bucket in &aggregates.aggregates {
                exited += bucket.exited;
                errored += bucket.errored;
                crashed += bucket.crashed;
                abnormal += bucket.abnormal;
            }
        }
        assert_eq!(
            (exited, errored, crashed, abnormal),
            (5, 2, 1, 0),
            "{:#?}",
            captured.session_aggregates
        );

        // As sentry-python reads them, and with what sentry-python sends.
        let (vigil, python) = through_sentry_sdk(&captured.envelopes);
        let ours: Vec<&serde_json::Value> =
            vigil.iter().filter(|item| item[0] == "sessions").collect();
        assert!(!ours.is_empty());
        let counted: u64 = ours
            .iter()
            .flat_map(|item| item[1]["aggregates"].as_array().unwrap())
            .map(|bucket| {
                ["exited", "errored", "crashed", "abnormal"]
                    .iter()
                    .map(|k| bucket[*k].as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .sum();
        assert_eq!(counted, 8);
        let theirs = python.iter().find(|item| item[0] == "sessions").unwrap();
        has_what_python_sends(&ours[0][1], &theirs[1]);
        has_what_python_sends(&ours[0][1]["attrs"], &theirs[1]["attrs"]);
        has_what_python_sends(
            &ours[0][1]["aggregates"][0],
            &serde_json::json!({ "started": theirs[1]["aggregates"][0]["started"] }),
        );
    }

    /// The sessions of `requests` (all answered with `status`) under `config`, and the
    /// events captured.
    fn sessions_of(
        config: vigil::Config,
        requests: &[(&str, StatusCode)],
    ) -> ((u32, u32, u32), vigil::testing::Captured) {
        let captured = vigil::testing::capture_with(config.release("billing@2.1.0"), || {
            common::block_on(async {
                for (uri, status) in requests {
                    let request = Request::builder().uri(*uri).body(Body::empty()).unwrap();
                    assert_eq!(app().oneshot(request).await.unwrap().status(), *status);
                }
            })
        })
        .unwrap();
        let mut counts = (0, 0, 0);
        for bucket in captured
            .session_aggregates
            .iter()
            .flat_map(|a| &a.aggregates)
        {
            counts.0 += bucket.exited;
            counts.1 += bucket.errored;
            counts.2 += bucket.crashed;
        }
        (counts, captured)
    }

    #[test]
    fn an_ignored_error_leaves_its_session_healthy_and_adds_no_5xx_event() {
        let config = vigil::Config::new()
            .release_health(true)
            .ignore_errors(["std::io::Error"]);
        let (counts, captured) =
            sessions_of(config, &[("/invoice", StatusCode::INTERNAL_SERVER_ERROR)]);
        assert!(captured.events.is_empty(), "{captured}");
        assert_eq!(counts, (1, 0, 0));
    }

    #[test]
    fn with_tracing_off_events_still_name_their_request_and_count_in_sessions() {
        let config = vigil::Config::new()
            .release_health(true)
            .enable_tracing(false);
        let requests = [
            ("/ok", StatusCode::OK),
            ("/invoice", StatusCode::INTERNAL_SERVER_ERROR),
            ("/panic", StatusCode::INTERNAL_SERVER_ERROR),
        ];
        let (counts, captured) = sessions_of(config, &requests);
        assert!(captured.transactions.is_empty());
        assert_eq!(counts, (1, 1, 1), "{captured}");
        assert_eq!(captured.events.len(), 2, "{captured}");
        for event in &captured.events {
            let url = event.request.as_ref().and_then(|r| r.url.as_ref());
            assert!(
                url.is_some_and(|u| u.path() == "/invoice" || u.path() == "/panic"),
                "{event:?}"
            );
            // Named by the request, as a transaction would have named it.
            assert!(
                event.transaction.as_deref() == Some("GET /invoice")
                    || event.transaction.as_deref() == Some("GET /panic"),
                "{event:?}"
            );
        }
        // A task the handler spawns, bound to the request, reports with the request too.
        let config = vigil::Config::new().enable_tracing(false);
        let (_, captured) = sessions_of(config, &[("/background", StatusCode::OK)]);
        let event = captured.single_event();
        let url = event.request.as_ref().and_then(|r| r.url.as_ref());
        assert_eq!(url.map(|u| u.path()), Some("/background"), "{event:?}");
        assert_eq!(event.transaction.as_deref(), Some("GET /background"));
    }

    #[test]
    fn release_health_off_sends_no_sessions() {
        let config = vigil::Config::new().release_health(false);
        let captured = vigil::testing::capture_with(config, || {
            common::block_on(async {
                let request = Request::builder().uri("/ok").body(Body::empty()).unwrap();
                assert!(app().oneshot(request).await.unwrap().status().is_success());
            })
        })
        .unwrap();
        assert_eq!(captured.transactions.len(), 1);
        assert!(captured.session_aggregates.is_empty() && captured.sessions.is_empty());
    }
}

#[test]
fn a_programs_session_is_errored_by_an_error_event_and_ends_with_the_run() {
    let config = vigil::Config::new()
        .release("cli@1.0.0")
        .release_health(true)
        .session_mode(vigil::SessionMode::Application);
    let captured = vigil::testing::capture_with(config, || {
        vigil::capture_message!("starting");
        let err = std::io::Error::other("disk full");
        vigil::capture_exception!(err);
        vigil::capture_exception!(std::io::Error::other("still full"));
    })
    .unwrap();
    assert_eq!(captured.events.len(), 3);
    // The session goes with the first event, an update with each error event, then the end
    // of the run.
    let [first, one_error, two_errors, last] = &captured.sessions[..] else {
        panic!("{:#?}", captured.sessions)
    };
    assert!(captured
        .sessions
        .iter()
        .all(|s| s.session_id == first.session_id));
    assert!(first.init && !one_error.init && !last.init);
    assert_eq!(
        [first, one_error, two_errors].map(|s| (s.status, s.errors)),
        [
            (SessionStatus::Ok, 0),
            (SessionStatus::Ok, 1),
            (SessionStatus::Ok, 2)
        ]
    );
    assert_eq!(last.status, SessionStatus::Exited);
    assert_eq!(last.errors, 2);
    assert_eq!(last.attributes.release, "cli@1.0.0");
    assert!(last.duration.is_some());

    let (vigil, python) = through_sentry_sdk(&captured.envelopes);
    let ours: Vec<&serde_json::Value> = vigil.iter().filter(|item| item[0] == "session").collect();
    assert_eq!(ours.len(), 4);
    let end = &ours[3][1];
    assert_eq!(end["status"], "exited");
    assert_eq!(end["errors"], 2);
    assert_eq!(end["attrs"]["release"], "cli@1.0.0");
    let theirs = python.iter().find(|item| item[0] == "session").unwrap();
    has_what_python_sends(end, &theirs[1]);
    has_what_python_sends(&end["attrs"], &theirs[1]["attrs"]);
}
