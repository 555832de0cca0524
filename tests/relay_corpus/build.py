"""Builds the scrubbing corpus of `tests/relay_compare.rs` from test inputs Sentry's own
engineers wrote, so that vigil is not measured on inputs written to suit it.

Usage:

    python3 tests/relay_corpus/build.py RELAY_SRC SENTRY_PYTHON_SRC

- RELAY_SRC: Relay's Rust sources as the `sentry-relay` 0.10.1 sdist ships them
  (`pip download --no-deps --no-binary :all: sentry-relay==0.10.1`, then unpack the sdist
  and its `rustsrc.zip`; the directory holding `relay-pii/`).
- SENTRY_PYTHON_SRC: the `sentry-sdk` 2.75.0 sdist, unpacked (it ships `tests/`).

Writes `relay.json` and `sentry_python.json` next to this file: lists of
`{"source": "<file>::<test>", "notes": [...], "event": {...}}`. What comes from where:

- Relay `relay-pii/src/convert.rs` and `processor.rs` tests: every `json!({...})` and
  `from_json(r#"..."#)` input, as the test wrote it (an event; a span goes into a
  transaction, a breadcrumb or a trace context into an event). Inputs of tests that run a
  custom PII config are kept too: here they all run through the default data scrubbing.
- Relay `relay-pii/src/builtin.rs` tests: every `input = ...` string of the rule tests (and
  the IBAN lists), each put in the places of an event where user data stands (message,
  exception value, extra, a context, breadcrumb message and data, frame variables, a
  request header), since vigil and Relay treat these places differently.
- Relay `tests/integration/fixtures/pii.py` and `test_pii.py`: the rule samples and the
  `logentry.formatted` messages; `relay-server/src/services/processor.rs` tests: their event
  payloads; `tests/fixtures/*-input.json` and `relay-server/tests/fixtures/payloads/*.json`:
  whole events as SDKs send them.
- sentry-python `tests/test_scrubber.py`, `tests/test_utils.py` (`sanitize_url` cases),
  `tests/integrations/django/test_data_scrubbing.py` and `tests/integrations/wsgi/test_wsgi.py`:
  the requests, cookies, frame variables, breadcrumbs, span data and URLs they scrub.

The events are then adapted to what a Rust program can send through the `sentry` crate
(vigil's corpus goes through its client): cookies, query strings and bodies given as objects
or pair lists become the strings the protocol types hold (`a=b; c=d`, `a=b&c=d`, JSON text),
`logentry.formatted` becomes `message`, header and env values become strings, interfaces the
Rust SDK does not model (`csp`, `debug_meta`, `sdk`, span `sentry_tags`) are dropped or, when
they hold user data, moved under `extra`. Every adaptation is listed in the entry's `notes`.
The same adapted event goes to Relay, sentry-python and vigil.
"""

import ast
import json
import re
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------------------
# Rust literals and `json!` macro bodies
# --------------------------------------------------------------------------------------------

RUST_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def read_rust_string(src, i):
    """Reads the Rust string literal starting at `src[i]`; returns (value, end)."""
    if src.startswith("b", i) and src[i + 1] in 'r"':
        i += 1
    if src[i] == "r":
        j = i + 1
        hashes = 0
        while src[j] == "#":
            hashes += 1
            j += 1
        assert src[j] == '"', src[i : i + 20]
        close = '"' + "#" * hashes
        end = src.index(close, j + 1)
        return src[j + 1 : end], end + len(close)
    assert src[i] == '"', src[i : i + 20]
    out = []
    j = i + 1
    while src[j] != '"':
        c = src[j]
        if c == "\\":
            n = src[j + 1]
            if n == "\n":
                j += 2
                while src[j] in " \t\n":
                    j += 1
                continue
            if n == "u":
                end = src.index("}", j)
                out.append(chr(int(src[j + 3 : end], 16)))
                j = end + 1
                continue
            out.append(RUST_ESCAPES[n])
            j += 2
            continue
        out.append(c)
        j += 1
    return "".join(out), j + 1


def is_string_start(src, i):
    return src[i] == '"' or (
        src[i] in "rb" and re.match(r'(b?r#*"|b")', src[i:]) and (i == 0 or not src[i - 1].isalnum())
    )


