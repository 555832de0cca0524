//! A crate that depends on vigil under another name (`vig = { package = "vigil", ... }`) and
//! uses every macro with `crate = "vig"`. Nothing here can reach a crate named `vigil`: if an
//! expansion still named `::vigil`, this crate would not compile. The tests in `tests/`
//! assert what these items send.

use std::fmt;

/// Another path to vigil, for `crate = "crate::instrumentation"`.
pub mod instrumentation {
    pub use vig::*;
}

#[derive(Debug)]
pub struct PayError(pub u32);

impl fmt::Display for PayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "payment failed with code {}", self.0)
    }
}

impl std::error::Error for PayError {}

/// Sync `#[monitored]` with options, a parameter marked `#[vig::sensitive]` and one marked
/// `#[sensitive]`.
#[vig::monitored(crate = "vig", op = "db.query", tags(component = "billing"), level = warning)]
pub fn charge(
    amount: u32,
    #[vig::sensitive] card: &str,
    #[sensitive] cvv: &str,
) -> Result<u32, PayError> {
    let _ = (card, cvv);
    if amount > 100 {
        Err(PayError(402))
    } else {
        Ok(amount)
    }
}

/// Sync `#[transaction]`.
#[vig::transaction(crate = "vig", op = "task", name = "process_order", sample_rate = 1.0)]
pub fn process_order(order_id: u64, amount: u32) -> Result<u32, PayError> {
    let charged = charge(amount, "4111111111111111", "123")?;
    Ok(charged + order_id as u32)
}

/// Async `#[monitored]`.
#[vig::monitored(crate = "vig", op = "http.client")]
pub async fn fetch(url: &str) -> Result<usize, PayError> {
    if url.is_empty() {
        Err(PayError(503))
    } else {
        Ok(url.len())
    }
}

/// Async `#[transaction]`, the path written with a leading `::`.
#[vig::transaction(crate = "::vig", op = "task")]
pub async fn crawl(urls: Vec<&'static str>) -> Result<usize, PayError> {
    let mut total = 0;
    for url in urls {
        total += fetch(url).await?;
    }
    Ok(total)
}

/// vigil through a path of this crate.
#[vig::monitored(crate = "crate::instrumentation", name = "via_reexport")]
pub fn via_reexport(n: u32) -> u32 {
    n + 1
}

#[derive(vig::Redact)]
#[vigil(crate = "vig")]
pub struct Login {
    pub user: String,
    #[sensitive]
    pub password: String,
    #[sensitive(partial = 4)]
    pub card: String,
}

#[derive(vig::Redact)]
#[vigil(crate = "vig")]
pub enum Credential {
    Token(#[sensitive] String),
    Named { user: String },
}

#[vig::sensitive(crate = "vig")]
pub struct ApiKey(pub String);

/// `#[monitor]`, sync and async.
#[vig::monitor(crate = "vig", slug = "renamed-nightly", schedule = "0 3 * * *")]
pub fn nightly(fail: bool) -> Result<u32, PayError> {
    if fail {
        Err(PayError(500))
    } else {
        Ok(1)
    }
}

#[vig::monitor(
    crate = "crate::instrumentation",
    slug = "renamed-sync",
    interval = "5 minutes"
)]
pub async fn sync_job() -> u32 {
    2
}
