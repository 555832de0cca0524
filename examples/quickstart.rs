//! vigil in one small program: `cargo run --example quickstart`.
//!
//! A tour in steps, each under a heading. With no `SENTRY_DSN`, what each step would send is
//! shown under its heading, already scrubbed, as the Sentry UI would show it (the development
//! spool on stderr; `VIGIL_SPOOL=json` shows the JSON instead). With `SENTRY_DSN` set, the
//! same program sends to your Sentry project; with `SENTRY_SPOTLIGHT=1`, to Spotlight too.

use std::fmt;

use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug)]
enum PayError {
    Declined { code: u32 },
    Gateway(std::io::Error),
}

impl fmt::Display for PayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayError::Declined { code } => write!(f, "card declined (code {code})"),
            PayError::Gateway(_) => write!(f, "payment gateway unreachable"),
        }
    }
}

impl std::error::Error for PayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PayError::Gateway(e) => Some(e),
            PayError::Declined { .. } => None,
        }
    }
}

/// A span per call; a returned `Err` is captured with its source chain. The card number is
/// marked `#[sensitive]`: it is never recorded.
#[vigil::monitored(op = "http.client", tags(component = "billing"))]
fn charge(user_id: u64, amount: u32, #[sensitive] card: &str) -> Result<String, PayError> {
    tracing::info!(user_id, amount, "charging card");
    if card.ends_with("0002") {
        return Err(PayError::Declined { code: 51 });
    }
    if amount > 1_000 {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
        return Err(PayError::Gateway(io));
    }
    Ok(format!("ch_{user_id}_{amount}"))
}

/// `password` says it is a secret: recorded as `[Filtered]`, its value never formatted.
#[vigil::monitored(op = "db.query", name = "load_user", skip(pool))]
fn load_user(pool: &str, user_id: u64, password: &str) -> Option<String> {
    let _ = (pool, password);
    Some(format!("user-{user_id}"))
}

/// A transaction: the root of the spans above.
#[vigil::transaction(op = "task", name = "process_order")]
fn process_order(order_id: u64, user_id: u64, amount: u32, card: &str) -> Result<String, PayError> {
    let _user = load_user("pg://pool", user_id, "hunter2");
    let receipt = charge(user_id, amount, card)?;
    tracing::info!(order_id, "order paid");
    Ok(receipt)
}

/// An async transaction: its spans follow the future across `.await`s.
#[vigil::transaction(op = "queue.process", name = "send_receipts")]
async fn send_receipts(receipts: Vec<String>) -> usize {
    let mut sent = 0;
    for receipt in receipts {
        sent += send_one(&receipt).await;
    }
    sent
}

#[vigil::monitored(op = "http.client")]
async fn send_one(receipt: &str) -> usize {
    receipt.len().min(1)
}

#[vigil::monitored]
fn parse_quantity(raw: &str) -> u32 {
    raw.parse().expect("quantity must be a number")
}

/// The heading of a step of the tour; what the step sends is shown under it.
fn step(number: u32, title: &str) {
    println!("\n━━ {number}. {title}\n");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // From the environment. With no DSN, what would be sent is shown readably on stderr
    // (VIGIL_SPOOL=json: as JSON); a spool applies only without a DSN.
    let mut config = vigil::Config::from_env()?;
    if std::env::var_os("SENTRY_RELEASE").is_none() {
        config = config.release(vigil::release_name!());
    }
    if std::env::var_os("VIGIL_SPOOL").is_none() {
        config = config.spool(vigil::Spool::Pretty);
    }
    // Release health: a program, not a server, so one session for the run (said outright:
    // built with this crate's `axum` feature, vigil would count sessions per request).
    config = config.session_mode(vigil::SessionMode::Application);
    let _guard = vigil::init_with(config)?;

    // `tracing` events become breadcrumbs of the next captured event.
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(vigil::tracing_layer()),
    )?;

    vigil::set_user_context(
        vigil::User::new(123)
            .username("john_doe")
            .email("john@example.com"),
    );
    vigil::add_breadcrumb!(
        "User clicked checkout button",
        category = "navigation",
        user_id = 123
    );

    step(
        1,
        "An order that succeeds: a transaction, a span per monitored call",
    );
    let receipt = process_order(1, 123, 40, "4111111111111111");
    println!("→ process_order returned {receipt:?}");

    step(
        2,
        "A declined card: the error is captured once, its span and transaction fail",
    );
    let declined = process_order(2, 123, 40, "4000000000000002").map_err(|e| e.to_string());
    println!("→ process_order returned {declined:?}");

    step(
        3,
        "A gateway timeout: the error arrives with the error that caused it",
    );
    let timeout = process_order(3, 123, 5_000, "4111111111111111").map_err(|e| e.to_string());
    println!("→ process_order returned {timeout:?}");

    step(
        4,
        "Async work: the spans follow the future across `.await`s",
    );
    let sent = futures_executor::block_on(send_receipts(vec!["r1".into(), "r2".into()]));
    println!("→ receipts sent: {sent}");

    step(
        5,
        "capture_exception!: short scalars become tags, anything else extra",
    );
    let err = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "quota file locked");
    let id = vigil::capture_exception!(err, user_id = 123, operation = "payment", amount = 100);
    println!("→ event id {id}");

    step(
        6,
        "capture_message!: a key that says secret is sent as [Filtered]",
    );
    let id = vigil::capture_message!(
        "User exceeded rate limit",
        level = warning,
        user_id = 123,
        api_key = "sk_live_123"
    );
    println!("→ event id {id}");

    step(
        7,
        "A transaction by hand, with a tag, data and a child span",
    );
    {
        let tx = vigil::start_transaction("nightly_report", "task");
        tx.set_tag("user_id", 7);
        tx.set_data("order_id", 9);
        let span = tx.start_child("db.query", "SELECT count(*) FROM orders");
        span.set_data("rows", 1);
    }
    println!("→ sent when `tx` was dropped");

    // The panic still unwinds: Rust's own panic message follows vigil's event.
    step(
        8,
        "A panic in a monitored function: captured once, and it still unwinds",
    );
    let caught = std::panic::catch_unwind(|| parse_quantity("three"));
    println!("→ panic caught: {}", caught.is_err());

    vigil::clear_user_context();
    println!("\nThat was the tour: under each step, what vigil would have sent.");
    Ok(())
}
