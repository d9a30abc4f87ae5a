"""What the route fuzz test needs besides hypothesis: a crawler that learns every page's forms
and links per role, hostile values, and a cheap database fingerprint for "nothing written".

Kept apart from the test so the test reads as the rule it checks.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Flask
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.routing.exceptions import RequestRedirect

# Names the views read that a page may not show as a form field (query parameters above all).
COMMON_FIELDS = ("semester", "user", "user_id", "id", "day", "date", "on", "from", "page", "q")
# Control characters a browser never sends but a hostile client can (NUL above all).
CONTROLS = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160)])
NUMBERS = ("0", "-1", "1", "²", "١٢", "9" * 5000, "9" * 400, "-" + "9" * 30, str(2**31), str(2**63))
FLOATS = ("1e309", "-1e309", "nan", "inf", "1.5", "0x10")
DATES = ("2026-11-24", "2026-02-30", "99999-01-01", "08:00", "25:61")
CONTROL_TEXTS = ("\x00", "a\x00b", "名字\x07\x1b[31m")
TEXTS = ("", " ", "x" * 100_000, "长" * 3000, "<b>x</b>", "../..", *CONTROL_TEXTS)
HOSTILE = NUMBERS + FLOATS + DATES + TEXTS
# The values that broke pages before: every field gets each of them once (see ``sweep``).
KILLERS = (
    "",
    "-1",
    "²",
    "9" * 5000,
    str(2**63),
    "1e309",
    "nan",
    "a\x00b\x1b\x85c",  # NUL and C0 controls
    "a\x9cb\x7fc",  # C1 and DEL only: a check for ord(ch) < 32 lets them through
    "x" * 100_000,
)
# Swapped into a real value's digits: "k.3.1.77.mac" → "k.².1.77.mac" (see ``mutations``).
DIGIT_KILLERS = ("²", "9" * 5000, str(2**63))
DIGITS = re.compile(r"[0-9]+")
PATH_INTS = ("0", str(2**31), str(2**63), "9" * 5000, "١٢")
PATH_TEXTS = ("x", "9" * 5000, "9" * 5000 + "-" + "0" * 32, "\x00", "名字", "a.b", "..", str(2**63))


def hostile_text() -> st.SearchStrategy[str]:
    """Short unicode text with control characters mixed in (no lone surrogates: not encodable)."""
    alphabet = st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(CONTROLS),
    )
    return st.text(alphabet, max_size=40)


def hostile_value(offered: list[str] | tuple = ()) -> st.SearchStrategy[str]:
    """A killer, a hostile value, hostile text, or one of ``offered`` with its digits swapped."""
    mutated = [m for value in offered for m in mutations(value)]
    options = [st.sampled_from(KILLERS), st.sampled_from(HOSTILE), hostile_text()]
    return st.one_of(*options, *([st.sampled_from(mutated)] if mutated else []))


def mutations(value: str) -> list[str]:
    """``value`` with its first run of digits replaced by each digit killer (none without)."""
    return [DIGITS.sub(k, value, count=1) for k in DIGIT_KILLERS] if DIGITS.search(value) else []


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, set[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class PageParser(HTMLParser):
    """Forms (with their field names and offered values) and link targets of one page; an
    empty date, time, number or text field is offered the ``plausible`` value of its type."""

    def __init__(self, plausible: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.plausible = plausible
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name, value = a.get("name", ""), a.get("value", "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "input" and value.startswith(("http://", "https://")):
            self.links.append(value)  # a link shown to copy (the kiosk's)
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select:
            self._form.fields[self._select].add(value)
        elif tag in ("input", "button") and name:
            kind = a.get("type", "text")
            if kind == "file":
                self._form.files.add(name)
            else:
                self._form.fields.setdefault(name, set()).add(value)
            if not value and kind in self.plausible:
                self._form.fields[name].add(self.plausible[kind])
        elif tag in ("select", "textarea") and name:
            self._form.fields.setdefault(
                name, {self.plausible["text"]} if tag == "textarea" else set()
            )
            if tag == "select":
                self._select = name
            else:
                self._textarea = name

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea].add(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def fuzzed_rule(rule: Rule) -> bool:
    """Every rule but static files and Dash's own routes (fuzzed with the callbacks)."""
    return not (rule.endpoint.startswith("/") or rule.endpoint.endswith("static"))


@dataclass
class Target:
    """What the crawl learnt about one (endpoint, method): who reached it, with what."""

    roles: set[str] = field(default_factory=set)
    fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files: set[str] = field(default_factory=set)
    path_args: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _filled(action: str, form: Form) -> list[str]:
    """A GET form's action with its fields filled in two ways: first and last offered value."""
    urls = []
    for pick in (0, -1):
        query = {
            name: sorted(v for v in values if v)[pick]
            for name, values in form.fields.items()
            if any(values)
        }
        urls.append(f"{action.split('?')[0]}?{urlencode(query)}" if query else action)
    return urls


