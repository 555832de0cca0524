//! The quickstart as a new user runs it, and the spool's view as it reaches a terminal or a
//! pipe: the README's excerpt of the tour matches what the quickstart prints; no escape code
//! goes to a pipe, nor anywhere under `NO_COLOR`; `VIGIL_SPOOL=json` keeps the JSON lines.
//!
//! The quickstart is run as a program (cargo builds it before the tests; a test run alone
//! builds it here), with stdout and stderr into one file, as a terminal interleaves them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Variables that would change what the quickstart does: each test sets its own.
const CLEARED: &[&str] = &[
    "SENTRY_DSN",
    "SENTRY_SPOTLIGHT",
    "SENTRY_RELEASE",
    "SENTRY_ENVIRONMENT",
    "ENVIRONMENT",
    "SENTRY_TRACES_SAMPLE_RATE",
    "SENTRY_ENABLE_TRACING",
    "VIGIL_SPOOL",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "RUST_BACKTRACE",
];

/// The quickstart program, built with this test's profile and features (a no-op when cargo
/// has just built it).
fn quickstart() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap(); // target/<profile>
        let profile = profile_dir
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let features: Vec<&str> = [
            cfg!(feature = "axum").then_some("axum"),
            cfg!(feature = "sqlx").then_some("sqlx"),
            cfg!(feature = "async-graphql").then_some("async-graphql"),
            cfg!(feature = "log").then_some("log"),
            cfg!(feature = "reqwest").then_some("reqwest"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args([
                "build",
                "--quiet",
                "-p",
                "vigil-quickstart",
                "--example",
                "quickstart",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        match profile.as_str() {
            "debug" => {}
            "release" => {
                build.arg("--release");
            }
            other => {
                build.args(["--profile", other]);
            }
        }
        if !features.is_empty() {
            build.args(["--features", &features.join(",")]);
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "cargo build --example quickstart failed");
        profile_dir
            .join("examples")
            .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX))
    })
}

/// Runs the quickstart with `vars` (and none of [`CLEARED`] otherwise); returns stdout and
/// stderr as one text, in the order they were written.
fn run(vars: &[(&str, &str)]) -> String {
    let dir = std::env::temp_dir().join(format!("vigil-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let path = dir.join(format!("out-{}.txt", RUNS.fetch_add(1, Ordering::Relaxed)));
    let file = std::fs::File::create(&path).unwrap();
    let mut command = Command::new(quickstart());
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file);
    for var in CLEARED {
        command.env_remove(var);
    }
    command.envs(vars.iter().copied());
    let status = command.status().unwrap();
    let out = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "the quickstart failed:\n{out}");
    out
}

/// Runs the quickstart; returns its stderr alone.
fn run_stderr(vars: &[(&str, &str)]) -> String {
    let mut command = Command::new(quickstart());
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in CLEARED {
        command.env_remove(var);
    }
    command.envs(vars.iter().copied());
    let out = command.output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stderr).unwrap()
}

/// What changes from one run to the next (ids, times, durations, bars, a thread's number,
/// and the alignment they move) replaced by placeholders, words one space apart.
fn normalize(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            line.split_whitespace()
                .map(word)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn word(w: &str) -> &str {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = |s: &str| {
        let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
        digits(int) && digits(frac)
    };
    if w.chars().all(|c| c == '█' || c == '·') {
        return "<bar>";
    }
    if hex(w, 32) || (w.len() == 36 && hex(&w.replace('-', ""), 32)) {
        return "<id>";
    }
    let unit = ["ns", "µs", "ms", "s"]
        .iter()
        .find_map(|u| w.strip_suffix(u));
    if unit.is_some_and(number)
        || w.split_once('m')
            .is_some_and(|(m, s)| digits(m) && s.ends_with('s') && digits(&s[..s.len() - 1]))
    {
        return "<duration>";
    }
    let parts: Vec<&str> = w.split([':', '.']).collect();
    if parts.len() == 4 && parts.iter().all(|p| digits(p)) {
        return "<time>";
    }
    if w.starts_with('(') && w.ends_with(')') && digits(&w[1..w.len() - 1]) {
        return "(<n>)";
    }
    if w.strip_prefix("thread.id=").is_some_and(digits) {
        return "thread.id=<n>";
    }
    w
}

/// The README's excerpts of the quickstart's output: each `text` block after a marker.
fn readme_excerpts() -> Vec<String> {
    let readme = include_str!("../README.md");
    let marker = "<!-- quickstart output: tests/quickstart.rs checks it -->";
    let excerpts: Vec<String> = readme
        .match_indices(marker)
        .map(|(start, _)| {
            let block = &readme[start..];
            let open = block
                .find("```text\n")
                .expect("a text block after the marker")
                + 8;
            let close = block[open..].find("\n```").expect("the block closes") + open;
            block[open..close].to_owned()
        })
        .collect();
    assert!(!excerpts.is_empty(), "the README marks its excerpts");
    excerpts
}

#[test]
fn the_readme_excerpts_are_what_the_quickstart_prints() {
    let output = run(&[]);
    let printed = normalize(&output);
    for (e, excerpt) in readme_excerpts().iter().enumerate() {
        // The excerpt's lines appear in the output in order; `…` stands for lines left out.
        let mut at = 0;
        for (n, want) in normalize(excerpt).iter().enumerate() {
            if want == "…" {
                continue;
            }
            match printed[at..].iter().position(|line| line == want) {
                Some(i) => at += i + 1,
                None => panic!(
                    "README excerpt {} line {} is not printed (after line {at}):\n  {want}\n\nprinted (normalized):\n{}\n\nprinted:\n{output}",
                    e + 1,
                    n + 1,
                    printed.join("\n")
                ),
            }
        }
    }
    // A tour: a heading per step, in order, each followed by what it sent.
    let headings: Vec<&String> = printed.iter().filter(|l| l.starts_with("━━ ")).collect();
    assert_eq!(headings.len(), 8, "{output}");
    for (i, heading) in headings.iter().enumerate() {
        assert!(heading.starts_with(&format!("━━ {}. ", i + 1)), "{heading}");
    }
}

#[test]
fn no_escape_codes_in_a_pipe_nor_under_no_color() {
    // stderr is a file here, not a terminal: the readable view, no colours.
    let plain = run(&[]);
    assert!(plain.contains("TRANSACTION process_order"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "{plain}");
    // Forced colours paint it (so the check above means something) ...
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\u{1b}["), "{forced}");
    // ... and NO_COLOR wins over everything.
    let no_color = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!no_color.contains('\u{1b}'), "{no_color}");
    assert_eq!(normalize(&no_color), normalize(&plain));
}

#[test]
fn json_spool_keeps_one_json_line_per_envelope() {
    for spool in ["json", "stderr"] {
        // `stderr` is JSON when stderr is not a terminal, as here.
        let stderr = run_stderr(&[("VIGIL_SPOOL", spool)]);
        let lines: Vec<serde_json::Value> = stderr
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 10, "VIGIL_SPOOL={spool}: {stderr}");
        assert!(lines.iter().all(|l| l["items"][0]["type"].is_string()));
        assert!(!stderr.contains("TRANSACTION"), "{stderr}");
        assert!(!stderr.contains("sk_live_123") && !stderr.contains("hunter2"));
    }
}
