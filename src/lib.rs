#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use vigil_runtime::*;

/// Instruments a function: a span named after it while it runs (inside a transaction),
/// capture of a returned `Err` (with its source chain), and the span marked failed on an
/// `Err` or a panic. The function behaves exactly as before: same signature, same `?`, same
/// panics, same `Send`-ness of its future.
///
/// Works on free functions, methods (`self`, `&self`, `&mut self`), generic functions,
/// `async fn` (the span follows the future across `.await`s; a future dropped early finishes
/// its span as `cancelled`, a panic as `internal_error`), functions returning `impl Trait`,
/// trait impl methods, and functions that return a future written as an `async` block
/// (`impl Future`, `Pin<Box<dyn Future>>`, `#[async_trait]` methods: put the attribute on
/// the method, inside the `#[async_trait]` impl), whose future is what the span covers.
/// Destructured parameters are recorded by the names they bind. Any returned `Err` is
/// captured: a `std::error::Error` with its source chain, anything `Display` by that text,
/// else its `Debug` text or its type's name. `#[track_caller]` keeps its meaning, except on
/// a function returning a `Result`, where it is a compile error saying why.
///
/// | option | meaning | default |
/// |---|---|---|
/// | `op = "db.query"` | Sentry operation: lowercase words joined by dots | `"function"` |
/// | `name = "load_user"` | span name | `module::path::fn_name` |
/// | `skip(a, b)` / `skip_all` | arguments not recorded | all `Serialize`/`Debug` arguments recorded |
/// | `tags(k = "v", ...)` | tags on the span and on captured errors | none |
/// | `err = capture` / `err = ignore` | report a returned `Err` to Sentry | `capture` |
/// | `level = warning` | level of the captured error event | `error` |
/// | `fingerprint = ["{{ default }}", "payments"]` | Sentry's grouping fingerprint of captured errors | Sentry's grouping |
/// | `crate = "vig"` | the path the generated code reaches vigil by (below) | `"::vigil"` |
///
/// Arguments are recorded only when the span is sampled: `Serialize` ones as data, `Debug`
/// ones as text, others not at all. A parameter marked `#[sensitive]` is never recorded; a
/// parameter whose *name* says secret (`password`, `token`, `api_key`, `card`, ...) is
/// recorded as `[Filtered]`, its value never looked at. An error passed up with `?` through
/// several monitored functions is reported once, by the innermost.
///
/// ```
/// #[derive(Debug)]
/// struct NotFound(u64);
/// impl std::fmt::Display for NotFound {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "user {} not found", self.0)
///     }
/// }
/// impl std::error::Error for NotFound {}
///
/// #[vigil::monitored(op = "db.query", name = "load_user", skip(conn), tags(component = "accounts"))]
/// fn load_user(conn: &str, id: u64, #[sensitive] session: &str) -> Result<String, NotFound> {
///     if id == 0 { Err(NotFound(id)) } else { Ok(format!("user {id}")) }
/// }
///
/// let captured = vigil::testing::capture(|| {
///     let _tx = vigil::start_transaction("request", "http.server");
///     assert!(load_user("pg", 0, "s3ss10n").is_err());
/// });
/// let event = captured.single_event();
/// assert_eq!(event.tags["function"], "load_user");
/// assert_eq!(event.tags["component"], "accounts");
/// let span = &captured.single_transaction().spans[0];
/// assert_eq!(span.op.as_deref(), Some("db.query"));
/// assert_eq!(span.data["id"], 0);
/// assert!(!span.data.contains_key("conn") && !span.data.contains_key("session"));
/// ```
///
/// # A renamed dependency: `crate = "..."`
///
/// The code the macros generate calls into vigil by the path `::vigil`. When your
/// `Cargo.toml` names the dependency otherwise (`vig = { package = "vigil", version = "0.1" }`)
/// or you reach vigil through a re-export, say so with `crate = "path"` on each macro, as
/// serde's `#[serde(crate = "...")]`: a string literal holding a path (`"vig"`, `"::vig"`,
/// `"my_sdk::vigil"`). Every macro takes it: `#[vig::monitored(crate = "vig")]`,
/// `#[vig::transaction(crate = "vig")]`, `vig::capture_message!("...", crate = "vig")` (and the
/// other capture macros), `#[vig::sensitive(crate = "vig")]`, and on a type deriving
/// [`Redact`], `#[vigil(crate = "vig")]`.
///
/// ```
/// // Cargo.toml: vig = { package = "vigil", version = "0.1" }
/// # use vigil as vig;
/// #[vig::monitored(crate = "vig", op = "db.query")]
/// fn load(id: u64) -> u64 {
///     id
/// }
///
/// let captured = vig::testing::capture(|| {
///     let _tx = vig::start_transaction("request", "http.server");
///     assert_eq!(load(7), 7);
/// });
/// assert_eq!(captured.single_transaction().spans[0].op.as_deref(), Some("db.query"));
/// ```
pub use vigil_macros::monitored;