def balanced(src, i):
    """`src[i]` is an opening bracket; returns the index after its closing one."""
    depth = 0
    j = i
    while j < len(src):
        c = src[j]
        if src.startswith("//", j):
            j = src.index("\n", j)
            continue
        if is_string_start(src, j):
            _, j = read_rust_string(src, j)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError("unbalanced")


def tokens(src, subst):
    i = 0
    while i < len(src):
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("//", i):
            i = src.index("\n", i) if "\n" in src[i:] else len(src)
        elif is_string_start(src, i):
            value, i = read_rust_string(src, i)
            yield ("value", value)
        elif c in "{}[]:,":
            yield (c, c)
            i += 1
        else:
            m = re.match(r"-?\d+(\.\d+)?", src[i:])
            if m:
                text = m.group(0)
                yield ("value", float(text) if "." in text else int(text))
                i += len(text)
                continue
            m = re.match(r"[*&$A-Za-z_][A-Za-z0-9_$!]*(?:::[A-Za-z0-9_$!]+)*(\(\))?", src[i:])
            if not m:
                raise ValueError(f"cannot read {src[i:i + 30]!r}")
            word = m.group(0)
            i += len(word)
            if word in ("true", "false", "null"):
                yield ("value", {"true": True, "false": False, "null": None}[word])
            elif word.lstrip("*&") in subst:
                yield ("value", subst[word.lstrip("*&")])
            else:
                raise KeyError(word)


def parse_json_macro(body, subst):
    """The value a `json!(...)` body stands for (trailing commas and comments allowed)."""
    toks = list(tokens(body, subst))
    pos = 0

    def value():
        nonlocal pos
        kind, v = toks[pos]
        pos += 1
        if kind == "value":
            return v
        if kind == "{":
            out = {}
            while toks[pos][0] != "}":
                key = value()
                assert toks[pos][0] == ":", toks[pos]
                pos += 1
                out[key] = value()
                if toks[pos][0] == ",":
                    pos += 1
            pos += 1
            return out
        if kind == "[":
            out = []
            while toks[pos][0] != "]":
                out.append(value())
                if toks[pos][0] == ",":
                    pos += 1
            pos += 1
            return out
        raise ValueError(f"unexpected {kind}")

    v = value()
    assert pos == len(toks), toks[pos:]
    return v


def test_fns(src):
    """(name, body) of each `fn test_...` in a Rust file."""
    for m in re.finditer(r"\bfn (test_\w+)\s*\(\)\s*\{", src):
        start = m.end() - 1
        yield m.group(1), src[start : balanced(src, start)]


def rust_statics(src):
    """`static NAME: &str = r#"..."#;` constants of a test module."""
    out = {}
    for m in re.finditer(r"static (\w+): &str = ", src):
        out[m.group(1)], _ = read_rust_string(src, m.end())
    return out


def rust_fn_values(src, subst):
    """`fn name() -> serde_json::Value { serde_json::json!(...) }` helpers."""
    out = {}
    for m in re.finditer(r"fn (\w+)\(\) -> serde_json::Value \{\s*serde_json::json!\(", src):
        open_paren = m.end() - 1
        body = src[open_paren + 1 : balanced(src, open_paren) - 1]
        out[m.group(1) + "()"] = parse_json_macro(body, subst)
    return out


def wrap(kind, value, notes):
    """An event (or transaction) holding a value of Relay's type `kind`."""
    if kind == "Event":
        return value
    if kind == "Span":
        notes.append("a span: sent as the only span of a transaction")
        return {"type": "transaction", "transaction": "corpus", "spans": [value]}
    if kind == "Breadcrumb":
        notes.append("a breadcrumb: sent in an event")
        return {"breadcrumbs": {"values": [value]}}
    if kind == "TraceContext":
        notes.append("a trace context: sent as an event's trace context")
        return {"contexts": {"trace": value}}
    return None


def kind_before(src, at):
    """The Relay type a test builds from the JSON at `at`."""
    before = src[max(0, at - 160) : at]
    for kind in ("PiiConfig", "SpanV2", "TraceContext", "Breadcrumb", "Span", "Event", "Value"):
        if re.search(rf"\b{kind}\b", before.split(";")[-1]):
            return kind
    return "Event"


