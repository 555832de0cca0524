"""Layout rules of ARCHITECTURE.md that a machine can check.

1. The runtime's core knows no integration: no `cfg(feature` (nor `cfg_attr(..feature..)`)
   in a file under runtime/src/ other than lib.rs and integrations/.
2. No source file is over 600 lines outside its `#[cfg(test)]` module.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
MAX_LINES = 600
problems = []

core = root / "runtime" / "src"
for path in sorted(core.rglob("*.rs")):
    rel = path.relative_to(core)
    if rel.parts[0] == "integrations" or rel == pathlib.Path("lib.rs"):
        continue
    for number, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("//", 1)[0]
        if re.search(r"cfg(_attr)?\s*\(.*\bfeature\b", code):
            problems.append(f"runtime/src/{rel}:{number}: a feature switch in the core: {line.strip()}")

for crate in ("src", "runtime/src", "macros/src"):
    for path in sorted((root / crate).rglob("*.rs")):
        lines = path.read_text().splitlines()
        # The tests module: `#[cfg(test)]` on a `mod ... {` (a `#[cfg(test)] use` is code).
        end = next(
            (
                i
                for i, l in enumerate(lines[:-1])
                if l.strip() == "#[cfg(test)]" and re.match(r"\s*mod \w+ \{", lines[i + 1])
            ),
            len(lines),
        )
        if end > MAX_LINES:
            problems.append(f"{path.relative_to(root)}: {end} lines outside its tests (at most {MAX_LINES})")

for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"layout: ok (core free of feature switches, every file at most {MAX_LINES} lines outside its tests)")