/// Makes a function a transaction: the root of the spans of the monitored functions it
/// calls. Inside another transaction it is a child span instead. Takes the options of
/// [`monitored`] (with `op` defaulting to `"task"`, and `crate = "..."` for a renamed
/// dependency) plus `sample_rate = 0.5`, a literal in
/// `[0, 1]` that replaces the configured traces sample rate for this transaction (it cannot
/// turn tracing on when it is off).
///
/// An `async` transaction also gets a scope of its own: the user, tags and breadcrumbs set
/// while it runs do not leak into concurrent tasks.
///
/// ```
/// #[vigil::transaction(op = "task", name = "process_order", sample_rate = 1.0)]
/// fn process_order(order_id: u64) -> u64 {
///     price(order_id) * 2
/// }
///
/// #[vigil::monitored]
/// fn price(order_id: u64) -> u64 {
///     order_id + 1
/// }
///
/// let captured = vigil::testing::capture(|| assert_eq!(process_order(4), 10));
/// let tx = captured.single_transaction();
/// assert_eq!(tx.name.as_deref(), Some("process_order"));
/// assert_eq!(tx.spans.len(), 1);
/// ```
pub use vigil_macros::transaction;

/// A cron monitor ([Sentry Crons](https://docs.sentry.io/product/crons/)) for a scheduled
/// job: an `in_progress` check-in when the function starts, then `ok` or `error` (a returned
/// `Err`, a panic, or an `async fn`'s future dropped unfinished) with the duration, under one
/// check-in id. Each check-in carries the monitor's configuration, so the monitor is created
/// or updated on Sentry's side from the code, and the trace of the current span, with the
/// release and environment. Sentry then reports a job that did not run, ran late, ran too
/// long or failed. Works on sync functions and `async fn`s; costs one check when vigil is
/// disabled.
///
/// | option | meaning |
/// |---|---|
/// | `slug = "nightly-report"` | the monitor (required): lowercase letters, digits, `-` and `_`, at most 50 |
/// | `schedule = "0 3 * * *"` | a crontab: five fields (names such as `MON-FRI`, `JAN` work), or `@daily`, `@hourly`, ... |
/// | `interval = "10 minutes"` | instead of `schedule`: every n minutes, hours, days, weeks, months or years |
/// | `checkin_margin = 5` | minutes after the expected time before a check-in counts as missed |
/// | `max_runtime = 30` | minutes a run may take before it counts as failed |
/// | `timezone = "Europe/Berlin"` | the crontab's time zone (default UTC) |
/// | `failure_issue_threshold = 2` | failed check-ins in a row before an issue is opened |
/// | `recovery_threshold = 3` | successful check-ins in a row before it is resolved |
/// | `crate = "vig"` | a renamed dependency, as on [`monitored`] |
///
/// Everything is checked at compile time, at the token: a crontab value out of range
/// (`"0 25 * * *"`), six fields, an unknown month or day name, a slug Sentry would refuse, an
/// interval in seconds.
///
/// The monitor reports whether the job ran and how it ended; it does not capture the error
/// itself. For the job's spans and error events, put [`transaction`] *under* it: the
/// check-ins then carry the transaction's trace, so Sentry links the run to its trace and
/// errors. (In the other order both work, but the check-ins are not in the transaction's
/// trace.)
///
/// ```
/// #[vigil::monitor(slug = "nightly-report", schedule = "0 3 * * *", max_runtime = 30)]
/// #[vigil::transaction(op = "task", name = "nightly_report")]
/// fn nightly_report() -> Result<u32, std::io::Error> {
///     Ok(42)
/// }
///
/// let captured = vigil::testing::capture(|| {
///     nightly_report().unwrap();
/// });
/// let [start, end] = &captured.check_ins[..] else { panic!("two check-ins") };
/// use vigil::protocol::MonitorCheckInStatus;
/// assert_eq!(start.check_in.status, MonitorCheckInStatus::InProgress);
/// assert_eq!(end.check_in.status, MonitorCheckInStatus::Ok);
/// assert_eq!(start.check_in.check_in_id, end.check_in.check_in_id);
/// assert!(end.check_in.duration.is_some());
/// let tx = captured.single_transaction();
/// assert_eq!(end.trace_id, Some(tx.contexts["trace"].clone()).and_then(|c| match c {
///     vigil::protocol::Context::Trace(t) => Some(t.trace_id),
///     _ => None,
/// }));
/// ```
pub use vigil_macros::monitor;

