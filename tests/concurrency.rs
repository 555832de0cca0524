//! Many threads and tasks capturing at once: no deadlock, no lost event, every event
//! well-formed, and no scope leaking between concurrent tasks. Its own test binary: `init`
//! binds a process-wide client.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigil::protocol::{Envelope, EnvelopeItem, Event};

/// Checks every event as it arrives (the transport queue is bypassed: nothing is dropped
/// for capacity) and keeps only what the assertions need, so a long run stays small.
#[derive(Default)]
struct Tally {
    /// Per error event: its `function` tag, and whether it is well-formed.
    errors: Mutex<Vec<(String, bool)>>,
    /// Per "handled" event: the user id and the `user_tag` tag.
    handled: Mutex<Vec<(Option<String>, Option<String>)>>,
}

fn well_formed(e: &Event<'static>) -> bool {
    let text_ok = e.exception.values[0]
        .value
        .as_deref()
        .is_some_and(|t| t.starts_with("thread "));
    // It serializes, and reads back the same.
    let json = serde_json::to_string(e).unwrap();
    let back: Event<'static> = serde_json::from_str(&json).unwrap();
    !e.event_id.is_nil() && text_ok && back.event_id == e.event_id
}

impl sentry::Transport for Tally {
    fn send_envelope(&self, envelope: Envelope) {
        for item in envelope.items() {
            let EnvelopeItem::Event(e) = item else {
                continue;
            };
            if !e.exception.values.is_empty() {
                let function = e.tags.get("function").cloned().unwrap_or_default();
                self.errors.lock().unwrap().push((function, well_formed(e)));
            } else if e.message.as_deref() == Some("handled") {
                let user = e.user.as_ref().and_then(|u| u.id.clone());
                self.handled
                    .lock()
                    .unwrap()
                    .push((user, e.tags.get("user_tag").cloned()));
            }
        }
    }
}

#[vigil::monitored]
fn step(thread: u64, n: u64) -> Result<u64, std::io::Error> {
    if n % 10 == 0 {
        return Err(std::io::Error::other(format!("thread {thread} step {n}")));
    }
    Ok(n)
}

#[vigil::transaction(op = "task")]
async fn handle(user: u64) -> u64 {
    vigil::set_user_context(vigil::User::new(user));
    tokio::task::yield_now().await;
    vigil::capture_message!("handled", user_tag = user);
    tokio::task::yield_now().await;
    user
}

#[test]
fn threads_and_tasks_capture_at_once() {
    let tally = Arc::new(Tally::default());
    let guard = vigil::init_with(
        vigil::Config::new()
            .transport(Arc::clone(&tally))
            .traces_sample_rate(1.0),
    )
    .unwrap();

    // 10 threads for 10 s: every tenth step fails and is captured.
    let deadline = Instant::now() + Duration::from_secs(10);
    let threads: Vec<_> = (0..10u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut failures = 0u64;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let _tx = vigil::start_transaction("work", "task");
                    for _ in 0..10 {
                        if step(t, n).is_err() {
                            failures += 1;
                        }
                        n += 1;
                    }
                }
                failures
            })
        })
        .collect();
    let expected: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();

    // 1,000 concurrent tasks on a multi-threaded runtime, each with its own user.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..1000u64).map(|u| tokio::spawn(handle(u))).collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    assert_eq!(results, (0..1000).collect::<Vec<_>>());
    drop(guard);

    let errors = tally.errors.lock().unwrap();
    assert_eq!(
        errors.len() as u64,
        expected,
        "every failure captured once, none lost"
    );
    assert!(
        expected > 1000,
        "the run did real work: {expected} failures"
    );
    for (function, ok) in errors.iter() {
        assert_eq!(function, "concurrency::step");
        assert!(ok, "an event was not well-formed");
    }
    let handled = tally.handled.lock().unwrap();
    assert_eq!(handled.len(), 1000);
    for (user, tag) in handled.iter() {
        // The user of each event is the one its own task set: no scope leaks between tasks.
        assert!(user.is_some(), "each task set a user");
        assert_eq!(user, tag, "a task saw another task's user");
    }
}