def relay_pii_tests(root):
    out = []
    for name in ("convert.rs", "processor.rs"):
        path = root / "relay-pii" / "src" / name
        src = path.read_text()
        tests_at = src.index("mod tests")
        test_src = src[tests_at:]
        subst = rust_statics(test_src)
        subst.update(rust_fn_values(test_src, subst))
        # `macro_rules! m { ($x:literal) => {{ ... json!(TEMPLATE) ... }} }`, called as `m!(lit)`.
        macros = {}
        for m in re.finditer(r"macro_rules! (\w+) \{\s*\(\$(\w+):literal\)", test_src):
            j = test_src.index("json!(", m.end()) + len("json!")
            macros[m.group(1)] = (m.group(2), test_src[j + 1 : balanced(test_src, j) - 1])
        for test, body in test_fns(test_src):
            source = f"relay-pii/src/{name}::{test}"
            found = []
            for m in re.finditer(r"json!\(", body):
                j = m.end() - 1
                inner = body[j + 1 : balanced(body, j) - 1]
                try:
                    found.append((kind_before(body, m.start()), parse_json_macro(inner, subst)))
                except KeyError as e:
                    # Built from a local variable (`json!({"extra": extra})`): the variable's
                    # own `json!` input is taken on its own.
                    print(f"{source}: skipped a json! naming {e}", file=sys.stderr)
            for m in re.finditer(r"from_json(?:_bytes)?\(\s*", body):
                if not re.match(r'b?r#*"', body[m.end() :]):
                    continue
                text, _ = read_rust_string(body, m.end())
                found.append((kind_before(body, m.start()), json.loads(text)))
            for m in re.finditer(r"(\w+)!\(", body):
                if m.group(1) in macros:
                    param, template = macros[m.group(1)]
                    at = m.end()
                    while body[at].isspace():
                        at += 1
                    arg, _ = read_rust_string(body, at)
                    found.append(("Event", parse_json_macro(template, {**subst, "$" + param: arg})))
            for kind, value in found:
                notes = []
                event = wrap(kind, value, notes)
                if event is None or not isinstance(value, dict):
                    continue  # configs, standalone values, V2 spans: not events
                out.append({"source": source, "notes": notes, "event": event})
    return out


# --------------------------------------------------------------------------------------------
# Rule samples (strings), placed wherever user data stands in an event
# --------------------------------------------------------------------------------------------


def builtin_rule_inputs(root):
    """`input = ...` strings of `relay-pii/src/builtin.rs`'s tests, by test."""
    src = (root / "relay-pii" / "src" / "builtin.rs").read_text()
    tests = src[src.index("mod tests") :]
    out = {}
    for test, body in test_fns(tests):
        samples = []
        for m in re.finditer(r"input = ", body):
            at = m.end()
            if is_string_start(body, at):
                samples.append(read_rust_string(body, at)[0])
        # Strings handed to `format!("some iban: {x}!")`, and the IBAN and e-mail lists.
        for m in re.finditer(r'let (?:mut )?(\w+) = "([^"]+)"\.to_owned\(\);', body):
            name, value = m.group(1), m.group(2)
            samples.append(f"some iban: {value}!")
            # The variants the test derives: one character less or more, inside a word.
            if f"{name}.pop()" in body:
                samples.append(f"some iban: {value[:-1]}!")
            push = re.search(rf"{name}\.push\('(.)'\)", body)
            if push:
                samples.append(f"some iban: {value}{push.group(1)}!")
            if "_within_word" in body:
                samples.append(f"foo{value}bar")
        if "valid_iban_codes" in body:
            block = body[body.index("vec![") : body.index("];")]
            samples.extend(f"some iban: {code}!" for code in re.findall(r'"(\w+)"', block))
        for m in re.finditer(r'\(\s*"([^"]+)",\s*"[^"]*",?\s*\)', body):
            samples.append(m.group(1))
        unique = list(dict.fromkeys(samples))
        if unique:
            out[f"relay-pii/src/builtin.rs::{test}"] = unique
    return out


def placed(samples):
    """An event with each sample wherever user data stands."""
    event = {
        "message": samples[0],
        "exception": {
            "values": [
                {
                    "type": "Error",
                    "value": samples[-1],
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "handler",
                                "filename": "app.py",
                                "vars": {f"value_{i}": s for i, s in enumerate(samples)},
                            }
                        ]
                    },
                }
            ]
        },
        "extra": {f"value_{i}": s for i, s in enumerate(samples)},
        "contexts": {"sample": {f"value_{i}": s for i, s in enumerate(samples)}},
        "breadcrumbs": {
            "values": [
                {"message": s, "data": {"value": s}, "category": "sample"} for s in samples
            ]
        },
        "request": {
            "url": "https://example.com/form",
            "headers": {f"X-Sample-{i}": s.replace("\n", " ") for i, s in enumerate(samples)},
        },
    }
    return event