class Crawler:
    """Visits every reachable GET page a few times per endpoint and role, recording targets."""

    PER_VARIANT = 2  # pages fetched per endpoint and set of query keys

    def __init__(self, app: Flask, protected_ids: set[str], plausible: dict[str, str]) -> None:
        self.app = app
        self.plausible = plausible
        self.adapter = app.url_map.bind("localhost")
        self.targets: dict[tuple[str, str], Target] = defaultdict(Target)
        self.protected_ids = protected_ids  # the fuzzing accounts: never deactivated or reset
        self.failures: list[str] = []
        self.found: list[str] = []  # every in-app URL seen, a start for the next role

    def resolve(self, url: str, method: str) -> tuple[str, dict] | None:
        path = urlsplit(url).path  # absolute links are PUBLIC_URL's: the same app
        if not path.startswith("/"):
            return None
        try:
            endpoint, args = self.adapter.match(path, method=method)
        except (HTTPException, RequestRedirect):
            return None
        rule = next(r for r in self.app.url_map.iter_rules(endpoint))
        return (endpoint, args) if fuzzed_rule(rule) else None

    def note(self, url: str, method: str, role: str, form: Form | None = None) -> None:
        """Record ``url`` (with ``form``'s fields) as reachable by ``role``."""
        found = self.resolve(url, method)
        if found is None:
            return
        endpoint, args = found
        target = self.targets[(endpoint, method)]
        target.roles.add(role)
        for name, value in args.items():
            if not (name == "user_id" and str(value) in self.protected_ids):
                target.path_args[name].add(str(value))
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            target.fields[name].add(value)
        if form is not None:
            for name, values in form.fields.items():
                if name != "csrf_token":  # sent valid with every POST, see the test
                    target.fields[name] |= values
            target.files |= form.files

    def crawl(self, client, role: str, start: list[str]) -> None:
        fetched: dict[tuple, int] = defaultdict(int)
        queue, visited = [*start, *self.found], set()
        while queue:
            url = queue.pop(0)
            parts = urlsplit(url)
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            endpoint = self.resolve(url, "GET")
            if endpoint is None or url in visited:
                continue
            variant = (endpoint[0], tuple(sorted(k for k, _ in parse_qsl(parts.query))))
            if fetched[variant] >= self.PER_VARIANT:
                continue
            visited.add(url)
            fetched[variant] += 1
            response = client.get(url)
            if response.status_code >= 500:
                self.failures.append(f"{role} GET {url} → {response.status_code}")
            if response.status_code >= 300 or response.mimetype != "text/html":
                continue
            self.note(url, "GET", role)
            self.found.append(url)
            parser = PageParser(self.plausible)
            parser.feed(response.get_data(as_text=True))
            queue.extend(parser.links)
            for form in parser.forms:
                action = form.action or url
                self.note(action, form.method, role, form)
                if form.method == "GET":
                    queue.extend(_filled(action, form))


RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def path_strategy(rule: Rule, target: Target) -> st.SearchStrategy[str]:
    """The rule's path with each argument a real value seen in the crawl or a hostile one."""
    parts = []
    for name in rule.arguments:
        hostile = PATH_INTS if isinstance(rule._converters[name], IntegerConverter) else PATH_TEXTS
        seen = sorted(target.path_args.get(name, ()))
        parts.append(
            st.sampled_from(seen) | st.sampled_from(hostile) if seen else st.sampled_from(hostile)
        )
    names = list(rule.arguments)

    def build(values: tuple[str, ...]) -> str:
        by_name = dict(zip(names, values, strict=True))
        return RULE_ARG.sub(lambda m: quote(by_name[m.group(1)], safe=""), rule.rule)

    return st.tuples(*parts).map(build)


@st.composite
def fields_strategy(draw, target: Target) -> list[tuple[str, object]]:
    """Form fields or query parameters: the page's own values with one or two hostile ones
    (to get past the first check), or everything hostile; a field may repeat (a list)."""
    own = sorted(target.fields)
    names = sorted(set(own) | set(COMMON_FIELDS))
    everything = draw(st.booleans())
    hostile = set(draw(st.lists(st.sampled_from(own or names), min_size=1, max_size=2)))
    pairs: list[tuple[str, object]] = []
    for name in names:
        offered = sorted(target.fields.get(name, ()))
        if everything or name in hostile:
            values = draw(st.lists(hostile_value(offered), min_size=1, max_size=3))
        elif offered:
            values = [draw(st.sampled_from(offered))]
        else:
            continue
        pairs.extend((name, value) for value in values)
    for name in sorted(target.files):
        pairs.append((name, draw(upload_strategy())))
    return pairs


def _real_path(rule: Rule, target: Target, i: int, fallback: str) -> str:
    """The rule's path with the i-th (cycling) real value the crawl saw for each argument."""
    args = {}
    for name in rule.arguments:
        seen = sorted(target.path_args.get(name, ()))
        args[name] = seen[i % len(seen)] if seen else fallback
    return RULE_ARG.sub(lambda m: quote(args[m.group(1)], safe=""), rule.rule)