/// Captures an error, with `key = value` pairs: short scalars become tags (indexed,
/// searchable), anything else `Serialize` goes to `extra`. Returns the event id (nil when
/// vigil is disabled). `level = warning` (or `debug`, `info`, `error`, `fatal`) sets the
/// level.
///
/// The error may be owned or borrowed, any `std::error::Error`, or anything that
/// dereferences to one (`Box<dyn Error>`, `anyhow::Error`). Keys are checked at compile
/// time against Sentry's rules (at most 32 characters of `[A-Za-z0-9_.:-]`; quote a key to
/// use dots: `"http.method" = "GET"`). When vigil is disabled nothing is evaluated; a value
/// under a key whose name says secret is never evaluated at all and is sent as `[Filtered]`.
///
/// `crate = "vig"` (an unquoted `crate` key) names a renamed vigil dependency, as on
/// [`monitored`]; a quoted `"crate" = ...` is an ordinary field, as `"level" = ...` is.
/// `fingerprint = ["{{ default }}", "payments"]` sets Sentry's grouping fingerprint (string
/// literals; `{{ default }}` stands for Sentry's own grouping).
///
/// The exception's type is the Rust type of the error (`io::Error`, `PayError`, with its
/// path as the exception's module), the title Sentry shows with the message. Behind
/// `dyn Error` (`Box<dyn Error>`, `anyhow::Error`, `eyre::Report`, and every error's
/// sources) Rust keeps no type name: the standard library's errors are still named exactly;
/// an `anyhow`/`eyre` `.context(...)` layer takes the name of the error it wraps; other
/// errors are named by the name their derived `Debug` begins with (a struct's name, or an
/// enum's *variant*: the enum's own name cannot be known there), and a plain message
/// (`anyhow!("...")`, `"...".into()`) by its container (`anyhow::Error`,
/// `Box<dyn Error + Send + Sync>`).
///
/// The event has the frame of the call (function, module, file, line, in-app), as a
/// monitored function's failure has its function's, unless the error brings a stack trace
/// of its own (an `anyhow::Error`'s backtrace, with the feature `anyhow`). Nothing is
/// computed for it unless an event is built.
///
/// ```
/// let captured = vigil::testing::capture(|| {
///     let err = std::io::Error::other("card declined");
///     let id = vigil::capture_exception!(err, user_id = 123, operation = "payment", amount = 100);
///     assert!(!id.is_nil());
/// });
/// let event = captured.single_event();
/// assert_eq!(event.tags["operation"], "payment");
/// let exception = &event.exception.values[0];
/// assert_eq!(exception.ty, "io::Error");
/// assert_eq!(exception.value.as_deref(), Some("card declined"));
/// let frame = &exception.stacktrace.as_ref().unwrap().frames[0];
/// assert!(frame.function.is_some() && frame.lineno.is_some());
/// assert_eq!(frame.in_app, Some(true));
/// ```
pub use vigil_macros::capture_exception;

/// Captures a message, with a `level` (default `info`), `crate = "..."`, `fingerprint = [..]`
/// and `key = value` pairs as for [`capture_exception!`]. Returns the event id.
///
/// A string literal with `{name}` placeholders is a **template**: each placeholder takes the
/// value of the `key = value` pair of its name, or else the variable of that name in scope
/// (as in `format!`; `{name:?}` and other format specs work). The event carries the template
/// and its values as Sentry's `logentry` (`order %s failed`, `["12"]`) besides the text, so
/// Sentry groups `order 12 failed` and `order 13 failed` as one issue. A placeholder whose name
/// says secret (`{password}`) shows `[Filtered]`; its value is never formatted. Placeholders
/// are named (`{}` and `{0}` are compile errors), and one with no value is a compile error.
///
/// ```
/// let captured = vigil::testing::capture(|| {
///     vigil::capture_message!("User {user_id} exceeded rate limit", level = warning, user_id = 123);
/// });
/// let event = captured.single_event();
/// assert_eq!(event.message.as_deref(), Some("User 123 exceeded rate limit"));
/// assert_eq!(event.logentry.as_ref().unwrap().message, "User %s exceeded rate limit");
/// assert_eq!(event.level, vigil::Level::Warning);
/// assert_eq!(event.tags["user_id"], "123");
/// ```
pub use vigil_macros::capture_message;