def chunks(items, n):
    return [items[i : i + n] for i in range(0, len(items), n)]


def relay_rule_samples(root):
    out = []
    for source, samples in builtin_rule_inputs(root).items():
        for part in chunks(samples, 12):
            out.append({"source": source, "notes": ["rule samples, placed in every user-data place"], "event": placed(part)})
    # tests/integration/fixtures/pii.py: rule samples and key/value pairs.
    pii_py = root / "tests" / "integration" / "fixtures" / "pii.py"
    tree = ast.parse(pii_py.read_text())
    tuples = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) for e in node.elts):
            tuples.append([e.value for e in node.elts])
    samples = [t[1] for t in tuples if len(t) == 3 and t[0].startswith("@")]
    out.append({"source": "tests/integration/fixtures/pii.py::scrubbing_rule", "notes": ["rule samples, placed in every user-data place"], "event": placed(samples)})
    pairs = {t[0]: t[1] for t in tuples if len(t) == 4}
    out.append({
        "source": "tests/integration/fixtures/pii.py::secret_attribute",
        "notes": ["attribute names and values, as extra"],
        "event": {"extra": dict(pairs)},
    })
    out.append({
        "source": "tests/integration/fixtures/pii.py::secret_attribute",
        "notes": ["attribute names and values, as span data"],
        "event": {"type": "transaction", "transaction": "corpus", "spans": [{"op": "task", "data": dict(pairs)}]},
    })
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "NonDestructive":
            message = next(k.value.value for k in node.keywords if k.arg == "input_message")
            out.append({
                "source": "tests/integration/fixtures/pii.py::non_destructive",
                "notes": ["logentry.formatted sent as message"],
                "event": {"message": message},
            })
    test_pii = root / "tests" / "integration" / "test_pii.py"
    tree = ast.parse(test_pii.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "param":
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if len(args) == 2 and isinstance(args[0], str):
                out.append({
                    "source": "tests/integration/test_pii.py::test_logentry_formatted_smart_scrubbing",
                    "notes": ["logentry.formatted sent as message"],
                    "event": {"message": args[0]},
                })
    return out


def relay_server_tests(root):
    """Event payloads (`set_payload(ContentType::Json, r#"..."#)`) of relay-server's processor
    tests."""
    out = []
    name = "relay-server/src/services/processor.rs"
    src = (root / name).read_text()
    for test, body in test_fns(src[src.index("mod tests") :]):
        for m in re.finditer(r"set_payload\(\s*ContentType::Json,\s*", body):
            if is_string_start(body, m.end()):
                text, _ = read_rust_string(body, m.end())
                event = json.loads(text)
                if event:
                    out.append({"source": f"{name}::{test}", "notes": [], "event": event})
    return out


def relay_payloads(root):
    out = []
    files = sorted((root / "tests" / "fixtures").glob("*-input.json"))
    files += sorted((root / "relay-server" / "tests" / "fixtures" / "payloads").glob("*.json"))
    for path in files:
        event = json.loads(path.read_text())
        out.append({"source": str(path.relative_to(root)), "notes": [], "event": event})
    return out


# --------------------------------------------------------------------------------------------
# sentry-python
# --------------------------------------------------------------------------------------------


def py_literals(path):
    return ast.parse(Path(path).read_text())


def py_test(tree, name):
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


def literal_assigned(fn, target):
    """The literal assigned to `target` (e.g. `ev["request"]`) in a test function."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == ast.unparse(ast.parse(target)):
            return ast.literal_eval(node.value)
    raise KeyError(target)


def local_string_vars(fn):
    """`name = "literal"` assignments of a test body: frame variables of the test's frame."""
    out = {}
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out[node.targets[0].id] = node.value.value
    return out


def frame_event(variables):
    return {
        "exception": {
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "value": "division by zero",
                    "stacktrace": {"frames": [{"function": "test", "filename": "test.py", "vars": variables}]},
                }
            ]
        }
    }


def extra_kwargs(call):
    """The literal `extra=dict(...)` of a logging call."""
    for kw in call.keywords:
        if kw.arg == "extra":
            return {k.arg: ast.literal_eval(k.value) for k in kw.value.keywords}
    return None