def _field_groups(names: list[str]) -> list[str]:
    """One field per family ("status-12", "status-13" … are one): same code, same parser."""
    seen, chosen = set(), []
    for name in names:
        family = re.sub(r"[0-9]+$", "#", name)
        if family not in seen:
            seen.add(family)
            chosen.append(name)
    return chosen


def _upload(i: int) -> tuple[bytes, str]:
    cells = ",".join(k.replace(",", " ") for k in KILLERS[i:] + KILLERS[:i])
    return (f"学号,姓名,星期,开始,结束,时间,动作\n{cells}\n".encode(), "data.csv")


def sweep(rule: Rule, target: Target) -> list[tuple[str, list[tuple[str, object]]]]:
    """(path, fields) requests, the same every run: each of the page's own fields gets each
    killer value (and its own value with the digits swapped) once with every other field as
    the page offers it, so the first check passes and the field's own parser is reached; then
    a Latin square over all fields, the common names included: request i sets field j to
    KILLERS[(i + j) % len(KILLERS)]."""
    own = sorted(target.fields)
    valid = {name: sorted(v for v in target.fields[name] if v)[:1] for name in own}
    requests = []
    for name in _field_groups(own):
        for i, killer in enumerate(KILLERS + tuple(m for v in valid[name] for m in mutations(v))):
            pairs: list[tuple[str, object]] = [
                (other, value) for other in own if other != name for value in valid[other]
            ]
            pairs.append((name, killer))
            pairs.extend((f, _upload(i % len(KILLERS))) for f in sorted(target.files))
            requests.append((_real_path(rule, target, i, PATH_INTS[i % len(PATH_INTS)]), pairs))
    names = sorted(set(own) | set(COMMON_FIELDS))
    for i in range(len(KILLERS)):
        pairs = [(name, KILLERS[(i + j) % len(KILLERS)]) for j, name in enumerate(names)]
        pairs.extend((f, _upload(i)) for f in sorted(target.files))
        hostile = PATH_INTS[i // 2 % len(PATH_INTS)]
        # Odd rows put hostile numbers in the path even where the crawl saw real ones.
        path = _real_path(rule, target, i, hostile)
        if i % 2:
            path = RULE_ARG.sub(lambda m, h=hostile: quote(h, safe=""), rule.rule)
        requests.append((path, pairs))
    return requests


def upload_strategy() -> st.SearchStrategy[tuple[bytes, str]]:
    """A file input's content: empty, binary garbage, or a CSV whose cells are hostile."""
    csv = st.lists(hostile_value(), min_size=1, max_size=6).map(
        lambda cells: ("学号,姓名\n" + ",".join(c.replace(",", " ") for c in cells) + "\n").encode(
            "utf-8", "replace"
        )
    )
    content = st.one_of(st.just(b""), st.binary(max_size=200), csv)
    names = st.sampled_from(["data.csv", "data.xlsx", "x", "名单.CSV"])
    return st.tuples(content, names)


class Fingerprint:
    """Row counts and highest rowid of every table, read through a connection of its own."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        tables = [
            name
            for (name,) in self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        self.query = " UNION ALL ".join(
            f"SELECT '{t}', count(*), max(rowid) FROM \"{t}\"" for t in tables
        )
        self.text_columns = [
            (t, column)
            for t in tables
            for (_cid, column, kind, *_rest) in self.connection.execute(f'PRAGMA table_info("{t}")')
            if any(word in kind.upper() for word in ("CHAR", "TEXT", "JSON", "CLOB"))
        ]

    def take(self) -> tuple:
        return tuple(self.connection.execute(self.query))

    def hostile_rows(self, limit: int = 50_000) -> list[str]:
        """Stored text with control characters (raw or JSON-escaped) or longer than ``limit``
        (no field may keep the 100,000 characters it is sent)."""
        glob = f"*[{CONTROLS[1:]}]*"
        found = []
        for table, column in self.text_columns:
            rows = self.connection.execute(
                f'SELECT rowid, substr("{column}", 1, 60) FROM "{table}" WHERE '
                f'"{column}" GLOB ? OR instr(CAST("{column}" AS BLOB), x\'00\') > 0 '
                f"OR \"{column}\" LIKE '%\\u00%' AND (\"{column}\" LIKE '%\\u000%' "
                f"OR \"{column}\" LIKE '%\\u001%' OR \"{column}\" LIKE '%\\u007f%' "
                f"OR \"{column}\" LIKE '%\\u008%' OR \"{column}\" LIKE '%\\u009%') "
                f'OR length("{column}") > ?',
                (glob, limit),
            )
            found.extend(f"{table}.{column} #{rowid}: {text!r}" for rowid, text in rows)
        return found

    def close(self) -> None:
        self.connection.close()
