//! Stack frames as Sentry groups them: which frames are the application's (`in_app`), and
//! the panic machinery trimmed off the inner end of a panic's stack.
//!
//! Sentry groups an error by its in-app frames. The `sentry` crate marks every frame it does
//! not recognise as in-app, which today's symbol names (`__rustc::rust_begin_unwind`,
//! `<&dyn Fn..>::call_once`, libc's start-up) defeat: a panic would be grouped on frames
//! that are not the user's. Here a frame is in-app when it is the user's own code: not the
//! standard library, not a dependency from the cargo registry or a git checkout, not the
//! Rust toolchain's sources, not libc or the loader, and not vigil's or sentry's own crates.

use sentry::protocol::{Event, Frame, Stacktrace};

use crate::callsite::Callsite;

/// Function prefixes (after `<`, `&`, `mut `, `dyn ` are stripped) that are never in-app.
const NOT_APP_FUNCTIONS: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "__rustc::",
    "__rust_",
    "___rust_",
    "rust_begin_unwind",
    "rust_panic",
    "backtrace::",
    "sentry::",
    "sentry_",
    "vigil_runtime::",
    "vigil::__private::",
    "tokio::",
    "futures_",
    "tracing::",
    "tracing_",
    "tower::",
    "hyper::",
    "axum::",
    "sqlx_",
    "async_graphql",
    "anyhow::",
    "eyre::",
    "_start",
    "__libc_start",
    "start_thread",
    "clone",
    "__clone",
    "thread_start",
];

/// Paths of sources that are never the application's.
const NOT_APP_PATHS: &[&str] = &[
    "/.cargo/registry/",
    "/.cargo/git/",
    "/rustc/",
    "/rustlib/",
    "/library/std/",
    "/library/core/",
    "/library/alloc/",
];

/// Where the panic machinery starts (from the outside in): it and everything inside it (the
/// panic handler, the hooks, sentry's own) go.
const PANIC_ENTRIES: &[&str] = &[
    "core::panicking::",
    "std::panicking::begin_panic",
    "std::panic::panic_any",
    "__rustc::rust_begin_unwind",
    "rust_begin_unwind",
];

fn bare(function: &str) -> &str {
    let mut f = function.trim_start_matches(['<', '&']);
    for prefix in ["mut ", "dyn ", "impl "] {
        f = f.strip_prefix(prefix).unwrap_or(f);
    }
    f
}

fn starts_with_any(function: &str, prefixes: &[&str]) -> bool {
    let f = bare(function);
    prefixes.iter().any(|p| f.starts_with(p))
}

/// Is `frame` the application's own code?
pub(crate) fn is_in_app(frame: &Frame) -> bool {
    let function = frame.function.as_deref().unwrap_or("");
    if starts_with_any(function, NOT_APP_FUNCTIONS) {
        return false;
    }
    if let Some(module) = frame.module.as_deref() {
        if starts_with_any(&format!("{module}::"), NOT_APP_FUNCTIONS) {
            return false;
        }
    }
    let path = frame
        .abs_path
        .as_deref()
        .or(frame.filename.as_deref())
        .unwrap_or("");
    if path.is_empty() {
        // No source: a system library or stripped code.
        return false;
    }
    let path = path.replace('\\', "/");
    !NOT_APP_PATHS.iter().any(|p| path.contains(p))
}

/// Marks each frame in-app or not, and drops the panic machinery from the inner end: from
/// the first panic entry inside the innermost in-app frame inward.
pub(crate) fn process(stacktrace: &mut Stacktrace) {
    let frames = &mut stacktrace.frames;
    for frame in frames.iter_mut() {
        frame.in_app = Some(is_in_app(frame));
    }
    // Frames run from the outermost (first) to the innermost (last).
    let inside = frames
        .iter()
        .rposition(|f| f.in_app == Some(true))
        .map_or(0, |i| i + 1);
    let entry = frames[inside..].iter().position(|f| {
        f.function
            .as_deref()
            .is_some_and(|f| starts_with_any(f, PANIC_ENTRIES))
    });
    if let Some(entry) = entry {
        frames.truncate(inside + entry);
    }
}

/// Every stack trace of `event`, processed.
pub(crate) fn process_event(event: &mut Event<'static>) {
    for exception in event.exception.values.iter_mut() {
        if let Some(trace) = &mut exception.stacktrace {
            process(trace);
        }
    }
    for thread in event.threads.values.iter_mut() {
        if let Some(trace) = &mut thread.stacktrace {
            process(trace);
        }
    }
    if let Some(trace) = &mut event.stacktrace {
        process(trace);
    }
}

