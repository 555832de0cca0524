//! Transactions are built and sent on vigil's worker, off the caller's thread. When the
//! worker is stalled (here: a transport that blocks), finished transactions are dropped and
//! counted in a client report, never queued without limit, and the caller never waits; the
//! test capture alone keeps them all. Its own test binary: `init` binds a process-wide
//! client.

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use vigil::protocol::{Envelope, EnvelopeItem};

/// A transport that blocks the first transaction until the gate opens, and keeps what it
/// gets.
#[derive(Default)]
struct Stalling {
    gate: Mutex<Gate>,
    changed: Condvar,
    transactions: Mutex<Vec<String>>,
    reports: Mutex<Vec<serde_json::Value>>,
}

#[derive(Default)]
struct Gate {
    open: bool,
    blocked: bool,
}

impl sentry::Transport for Stalling {
    fn send_envelope(&self, envelope: Envelope) {
        for item in envelope.items() {
            match item {
                EnvelopeItem::Transaction(tx) => {
                    let mut gate = self.gate.lock().unwrap();
                    gate.blocked = true;
                    self.changed.notify_all();
                    while !gate.open {
                        gate = self.changed.wait(gate).unwrap();
                    }
                    drop(gate);
                    let name = tx.name.clone().unwrap_or_default();
                    self.transactions.lock().unwrap().push(name);
                }
                EnvelopeItem::ClientReport(report) => {
                    let json = serde_json::to_value(report).unwrap();
                    self.reports.lock().unwrap().push(json);
                }
                _ => {}
            }
        }
    }
}

fn one_transaction(name: &str) {
    let tx = vigil::start_transaction(name, "task");
    for i in 0..3 {
        tx.start_child("work", &format!("step {i}")).finish();
    }
}

/// The quantity a client report gives `category`, summed over reports.
fn lost(reports: &[serde_json::Value], category: &str) -> u64 {
    reports
        .iter()
        .flat_map(|r| {
            r["discarded_events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|d| d["category"] == category && d["reason"] == "queue_overflow")
        .map(|d| d["quantity"].as_u64().unwrap())
        .sum()
}

#[test]
fn a_stalled_worker_drops_and_counts_transactions_and_never_blocks_the_caller() {
    let transport = Arc::new(Stalling::default());
    let guard = vigil::init_with(
        vigil::Config::new()
            .transport(Arc::clone(&transport))
            .traces_sample_rate(1.0),
    )
    .unwrap();

    // The first transaction stalls the worker inside the transport.
    one_transaction("first");
    {
        let mut gate = transport.gate.lock().unwrap();
        while !gate.blocked {
            gate = transport.changed.wait(gate).unwrap();
        }
    }

    // 300 more while it is stalled, on another thread: if finishing ever waited for the
    // worker, this would never end (the watchdog below fails the test instead).
    const MORE: u64 = 300;
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        for i in 0..MORE {
            one_transaction(&format!("job {i}"));
        }
        done.send(()).unwrap();
    });
    let ended = finished.recv_timeout(Duration::from_secs(60));
    // The test capture, with the queue still full: every transaction its code finished is
    // there (built on the caller), however busy the worker shared with other tests is.
    let captured = if ended.is_ok() {
        vigil::testing::capture(|| {
            for i in 0..50 {
                one_transaction(&format!("captured {i}"));
            }
        })
        .transactions
        .len()
    } else {
        0
    };
    // Let the worker go before asserting, so a failure does not hang the process.
    transport.gate.lock().unwrap().open = true;
    transport.changed.notify_all();
    assert!(
        ended.is_ok(),
        "finishing a transaction waited for the worker"
    );

    assert_eq!(
        captured, 50,
        "the test capture lost transactions to a full queue"
    );
    assert!(guard.flush(Duration::from_secs(10)));
    let sent = transport.transactions.lock().unwrap().len() as u64;
    let reports = transport.reports.lock().unwrap().clone();
    let dropped = lost(&reports, "transaction");
    // Every transaction is either sent or counted, and the queue stayed bounded: most of
    // the 300 finished while the worker was stalled were dropped.
    assert_eq!(
        sent + dropped,
        MORE + 1,
        "sent {sent}, reported lost {dropped}"
    );
    assert!(
        sent <= 101,
        "{sent} sent: the queue held more than its bound"
    );
    assert!(dropped >= 199, "{dropped} dropped");
    // A dropped transaction's spans count too: its three children and its root.
    assert_eq!(lost(&reports, "span"), dropped * 4);
    drop(guard);
}
