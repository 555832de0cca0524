//! Grouping on a real Sentry-compatible server (Bugsink, started by `.ci/bugsink.sh`): how
//! many issues a user gets for one bug, and what their titles say.
//!
//! No silent skip: if the server cannot be set up or started, this test fails and says why.
//! Its own test binary: `init` binds a process-wide client.

mod common;

use common::lookup;

use std::time::Duration;

use serde_json::Value;

/// A run-unique word, so issues of earlier runs on the same server do not count.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("r{nanos:x}")
}

struct Server(common::CiServer);

impl Server {
    fn get(&self, path: &str) -> Value {
        let url = format!("{}/api/canonical/0/{path}", self.0.env["URL"]);
        common::bugsink_get(&url, &self.0.env["TOKEN"])
    }

    /// The issue an event was grouped into.
    fn issue_of(&self, event_id: &str) -> String {
        let event = self.get(&format!(
            "events/lookup/?project={}&event_id={event_id}",
            self.0.env["PROJECT"]
        ));
        event["issue"]
            .as_str()
            .unwrap_or_else(|| panic!("no issue for {event_id}: {event}"))
            .to_owned()
    }
}

#[derive(Debug)]
enum PayError {
    Declined { order: u32, run: String },
}

impl std::fmt::Display for PayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayError::Declined { order, run } => {
                write!(f, "card declined for order {order} ({run})")
            }
        }
    }
}

impl std::error::Error for PayError {}

#[vigil::monitored]
fn charge(order: u32, run: &str) -> Result<(), PayError> {
    Err(PayError::Declined {
        order,
        run: run.to_owned(),
    })
}

#[vigil::monitored(fingerprint = ["refunds", "card"])]
fn refund_card(run: &str) -> Result<(), PayError> {
    Err(PayError::Declined {
        order: 1,
        run: run.to_owned(),
    })
}

#[vigil::monitored(fingerprint = ["refunds", "wallet"])]
fn refund_wallet(run: &str) -> Result<(), PayError> {
    Err(PayError::Declined {
        order: 1,
        run: run.to_owned(),
    })
}

fn last_id() -> String {
    sentry::Hub::current()
        .last_event_id()
        .expect("an event was captured")
        .simple()
        .to_string()
}

#[test]
fn one_bug_is_one_issue_titled_by_its_rust_type() {
    let server = Server(common::CiServer::start("bugsink.sh", "Bugsink"));
    let run = run_id();
    let guard = vigil::init_with(
        vigil::Config::new()
            .dsn(server.0.env["DSN"].clone())
            .ignore_errors(["NotFound"]),
    )
    .unwrap();

    // Twenty failures of one function, each with its own number in the message.
    let mut charges = Vec::new();
    for order in 0..20 {
        assert!(charge(1000 + order, &run).is_err());
        charges.push(last_id());
    }
    // The same error type from two functions with different fingerprints.
    assert!(refund_card(&run).is_err());
    let card = last_id();
    assert!(refund_wallet(&run).is_err());
    let wallet = last_id();
    // A message template with many values.
    let mut messages = Vec::new();
    for order in [7, 8, 9] {
        vigil::capture_message!(
            "order {order} stuck in {run}",
            order = order,
            run = run.as_str()
        );
        messages.push(last_id());
    }
    // An ERROR log line: an event of its own, with its fields.
    {
        use tracing_subscriber::layer::SubscriberExt;
        let logs = tracing_subscriber::registry().with(vigil::tracing_layer());
        tracing::subscriber::with_default(logs, || {
            tracing::error!(order = 3, run = run.as_str(), "payment gateway unreachable");
        });
    }
    let logged = last_id();
    // An ignored type: nothing is sent (the capture has no id).
    assert!(lookup().is_err());
    assert!(
        sentry::Hub::current()
            .last_event_id()
            .is_some_and(|id| id.is_nil()),
        "an ignored error was sent"
    );
    assert!(guard.flush(Duration::from_secs(10)));
    drop(guard);

    let charge_issues: std::collections::BTreeSet<String> =
        charges.iter().map(|id| server.issue_of(id)).collect();
    assert_eq!(charge_issues.len(), 1, "20 failures, one issue");
    let charge_issue = charge_issues.iter().next().unwrap();
    let issue = server.get(&format!("issues/{charge_issue}/"));
    assert_eq!(issue["calculated_type"], "PayError", "{issue}");
    assert_eq!(issue["digested_event_count"], 20, "{issue}");

    let (card, wallet) = (server.issue_of(&card), server.issue_of(&wallet));
    assert_ne!(card, wallet, "different fingerprints, different issues");
    assert_ne!(&card, charge_issue);

    let stored = server.get(&format!(
        "events/lookup/?project={}&event_id={logged}",
        server.0.env["PROJECT"]
    ));
    let data = &stored["data"];
    assert_eq!(
        data["logentry"]["message"], "payment gateway unreachable",
        "{data}"
    );
    assert_eq!(data["logger"], "e2e_grouping");
    assert_eq!(data["extra"]["order"], 3);

    let message_issues: std::collections::BTreeSet<String> =
        messages.iter().map(|id| server.issue_of(id)).collect();
    assert_eq!(message_issues.len(), 1, "one template, one issue");
}
