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

/// Where a backtrace is taken: it and everything around it inside the application's
/// innermost frame (the error's constructor, `From` conversions) go.
const CAPTURE_ENTRIES: &[&str] = &[
    "std::backtrace::",
    "std::backtrace_rs::",
    "backtrace::",
    "sentry_backtrace::",
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
    // vigil's own sources, wherever they are (a path dependency, this workspace): inlined
    // frames can come without the function's path, so their file decides.
    let runtime = concat!(env!("CARGO_MANIFEST_DIR"), "/src/").replace('\\', "/");
    !NOT_APP_PATHS.iter().any(|p| path.contains(p)) && !path.starts_with(&runtime)
}

/// Marks each frame in-app or not, and drops the panic machinery from the inner end (from
/// the first panic entry inside the innermost in-app frame inward), or the machinery that
/// took a backtrace (everything inside the innermost in-app frame).
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
    // A backtrace taken on purpose (by an error type such as `anyhow::Error`, or by
    // `attach_stacktrace`): the machinery that took it, inside the innermost in-app frame,
    // goes too.
    if inside > 0
        && frames[inside..].iter().any(|f| {
            f.function
                .as_deref()
                .is_some_and(|f| starts_with_any(f, CAPTURE_ENTRIES))
        })
    {
        frames.truncate(inside);
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

/// The frames of a `std::backtrace::Backtrace` from its text (`{:#}`: `N: 0xADDR - symbol`
/// lines, each followed by an `at path:line:col` line), outermost first, as Sentry wants
/// them. Symbols lose their hash (`::h0123...`) and crate disambiguators (`std[0123...]`).
/// `None` when no frame is found.
#[allow(dead_code)] // for integrations (anyhow): not every build has one
pub(crate) fn from_backtrace_text(text: &str) -> Option<Stacktrace> {
    let mut frames: Vec<Frame> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(location) = line.strip_prefix("at ") {
            if let Some(frame) = frames.last_mut().filter(|f| f.abs_path.is_none()) {
                let (path, lineno, colno) = location_parts(location);
                frame.filename = Some(path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned());
                frame.abs_path = Some(path.to_owned());
                frame.lineno = lineno;
                frame.colno = colno;
            }
            continue;
        }
        let Some((number, rest)) = line.split_once(':') else {
            continue;
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let rest = rest.trim_start();
        let symbol = match rest.split_once(" - ") {
            Some((addr, symbol)) if addr.starts_with("0x") => symbol,
            _ => rest,
        };
        frames.push(Frame {
            function: Some(clean_symbol(symbol)),
            ..Default::default()
        });
    }
    if frames.is_empty() {
        return None;
    }
    frames.reverse();
    Some(Stacktrace {
        frames,
        ..Default::default()
    })
}

/// `path:line:col` (line and column optional) apart.
fn location_parts(location: &str) -> (&str, Option<u64>, Option<u64>) {
    let number = |s: &str| s.parse::<u64>().ok();
    let Some((head, last)) = location.rsplit_once(':') else {
        return (location, None, None);
    };
    let Some(last) = number(last) else {
        return (location, None, None);
    };
    match head.rsplit_once(':') {
        Some((path, line)) if number(line).is_some() => (path, number(line), Some(last)),
        _ => (head, Some(last), None),
    }
}

/// A symbol without its hash (`::h0123456789abcdef`) and crate disambiguators
/// (`std[0123456789abcdef]`).
fn clean_symbol(symbol: &str) -> String {
    let is_hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let symbol = match symbol.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && is_hex(hash) => head,
        _ => symbol,
    };
    let mut out = String::with_capacity(symbol.len());
    let mut rest = symbol;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if is_hex(&after[..close]) && close >= 8 => rest = &after[close + 1..],
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The frame of the code that called a capture macro: `probe` is the name of the type of a
/// function item the macro declared there (`app::pay::__vigil_here`), which names the
/// function around it (the closures and async blocks it sits in left out: the function's
/// name is what groups the same call site as one).
pub(crate) fn caller_frame(probe: &str, module: &str, file: &str, line: u32) -> Frame {
    let mut function = probe.rsplit_once("::").map_or(probe, |(f, _)| f);
    while let Some(outer) = function
        .strip_suffix("::{{closure}}")
        .or_else(|| function.strip_suffix("::{closure#0}"))
    {
        function = outer;
    }
    Frame {
        function: Some(function.to_owned()),
        module: Some(module.to_owned()),
        filename: Some(file.to_owned()),
        abs_path: Some(file.to_owned()),
        lineno: Some(u64::from(line)),
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
            // An inlined frame, named without its path: its file says it is vigil's.
            (
                "call<core::result::Result<(), app::E>, app::pay::{closure_env#0}>",
                Some(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/src/instrument/mod.rs"
                )),
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
    fn the_machinery_that_took_a_backtrace_is_trimmed() {
        let app = Some("/srv/app/src/pay.rs");
        let registry = Some("/home/u/.cargo/registry/src/x/anyhow-1.0.0/src/error.rs");
        let mut trace = Stacktrace {
            frames: vec![
                frame("std::rt::lang_start", None),
                frame("app::main", app),
                frame("app::pay", app),
                frame(
                    "<core::result::Result<T,E> as anyhow::Context<T,E>>::context",
                    registry,
                ),
                frame("anyhow::error::<impl anyhow::Error>::construct", registry),
                frame("std::backtrace::Backtrace::capture", None),
                frame("std::backtrace_rs::backtrace::libunwind::trace", None),
            ],
            ..Default::default()
        };
        process(&mut trace);
        let names: Vec<_> = trace
            .frames
            .iter()
            .map(|f| f.function.clone().unwrap())
            .collect();
        assert_eq!(names, ["std::rt::lang_start", "app::main", "app::pay"]);
    }

    #[test]
    fn a_backtraces_text_becomes_frames() {
        let text = "   0:     0x55f22b4d95ab - std[e28293b1aa0f68bd]::backtrace_rs::backtrace::libunwind::trace
                               at /rustc/5980/library/std/src/../../backtrace/src/backtrace/libunwind.rs:117:9
   1:     0x55f22b4d97bc - <std[e28293b1aa0f68bd]::backtrace::Backtrace>::capture
                               at /rustc/5980/library/std/src/backtrace.rs:296:9
   2:     0x55f22abcc5b2 - anyhow::context::<impl anyhow::Context<T,E> for core::result::Result<T,E>>::context::hf9e6435b77b9a5e7
                               at /root/.cargo/registry/src/x/anyhow-1.0.105/src/context.rs:54:37
   3:     0x55f22abd85e3 - app::pay::h3c35fca4b9ee100f
                               at /srv/app/src/pay.rs:163:23
   4:     0x55f22abe8bfb - <fn() -> core[c1f1a4ba060b9bfa]::result::Result<(), [u8; 4]> as core[c1f1a4ba060b9bfa]::ops::function::FnOnce<()>>::call_once
   5: main
";
        let mut trace = from_backtrace_text(text).expect("frames");
        let functions: Vec<_> = trace
            .frames
            .iter()
            .map(|f| f.function.clone().unwrap())
            .collect();
        assert_eq!(
            functions,
            [
                "main",
                "<fn() -> core::result::Result<(), [u8; 4]> as core::ops::function::FnOnce<()>>::call_once",
                "app::pay",
                "anyhow::context::<impl anyhow::Context<T,E> for core::result::Result<T,E>>::context",
                "<std::backtrace::Backtrace>::capture",
                "std::backtrace_rs::backtrace::libunwind::trace",
            ]
        );
        let pay = &trace.frames[2];
        assert_eq!(pay.abs_path.as_deref(), Some("/srv/app/src/pay.rs"));
        assert_eq!(pay.filename.as_deref(), Some("pay.rs"));
        assert_eq!((pay.lineno, pay.colno), (Some(163), Some(23)));
        process(&mut trace);
        let kept: Vec<_> = trace
            .frames
            .iter()
            .map(|f| (f.function.clone().unwrap(), f.in_app))
            .collect();
        assert_eq!(kept.last(), Some(&("app::pay".to_owned(), Some(true))));
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn a_callers_frame_names_its_function() {
        let names = [
            ("app::pay::__vigil_here", "app::pay"),
            ("app::pay::{{closure}}::__vigil_here", "app::pay"),
            (
                "app::pay::{{closure}}::{{closure}}::__vigil_here",
                "app::pay",
            ),
            ("<app::Db>::load::__vigil_here", "<app::Db>::load"),
        ];
        for (probe, function) in names {
            let frame = caller_frame(probe, "app", "src/lib.rs", 7);
            assert_eq!(frame.function.as_deref(), Some(function), "{probe}");
            assert_eq!(frame.in_app, Some(true));
            assert_eq!(frame.lineno, Some(7));
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