def sentry_python_tests(root):
    out = []
    src = f"tests/test_scrubber.py"
    tree = py_literals(root / src)
    for name in (
        "test_request_scrubbing",
        "test_request_scrubbing_list_body",
        "test_recursive_request_scrubbing_list_body",
        "test_ip_address_not_scrubbed_when_pii_enabled",
    ):
        request = literal_assigned(py_test(tree, name), 'ev["request"]')
        out.append({"source": f"{src}::{name}", "notes": [], "event": {"request": request}})
    for name in ("test_user_ip_address_removed_when_pii_disabled",):
        user = literal_assigned(py_test(tree, name), 'ev["user"]')
        out.append({"source": f"{src}::{name}", "notes": [], "event": {"user": user}})
    for name in ("test_stack_var_scrubbing", "test_custom_denylist", "test_scrubbing_doesnt_affect_local_vars"):
        out.append({"source": f"{src}::{name}", "notes": ["the test's local variables as frame variables"], "event": frame_event(local_string_vars(py_test(tree, name)))})
    crumbs = []
    extra = {}
    for node in ast.walk(py_test(tree, "test_breadcrumb_extra_scrubbing")):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("info", "critical"):
            message = node.args[0].value
            data = extra_kwargs(node)
            if node.func.attr == "critical":
                extra = data
                crumbs_event_message = message
            else:
                crumbs.append({"message": message, "category": "test_scrubber", "data": data})
    out.append({"source": f"{src}::test_breadcrumb_extra_scrubbing", "notes": ["log records as breadcrumbs, the last one as the event"], "event": {"message": crumbs_event_message, "extra": extra, "breadcrumbs": {"values": crumbs}}})
    span_data = {}
    for node in ast.walk(py_test(tree, "test_span_data_scrubbing")):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "set_data":
            span_data[node.args[0].value] = node.args[1].value
    out.append({"source": f"{src}::test_span_data_scrubbing", "notes": [], "event": {"type": "transaction", "transaction": "hi", "spans": [{"op": "foo", "description": "bar", "data": span_data}]}})
    for name, target in (("test_recursive_event_scrubber", "complex_structure"), ("test_recursive_scrubber_does_not_override_original", "data")):
        value = literal_assigned(py_test(tree, name), target)
        out.append({"source": f"{src}::{name}", "notes": [], "event": {"extra": value}})
        out.append({"source": f"{src}::{name}", "notes": ["the structure as a frame variable"], "event": frame_event({target: value})})

    # sanitize_url cases: URLs with credentials and query strings, where SDKs put URLs.
    src = "tests/test_utils.py"
    tree = py_literals(root / src)
    urls = []
    for name in ("test_sanitize_url", "test_parse_url"):
        fn = py_test(tree, name)
        for dec in fn.decorator_list:
            cases = ast.literal_eval(dec.args[1])
            urls.extend(case[0] for case in cases)
    urls = list(dict.fromkeys(urls))
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        request = {"url": url if parts.scheme in ("http", "https") else "https://example.com/" + url.lstrip("/"), "method": "GET"}
        if parts.query:
            request["query_string"] = parts.query
        out.append({
            "source": f"{src}::test_sanitize_url",
            "notes": ["the URL as request URL, breadcrumb URL and span URL"],
            "event": {
                "request": request,
                "breadcrumbs": {"values": [{"type": "http", "category": "httplib", "data": {"url": url, "method": "GET", "http.query": parts.query, "http.fragment": parts.fragment}}]},
                "extra": {"url": url},
            },
        })
        out.append({
            "source": f"{src}::test_sanitize_url",
            "notes": ["the URL as the data of an http.client span"],
            "event": {"type": "transaction", "transaction": "GET /", "spans": [{"op": "http.client", "description": f"GET {url}", "data": {"url": url, "http.method": "GET", "http.query": parts.query, "http.fragment": parts.fragment}}]},
        })

    # Django cookies.
    src = "tests/integrations/django/test_data_scrubbing.py"
    tree = py_literals(root / src)
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_scrub_django")):
        cookies = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "werkzeug_set_cookie":
                cookies[node.args[2].value] = node.args[3].value
        if cookies:
            out.append({
                "source": f"{src}::{fn.name}",
                "notes": [],
                "event": {"request": {"url": "http://localhost/view-exc", "method": "GET", "cookies": cookies, "headers": {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}}},
            })

    # WSGI: headers, query strings, environment.
    src = "tests/integrations/wsgi/test_wsgi.py"
    text = (root / src).read_text()
    tree = ast.parse(text)
    dicts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            try:
                value = ast.literal_eval(node)
            except ValueError:
                continue
            if value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                dicts.append(value)
    env = {}
    headers = {}
    for d in dicts:
        for k, v in d.items():
            if k.isupper() or k.startswith("wsgi."):
                env[k] = v
            else:
                headers[k] = v
    queries = sorted(set(re.findall(r'"((?:\w+=[\w%]+&?){2,})"', text)))
    out.append({"source": f"{src}", "notes": ["the environ and header literals of the tests, as one request"], "event": {"request": {"url": "http://localhost/dogs/are/great", "method": "GET", "env": env, "headers": headers}}})
    for q in queries:
        out.append({"source": f"{src}::test_request_query_string_data_collection", "notes": [], "event": {"request": {"url": "http://localhost/dogs/are/great?" + q, "method": "GET", "query_string": q}}})
    return out