/// The frame of the monitored function whose call failed, from its static callsite: where
/// a returned `Err` surfaced (Rust errors carry no stack of their own).
pub(crate) fn callsite_frame(cs: &Callsite) -> Frame {
    Frame {
        function: Some(format!("{}::{}", cs.module, cs.function)),
        module: Some(cs.module.to_owned()),
        filename: Some(cs.file.to_owned()),
        abs_path: Some(cs.file.to_owned()),
        lineno: Some(u64::from(cs.line)),
        in_app: Some(true),
        ..Default::default()
    }
}

/// Gives the top exception of `event` (the error itself) the frame `frame` when it has no
/// stack trace of its own.
pub(crate) fn attach(event: &mut Event<'static>, frame: Frame) {
    if let Some(top) = event.exception.values.last_mut() {
        if top.stacktrace.is_none() {
            top.stacktrace = Some(Stacktrace {
                frames: vec![frame],
                ..Default::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, path: Option<&str>) -> Frame {
        Frame {
            function: Some(function.to_owned()),
            abs_path: path.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_users_frames_are_in_app() {
        let cases = [
            (
                "myapp::handlers::pay",
                Some("/srv/myapp/src/handlers.rs"),
                true,
            ),
            ("myapp::main::{{closure}}", Some("src/main.rs"), true),
            ("myapp::main::{closure#0}", Some("src/main.rs"), true),
            ("<myapp::Db as myapp::Store>::load", Some("src/db.rs"), true),
            (
                "std::rt::lang_start",
                Some("/rustc/abc/library/std/src/rt.rs"),
                false,
            ),
            (
                "__rustc::rust_begin_unwind",
                Some("/rustc/abc/library/std/src/panicking.rs"),
                false,
            ),
            (
                "<&dyn core::ops::function::Fn<(&core::panic::PanicHookInfo,)>>::call_once",
                None,
                false,
            ),
            (
                "vigil_runtime::instrument::call",
                Some("/work/vigil/runtime/src/instrument/mod.rs"),
                false,
            ),
            (
                "sentry_panic::panic_handler",
                Some("/home/u/.cargo/registry/src/x/sentry-panic/src/lib.rs"),
                false,
            ),
            (
                "serde_json::de::from_str",
                Some("/home/u/.cargo/registry/src/x/serde_json/src/de.rs"),
                false,
            ),
            (
                "mydep::thing",
                Some("/home/u/.cargo/git/checkouts/mydep/src/lib.rs"),
                false,
            ),
            ("__libc_start_main", None, false),
            ("_start", None, false),
            ("main", None, false),
        ];
        for (function, path, expected) in cases {
            assert_eq!(is_in_app(&frame(function, path)), expected, "{function}");
        }
    }

    #[test]
    fn the_panic_machinery_is_trimmed() {
        let app = Some("src/main.rs");
        let std_path = Some("/rustc/abc/library/std/src/panicking.rs");
        let mut trace = Stacktrace {
            frames: vec![
                frame("_start", None),
                frame("std::rt::lang_start", std_path),
                frame("myapp::main", app),
                frame("myapp::pay::{closure#0}", app),
                frame("core::option::unwrap_failed", std_path),
                frame("core::panicking::panic_fmt", std_path),
                frame("__rustc::rust_begin_unwind", std_path),
                frame("std::sys::backtrace::__rust_end_short_backtrace::<std::panicking::panic_handler::{closure#0}, !>", std_path),
                frame("std::panicking::panic_with_hook", std_path),
                frame("<sentry_panic::PanicIntegration as sentry_core::integration::Integration>::setup::{{closure}}", None),
                frame("sentry_panic::panic_handler", None),
            ],
            ..Default::default()
        };
        process(&mut trace);
        let names: Vec<_> = trace
            .frames
            .iter()
            .map(|f| (f.function.clone().unwrap(), f.in_app.unwrap()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("_start".to_owned(), false),
                ("std::rt::lang_start".to_owned(), false),
                ("myapp::main".to_owned(), true),
                ("myapp::pay::{closure#0}".to_owned(), true),
                ("core::option::unwrap_failed".to_owned(), false),
            ]
        );
    }
}
