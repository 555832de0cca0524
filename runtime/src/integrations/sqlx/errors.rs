//! What sqlx knows of a captured error: the database's code, constraint and table, and the
//! SQL of the failing query.

use std::error::Error;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sentry::protocol::{Context, Event, Map, SpanStatus, Value};

use super::OP;
use crate::span;

/// Adds what sqlx knows of a captured error to its event: `db.error_code`, the `db` context
/// (system, code, constraint, table, SQL), and marks the failing query's span failed.
///
/// `type_name` is the captured error's type and `sources` its chain below it. A `sqlx::Error`
/// inside the chain is read through its API. When the captured error is a `sqlx::Error`
/// itself, it cannot be looked at as `dyn Error + 'static` (the capture path accepts errors
/// that borrow), so the database error below it (its source) is read from its `Debug` text,
/// whose fields sqlx's drivers print by name.
pub(super) fn enrich(
    event: &mut Event<'static>,
    type_name: &str,
    sources: Option<&(dyn Error + 'static)>,
) {
    let mut next = sources;
    let chain: Vec<&(dyn Error + 'static)> = std::iter::from_fn(|| {
        let current = next?;
        next = current.source();
        Some(current)
    })
    .take(32)
    .collect();
    let mut db = Map::new();
    let mut is_sqlx = type_name.starts_with("sqlx_core::");
    if let Some(error) = chain
        .iter()
        .find_map(|e| e.downcast_ref::<sqlx_core::Error>())
    {
        is_sqlx = true;
        if let Some(db_error) = error.as_database_error() {
            if let Some(code) = db_error.code() {
                db.insert("error_code".into(), Value::from(code.into_owned()));
            }
            if let Some(constraint) = db_error.constraint() {
                db.insert("constraint".into(), Value::from(constraint));
            }
            if let Some(table) = db_error.table() {
                db.insert("table".into(), Value::from(table));
            }
        }
    } else if let Some(fields) = chain
        .iter()
        .find_map(|e| DriverError::parse(&format!("{e:?}")))
    {
        is_sqlx = true;
        db.extend(fields.0);
    }
    if !is_sqlx {
        return;
    }
    if let Some(Value::String(code)) = db.get("error_code") {
        event.tags.insert("db.error_code".into(), code.clone());
    }
    if let Some((sql, system)) = failing_query() {
        if let Some(system) = system {
            db.insert("system".into(), system);
        }
        db.insert("statement".into(), Value::from(sql));
    }
    if !db.is_empty() {
        event.contexts.insert("db".into(), Context::Other(db));
    }
}

/// The fields of a sqlx driver's database error, read from its `Debug` text:
/// `SqliteError { code: 2067, message: ".." }`, `PgDatabaseError { severity: Error,
/// code: "23505", .., table: Some("orders"), .., constraint: Some("orders_item_key"), .. }`.
struct DriverError(Map<String, Value>);

impl DriverError {
    fn parse(debug: &str) -> Option<DriverError> {
        let body = [
            "SqliteError { ",
            "PgDatabaseError { ",
            "MySqlDatabaseError { ",
        ]
        .iter()
        .find_map(|prefix| debug.strip_prefix(prefix))?;
        let mut fields = Map::new();
        for (name, key) in [
            ("code", "error_code"),
            ("constraint", "constraint"),
            ("table", "table"),
        ] {
            if let Some(value) = debug_field(body, name) {
                fields.insert(key.into(), Value::from(value));
            }
        }
        Some(DriverError(fields))
    }
}

/// The value of field `name` in a derived `Debug` struct body (`a: 1, b: "x", c: Some("y")`):
/// the number or text; `None` when absent, `None`, or not a scalar. Fields are walked in
/// order and quoted text is skipped whole, so text inside a message is never taken for a
/// field.
fn debug_field(body: &str, name: &str) -> Option<String> {
    let mut chars = body.chars().peekable();
    loop {
        // A field name, up to ": ".
        let mut field = String::new();
        loop {
            match chars.next()? {
                ':' => break,
                c => field.push(c),
            }
        }
        if chars.next() != Some(' ') {
            return None;
        }
        // Its value, up to the ", " that ends it at depth 0.
        let mut value = String::new();
        let mut depth = 0usize;
        let mut text: Option<String> = None;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    let mut t = String::new();
                    loop {
                        match chars.next()? {
                            '"' => break,
                            '\\' => t.push(chars.next()?),
                            c => t.push(c),
                        }
                    }
                    text.get_or_insert(t);
                }
                '(' | '{' | '[' => {
                    depth += 1;
                    value.push(c);
                }
                ')' | '}' | ']' if depth > 0 => {
                    depth -= 1;
                    value.push(c);
                }
                ',' if depth == 0 => {
                    chars.next_if_eq(&' ');
                    break;
                }
                c => value.push(c),
            }
        }
        if field.trim() == name {
            let value = value.trim();
            return match (value, text) {
                ("Some()" | "", Some(t)) => Some(t),
                (v, None)
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
                {
                    Some(v.to_owned())
                }
                _ => None,
            };
        }
    }
}

/// The SQL of the query that failed: the last one recorded under the current span.
fn failing_query() -> Option<(String, Option<Value>)> {
    let current = span::with_current(|c| c.cloned())?;
    // A SQLite worker reports the query just after it hands the error over: wait for it
    // (briefly, and only while a worker is inside a command of this transaction).
    let deadline = Instant::now() + Duration::from_millis(5);
    while current.tx.elsewhere.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
    current.fail_last_child(OP, "db.system", SpanStatus::InternalError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_from_their_debug_text() {
        let sqlite = DriverError::parse(
            r#"SqliteError { code: 2067, message: "UNIQUE constraint failed: users.name, code: 1" }"#,
        )
        .unwrap();
        assert_eq!(sqlite.0["error_code"], "2067");
        assert_eq!(sqlite.0.len(), 1);
        let pg = DriverError::parse(
            r#"PgDatabaseError { severity: Error, code: "23505", message: "duplicate key value violates unique constraint \"orders_item_key\"", detail: Some("Key (item)=(book) already exists."), hint: None, position: None, where: None, schema: Some("public"), table: Some("orders"), column: None, data_type: None, constraint: Some("orders_item_key"), file: Some("nbtinsert.c"), line: Some(666), routine: Some("_bt_check_unique") }"#,
        )
        .unwrap();
        assert_eq!(pg.0["error_code"], "23505");
        assert_eq!(pg.0["table"], "orders");
        assert_eq!(pg.0["constraint"], "orders_item_key");
        assert!(DriverError::parse("Io(Custom { kind: Other })").is_none());
        assert_eq!(debug_field(r#"a: None, table: None"#, "table"), None);
        // Text that looks like a field, inside a message, is not one.
        let tricky = DriverError::parse(
            r#"SqliteError { code: 19, message: "x, table: Some(\"users\"), code: 7" }"#,
        )
        .unwrap();
        assert_eq!(tricky.0["error_code"], "19");
        assert!(!tricky.0.contains_key("table"));
    }
}