# --------------------------------------------------------------------------------------------
# Adapting events to the Rust SDK's protocol types
# --------------------------------------------------------------------------------------------


def pairs(value):
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [tuple(p) for p in value if isinstance(p, list) and len(p) == 2]
    return None


def text(v):
    return v if isinstance(v, str) else json.dumps(v)


TRACE_ID = "4c79f60c11214eb38604f4ae0781bfb2"


def adapt(entry):
    event = entry["event"]
    notes = entry["notes"]

    def note(n):
        if n not in notes:
            notes.append(n)

    for key in ("_meta", "debug_meta", "sdk", "project", "repos", "time_spent", "trimHeadFrames", "key_id", "version"):
        if key in event:
            del event[key]
            note(f"`{key}` dropped (not in the Rust SDK's event type)")
    if "csp" in event:
        event.setdefault("extra", {})["csp"] = event.pop("csp")
        note("`csp` moved under extra")
    if "logentry" in event:
        entry_ = event.pop("logentry")
        message = entry_.get("formatted") or entry_.get("message")
        if isinstance(message, str):
            event["message"] = message
        note("logentry.formatted sent as message")
    for key in ("breadcrumbs", "exception", "threads"):
        if isinstance(event.get(key), list):
            event[key] = {"values": event[key]}
        elif isinstance(event.get(key), dict) and "values" not in event[key]:
            event[key] = {"values": [event[key]]}
    if isinstance(event.get("level"), int):
        event["level"] = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "fatal"}[event["level"]]
        note("a numeric level as its name")
    for exc in (event.get("exception") or {}).get("values", []):
        if "type" not in exc:
            exc["type"] = "Error"
            note("exception.type added (the Rust type requires it)")
        mechanism = exc.get("mechanism")
        if isinstance(mechanism, dict) and "type" not in mechanism:
            mechanism["type"] = "generic"
            note("exception.mechanism.type added (the Rust type requires it)")
    known = ("device", "os", "runtime", "app", "browser", "trace", "gpu", "otel", "response", "unknown")
    for ctx in (event.get("contexts") or {}).values():
        if isinstance(ctx, dict) and ctx.get("type") not in (None,) + known:
            ctx["type"] = "unknown"
            note("a context of a type the Rust SDK does not know sent as `unknown`")
    if isinstance(event.get("extra"), str):
        event["extra"] = {"extra": event["extra"]}
        note("a string `extra` sent as extra.extra")
    if isinstance(event.get("tags"), list):
        event["tags"] = {k: text(v) for k, v in pairs(event["tags"])}
    if isinstance(event.get("tags"), dict):
        event["tags"] = {k: text(v) for k, v in event["tags"].items() if v is not None}
    if "fingerprint" in event:
        event["fingerprint"] = [text(f) for f in event["fingerprint"]]
    if isinstance(event.get("message"), dict):
        event["message"] = event["message"].get("formatted") or event["message"].get("message")
    if "timestamp" in event and not isinstance(event["timestamp"], (int, float)):
        del event["timestamp"]
    user = event.get("user")
    if isinstance(user, dict):
        for k in ("id", "username"):
            if k in user and not isinstance(user[k], str):
                user[k] = text(user[k])
        ip = user.get("ip_address")
        if ip is not None and not re.fullmatch(r"[0-9a-fA-F.:]+|\{\{auto\}\}", str(ip)):
            del user["ip_address"]
            note("an invalid user.ip_address dropped (the Rust type is an IP address)")
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies",):
            p = pairs(request.get(key))
            if p is not None:
                request[key] = "; ".join(f"{k}={text(v)}" for k, v in p)
                note("cookies as a `Cookie` string")
        q = request.get("query_string")
        if q is not None and not isinstance(q, str):
            request["query_string"] = urllib.parse.urlencode([(k, text(v)) for k, v in pairs(q)])
            note("query string as a string")
        if "data" in request and not isinstance(request["data"], str):
            request["data"] = json.dumps(request["data"])
            note("request body as JSON text")
        for key in ("headers", "env"):
            p = pairs(request.get(key))
            if p is not None:
                request[key] = {k: text(v) for k, v in p if v is not None}
        url = request.get("url")
        if isinstance(url, str) and "://" not in url:
            host = (request.get("headers") or {}).get("Host", "example.com")
            request["url"] = f"http://{host}{url}"
            note("a relative request URL made absolute (the Rust type is a URL)")
        for key in ("api_target", "inferred_content_type", "fragment"):
            if key in request:
                del request[key]
                note(f"request.{key} dropped")
    for ctx_name, ctx in list(event.get("contexts", {}).items()):
        if not isinstance(ctx, dict):
            event["contexts"][ctx_name] = {"value": ctx}
    gpu = event.get("contexts", {}).get("gpu")
    if isinstance(gpu, dict) and "name" not in gpu:
        gpu["name"] = "GPU"
        note("contexts.gpu.name added (the Rust type requires it)")
    if isinstance(gpu, dict):
        for k in ("id", "vendor_id"):
            if isinstance(gpu.get(k), int):
                gpu[k] = str(gpu[k])
        if "npot_support" in gpu and not isinstance(gpu["npot_support"], bool):
            del gpu["npot_support"]
            note("contexts.gpu.npot_support dropped (a boolean in the Rust type)")
    response = event.get("contexts", {}).get("response")
    if isinstance(response, dict):
        p = pairs(response.get("cookies"))
        if p is not None:
            response["cookies"] = "; ".join(f"{k}={text(v)}" for k, v in p)
            note("response cookies as a `Set-Cookie`-like string")
        p = pairs(response.get("headers"))
        if p is not None:
            response["headers"] = {k: text(v) for k, v in p if v is not None}
    trace = event.get("contexts", {}).get("trace")
    if isinstance(trace, dict):
        trace.setdefault("trace_id", TRACE_ID)
        trace.setdefault("span_id", "fa90fdead5f74052")
    if "spans" in event and event.get("type") != "transaction":
        event["type"] = "transaction"
        event.setdefault("transaction", "corpus")
        note("an event with spans sent as a transaction")
    if event.get("type") == "transaction":
        event.setdefault("start_timestamp", "2023-11-14T22:13:20Z")
        event.setdefault("timestamp", "2023-11-14T22:13:21Z")
        event.setdefault("contexts", {}).setdefault("trace", {"trace_id": TRACE_ID, "span_id": "fa90fdead5f74052", "op": "corpus"})
        for i, span in enumerate(event["spans"]):
            span.setdefault("span_id", f"{0xaaaaaaaa00000000 + i:016x}")
            span.setdefault("trace_id", TRACE_ID)
            span.setdefault("parent_span_id", "fa90fdead5f74052")
            span.setdefault("start_timestamp", "2023-11-14T22:13:20Z")
            span.setdefault("timestamp", "2023-11-14T22:13:20.500Z")
            if "sentry_tags" in span:
                del span["sentry_tags"]
                note("span sentry_tags dropped (set by Relay, not by SDKs)")
            for k in ("exclusive_time",):
                span.pop(k, None)
    return entry


def main():
    relay_root = Path(sys.argv[1])
    python_root = Path(sys.argv[2])
    relay = (
        relay_pii_tests(relay_root)
        + relay_rule_samples(relay_root)
        + relay_server_tests(relay_root)
        + relay_payloads(relay_root)
    )
    python = sentry_python_tests(python_root)
    for name, entries in (("relay.json", relay), ("sentry_python.json", python)):
        entries = [adapt(e) for e in entries]
        (HERE / name).write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
        print(f"{name}: {len(entries)} events", file=sys.stderr)


if __name__ == "__main__":
    main()
