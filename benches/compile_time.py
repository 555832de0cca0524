#!/usr/bin/env python3
"""Compile time of 300 annotated functions (half async): vigil against tracing.

Generates three crates under target/compile-bench that differ only in the attribute on
each function: none, `#[vigil::monitored]`, `#[tracing::instrument(err)]`. Dependencies are
built once (shared target dir); then each crate's own build is timed, three times each:
- full: `cargo clean -p <crate>` then `cargo build` (debug);
- incremental: append a comment to the source, then `cargo build`.
Prints the median times and the time each attribute adds over the bare crate.

    python3 benches/compile_time.py
"""
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "compile-bench"
TARGET = WORK / "target"
N = 300
RUNS = 3

VARIANTS = {
    "bare": "",
    "vigil": "#[vigil::monitored]",
    "tracing": "#[tracing::instrument(err)]",
}


def source(attribute: str) -> str:
    out = [
        "#![allow(clippy::all)]",
        "#[derive(Debug)]",
        "pub struct Oops(pub u64);",
        "impl std::fmt::Display for Oops {",
        "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, \"oops {}\", self.0) }",
        "}",
        "impl std::error::Error for Oops {}",
    ]
    for i in range(N):
        asyncness = "async " if i % 2 else ""
        out += [
            attribute,
            f"pub {asyncness}fn work_{i}(order: u64, label: &str) -> Result<u64, Oops> {{",
            f"    if order > {1000 + i} {{ return Err(Oops(order)); }}",
            f"    Ok(order + label.len() as u64 + {i})",
            "}",
        ]
    return "\n".join(out) + "\n"


def write_crate(name: str, attribute: str) -> pathlib.Path:
    path = WORK / name
    (path / "src").mkdir(parents=True, exist_ok=True)
    (path / "Cargo.toml").write_text(
        f"""[package]
name = "gen-{name}"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
vigil = {{ path = "{ROOT}" }}
tracing = "0.1"

[workspace]
"""
    )
    (path / "src" / "lib.rs").write_text(source(attribute))
    return path


def cargo(path: pathlib.Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["cargo", *args, "--quiet"],
        cwd=path,
        check=True,
        env={**__import__("os").environ, "CARGO_TARGET_DIR": str(TARGET)},
    )
    return time.perf_counter() - start


def main() -> None:
    crates = {name: write_crate(name, attr) for name, attr in VARIANTS.items()}
    for path in crates.values():  # dependencies, once
        cargo(path, "build")
    results = {}
    for name, path in crates.items():
        full, incremental = [], []
        for run in range(RUNS):
            cargo(path, "clean", "-p", f"gen-{name}")
            full.append(cargo(path, "build"))
            with open(path / "src" / "lib.rs", "a") as f:
                f.write(f"// touch {run}\n")
            incremental.append(cargo(path, "build"))
        results[name] = (statistics.median(full), statistics.median(incremental))
    bare_full, bare_inc = results["bare"]
    print(f"| crate ({N} fns, half async) | full build | added | incremental | added |")
    print("|---|---:|---:|---:|---:|")
    for name, (full, inc) in results.items():
        print(
            f"| {name} | {full:.2f} s | {full - bare_full:+.2f} s ({(full - bare_full) / N * 1000:.1f} ms/fn) "
            f"| {inc:.2f} s | {inc - bare_inc:+.2f} s |"
        )
    v_full = results["vigil"][0] - bare_full
    t_full = results["tracing"][0] - bare_full
    v_inc = results["vigil"][1] - bare_inc
    t_inc = results["tracing"][1] - bare_inc
    print(f"\nvigil adds {v_full / t_full:.2f}x of what tracing adds (full), {v_inc / t_inc:.2f}x (incremental)")


if __name__ == "__main__":
    sys.exit(main())
