//! Many threads and tasks capturing at once: no deadlock, no lost event, every event
//! well-formed, and no scope leaking between concurrent tasks. Its own test binary: `init`
//! binds a process-wide client.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigil::protocol::{Envelope, EnvelopeItem, Event};

/// Keeps every envelope (the transport queue is bypassed: nothing is dropped for capacity).
#[derive(Default)]
struct Keep(Mutex<Vec<Envelope>>);

impl sentry::Transport for Keep {
    fn send_envelope(&self, envelope: Envelope) {
        self.0.lock().unwrap().push(envelope);
    }
}

fn events(kept: &Keep) -> Vec<Event<'static>> {
    kept.0
        .lock()
        .unwrap()
        .iter()
        .flat_map(|e| e.items())
        .filter_map(|i| match i {
            EnvelopeItem::Event(e) => Some((**e).clone()),
            _ => None,
        })
        .collect()
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
    let kept = Arc::new(Keep::default());
    let guard = vigil::init_with(
        vigil::Config::new()
            .transport(Arc::clone(&kept))
            .traces_sample_rate(1.0),
    )
    .unwrap();

    // 10 threads for 2 s: every tenth step fails and is captured.
    let deadline = Instant::now() + Duration::from_secs(2);
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

    let events = events(&kept);
    let errors: Vec<_> = events
        .iter()
        .filter(|e| !e.exception.values.is_empty())
        .collect();
    assert_eq!(
        errors.len() as u64,
        expected,
        "every failure captured once, none lost"
    );
    for e in &errors {
        assert!(!e.event_id.is_nil());
        assert_eq!(e.tags["function"], "concurrency::step");
        let text = e.exception.values[0].value.as_deref().unwrap();
        assert!(text.starts_with("thread "), "{text}");
        // Well-formed: it serializes and reads back.
        let json = serde_json::to_string(e).unwrap();
        let _: Event<'static> = serde_json::from_str(&json).unwrap();
    }
    let handled: Vec<_> = events
        .iter()
        .filter(|e| e.message.as_deref() == Some("handled"))
        .collect();
    assert_eq!(handled.len(), 1000);
    for e in handled {
        // The user of each event is the one its own task set: no scope leaks between tasks.
        let user = e
            .user
            .as_ref()
            .expect("each task set a user")
            .id
            .clone()
            .unwrap();
        assert_eq!(
            Some(&user),
            e.tags.get("user_tag"),
            "a task saw another task's user"
        );
    }
}