/// Adds a breadcrumb to the current scope: it is sent with the next captured event. Takes
/// `category = ...`, `type = ...`, `level = ...`, `crate = "..."` (as for
/// [`capture_exception!`]) and `key = value` data. The message may be a template, as for
/// [`capture_message!`]. At most 100 are kept (the oldest are dropped).
///
/// ```
/// let captured = vigil::testing::capture(|| {
///     vigil::add_breadcrumb!("User clicked checkout button", category = "navigation", user_id = 123);
///     vigil::capture_message!("checkout failed", level = error);
/// });
/// let crumb = &captured.single_event().breadcrumbs.values[0];
/// assert_eq!(crumb.category.as_deref(), Some("navigation"));
/// assert_eq!(crumb.data["user_id"], 123);
/// ```
pub use vigil_macros::add_breadcrumb;

/// Records a feature flag evaluation, as [`set_feature_flag`] does, under a name checked at
/// compile time, and evaluates to the result: wrap the call to your flag provider.
///
/// The name is a string literal of 1 to 100 characters among letters, digits, `_`, `.`, `:`
/// and `-` (it is also a key in Sentry: `flag.evaluation.<name>` on the span, `flags[<name>]`
/// in search); anything else is a compile error at the name. The result is a `bool`,
/// evaluated once, even when vigil is off. `crate = "..."` as for [`capture_exception!`].
/// For a name known only at run time, call [`set_feature_flag`].
///
/// ```
/// # struct Flags;
/// # impl Flags { fn enabled(&self, _: &str) -> bool { true } }
/// # let provider = Flags;
/// let captured = vigil::testing::capture(|| {
///     let tx = vigil::start_transaction("checkout", "http.server");
///     if vigil::flag!("new_checkout", provider.enabled("new_checkout")) {
///         vigil::capture_message!("new checkout failed", level = error);
///     }
///     drop(tx);
/// });
/// let flags = serde_json::to_value(&captured.single_event().contexts["flags"]).unwrap();
/// assert_eq!(flags["values"][0], serde_json::json!({"flag": "new_checkout", "result": true}));
/// let vigil::protocol::Context::Trace(trace) = &captured.single_transaction().contexts["trace"]
/// else { unreachable!() };
/// assert_eq!(trace.data["flag.evaluation.new_checkout"], true);
/// ```
///
/// ```compile_fail
/// vigil::flag!("new checkout", true); // a space: not a flag name Sentry can key on
/// ```
pub use vigil_macros::flag;

/// Derives a `Debug` and a `Serialize` that never show the fields marked secret, so the value
/// can be logged, recorded as span data or passed to the capture macros safely.
///
/// | field marker | shown as |
/// |---|---|
/// | `#[sensitive]` | `[Filtered]` |
/// | `#[sensitive(partial = 4)]` | the last 4 characters of its `Display` (1 to 64), the rest as `*` (`************1111`); a value no longer than 4 is hidden whole |
/// | `#[sensitive(with = path::to_fn)]` | what `fn(&FieldType) -> String` returns (deref coercions apply: `fn(&str)` serves a `String` field) |
/// | `#[sensitive(pii)]` | itself when `send_default_pii` is on, else `[Filtered]` (combine with `partial` or `with` for another mask) |
///
/// Works on structs (named, tuple, unit) and enums, with generics and lifetimes (every type
/// parameter must be `Debug` / `Serialize`, as with the standard derives). The type must not
/// also derive `Debug` or `Serialize`: these are the ones it gets.
///
/// `#[vigil(crate = "vig")]` on the type names a renamed vigil dependency (see [`monitored`]);
/// it is the only option `#[vigil(...)]` takes.
///
/// ```
/// #[derive(vigil::Redact)]
/// struct Login {
///     user: String,
///     #[sensitive]
///     password: String,
///     #[sensitive(partial = 4)]
///     card: String,
/// }
///
/// let login = Login { user: "bob".into(), password: "hunter2".into(), card: "4111111111111111".into() };
/// assert_eq!(
///     format!("{login:?}"),
///     r#"Login { user: "bob", password: [Filtered], card: ************1111 }"#
/// );
/// let captured = vigil::testing::capture(|| {
///     vigil::capture_message!("login failed", attempt = login);
/// });
/// assert_eq!(captured.single_event().extra["attempt"]["password"], "[Filtered]");
/// ```
pub use vigil_macros::Redact;

/// Marks a whole type as secret: its `Debug` prints `Name([Filtered])` and it serializes as
/// `"[Filtered]"`, wherever it goes. Its one option is `crate = "..."`, for a renamed vigil
/// dependency (see [`monitored`]): `#[vig::sensitive(crate = "vig")]`.
///
/// ```
/// #[vigil::sensitive]
/// struct ApiKey(String);
///
/// let key = ApiKey("sk_live_123".into());
/// assert_eq!(format!("{key:?}"), "ApiKey([Filtered])");
/// ```
pub use vigil_macros::sensitive;
