"""Route fuzzing (issue 13, point 7): every Flask rule of the URL map gets hostile path values,
query parameters and form fields. No answer may be a 5xx, a refused POST writes nothing, the
session cookie stays a cookie, and nothing hostile (control characters, NUL, huge text) is
stored.

One app on a copy of the demo team serves the module. The field names come from the pages
themselves: a crawl of every GET page as the 兼辅, the 团长, an assistant and an anonymous
visitor records each form's fields (and the values it offers) and each link's query keys, so
routes and fields added later are fuzzed without new code here.
"""

from __future__ import annotations

import os
import shutil
from io import BytesIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.demo import (
    ASSISTANT_PASSWORD,
    COUNSELOR_PASSWORD,
    COUNSELOR_USERNAME,
    LEADER_USERNAME,
    TYPICAL_USERNAME,
)
from data.models import User
from tests.conftest import DEMO_NOW, TEST_DATABASE_URL, csrf_token
from tests.run_summary import counting_responses
from tests.web.fuzz_support import (
    Crawler,
    Fingerprint,
    Target,
    fields_strategy,
    fuzzed_rule,
    path_strategy,
    sweep,
)

LOGINS = {
    "counselor": (COUNSELOR_USERNAME, COUNSELOR_PASSWORD),
    "leader": (LEADER_USERNAME, ASSISTANT_PASSWORD),
    "assistant": (TYPICAL_USERNAME, ASSISTANT_PASSWORD),
}
SKIP = {
    # Ends the fuzzing client's own session; logout is tested in test_auth.
    ("checkin.logout", "POST"): "ends the session",
}
COOKIE_MAX = 4000  # browsers drop cookies over 4 KB: a long field must not be echoed into one
DANGER = '<div class="alert alert-danger py-2" role="alert">'
# Random examples per route, after the fixed sweep. By default the same ones every run (CI must
# not fail by chance); FUZZ_EXAMPLES=200 explores with fresh random examples instead.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ


def _targets() -> list[tuple[str, str]]:
    """(endpoint, method) of every fuzzed rule, read from the app's URL map."""
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    found = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if fuzzed_rule(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }
    app.extensions["zhuguantong.db"].dispose()
    return sorted(found - set(SKIP))


class Fuzz:
    """The module's app, one logged-in client per role, and what the crawl learnt."""

    def __init__(self, app, path: str) -> None:
        self.app = app
        self.fingerprint = Fingerprint(path)
        self.clients = {"anonymous": app.test_client()}
        for role, (username, password) in LOGINS.items():
            self.clients[role] = self.login(username, password)
        self.tokens = {role: self.token(role) for role in self.clients}
        self.identities = {role: self.identity(role) for role in LOGINS}
        with app.app_context():
            from web import get_session

            ids = {
                str(user.id)
                for user in get_session()
                .query(User)
                .filter(User.username.in_([u for u, _ in LOGINS.values()]))
            }
        plausible = {
            "date": DEMO_NOW.date().isoformat(),
            "time": "08:00",
            "number": "1",
            "text": "测试内容，一二三四五六",
        }
        self.crawler = Crawler(app, protected_ids=ids, plausible=plausible)
        starts = ["/", self.door_url()] + [
            rule.rule
            for rule in app.url_map.iter_rules()
            if fuzzed_rule(rule) and not rule.arguments and "GET" in rule.methods
        ]
        for role, client in self.clients.items():
            self.crawler.crawl(client, role, starts)

    def door_url(self) -> str:
        """The first place's poster link: the crawl cannot read it from the QR image."""
        from checkin.door.tokens import make_poster_token
        from data.models import Place

        with self.app.app_context():
            from web import get_session

            place = get_session().query(Place).order_by(Place.id).first()
            token = make_poster_token(self.app.secret_key, place.id, place.poster_version)
        return f"/checkin/door?t={token}"

    def login(self, username: str, password: str):
        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        data = {"username": username, "password": password, "csrf_token": csrf_token(page)}
        response = client.post("/login", data=data)
        assert response.status_code == 302, f"cannot log in as {username}"
        return client

    def token(self, role: str) -> str:
        """A valid CSRF token of the role's session, sent with every POST: CSRF is tested
        elsewhere (switched off, forms would lose their csrf_token field: not how the app runs)."""
        page = "/login" if role == "anonymous" else "/account/password"
        return csrf_token(self.clients[role].get(page).get_data(as_text=True))

    def identity(self, role: str) -> tuple:
        """Who the role's session is and its CSRF secret: both stay put unless a request
        ended or replaced the session."""
        with self.clients[role].session_transaction() as session:
            return session.get("_user_id"), session.get("csrf_token")

    def lost_sessions(self) -> list[str]:
        """Roles whose session a fuzzed request ended (logged in again, for the next routes)."""
        lost = [role for role in LOGINS if self.identity(role) != self.identities[role]]
        for role in lost:
            self.clients[role] = self.login(*LOGINS[role])
            self.tokens[role] = self.token(role)
            self.identities[role] = self.identity(role)
        return lost

    def target(self, endpoint: str, method: str) -> Target:
        target = self.crawler.targets.get((endpoint, method))
        if target is None or not target.roles:
            # Reached by no page: a route only another client calls; every role tries it.
            target = Target(roles=set(self.clients), fields=target.fields if target else {})
        return target


@pytest.fixture(scope="module")
def fuzz(_demo_template, tmp_path_factory):
    if _demo_template is None or TEST_DATABASE_URL:
        pytest.skip("fuzzed once, on SQLite (not again in the PostgreSQL pass)")
    from app import create_app

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(_demo_template, path)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "test-secret-key",
            "CLOCK": lambda: DEMO_NOW,
        }
    )
    state = Fuzz(app, str(path))
    with counting_responses("fuzz: Flask routes (URL map)"):
        yield state
    state.fingerprint.close()
    app.extensions["zhuguantong.db"].dispose()


def test_crawl_reaches_the_workbench(fuzz):
    """The crawl found the pages (else the fuzzing below would be blind) and none failed."""
    assert not fuzz.crawler.failures
    counselor = {e for (e, m), t in fuzz.crawler.targets.items() if "counselor" in t.roles}
    assert {"checkin.save_settings", "checkin.leave_approve", "checkin.roster_import"} <= counselor
    assert ("checkin.leave_create", "POST") in fuzz.crawler.targets


@pytest.mark.parametrize(
    "code",
    [
        "k.².1.1.x",
        "k.1.1.١٢.x",
        "k." + "9" * 5000 + ".1.1.x",
        "k.1." + "9" * 190 + ".1.x",
        "k.+1.1.1.x",
        "k.1.1.1." + "\x00" * 10,
    ],
)
def test_door_refuses_mangled_kiosk_codes(fuzz, code):
    """Kiosk codes live only in the QR image, out of the crawl's reach: their shape by hand."""
    for role in ("assistant", "anonymous"):
        _check(fuzz, role, "GET", "/checkin/door", [("t", code)])


def _flashes(client) -> list[tuple[str, str]]:
    """The flashed messages the request left in the session (taken out, so they never pile up)."""
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


def _send(client, method: str, path: str, pairs: list, token: str) -> object:
    if method == "GET":
        return client.get(path, query_string=[(k, v) for k, v in pairs if isinstance(v, str)])
    data: dict[str, list] = {"csrf_token": [token]}
    for name, value in pairs:
        if isinstance(value, tuple):
            value = (BytesIO(value[0]), value[1])
        data.setdefault(name, []).append(value)
    return client.open(path, method=method, data=data)


def _check(fuzz, role: str, method: str, path: str, pairs: list) -> None:
    """One request: no 5xx, a small session cookie, and nothing written when refused."""
    client = fuzz.clients[role]
    before = fuzz.fingerprint.take()
    response = _send(client, method, path, pairs, fuzz.tokens[role])
    flashes = _flashes(client)
    assert response.status_code < 500, f"{role} {method} {path[:200]} → {response.status_code}"
    cookie = client.get_cookie("session")
    assert cookie is None or len(cookie.value) < COOKIE_MAX, "flash echoed a long input"
    refused = (
        400 <= response.status_code < 500
        or any(category == "danger" for category, _ in flashes)
        or (response.mimetype == "text/html" and DANGER in response.get_data(as_text=True))
    )
    if method != "GET" and refused:
        assert fuzz.fingerprint.take() == before, f"{role} {method} {path[:200]} refused but wrote"


@pytest.mark.parametrize(("endpoint", "method"), _targets())
def test_route_survives_hostile_input(fuzz, endpoint, method):
    """The fixed sweep, then random examples; afterwards nothing hostile is stored."""
    target = fuzz.target(endpoint, method)
    rule = next(fuzz.app.url_map.iter_rules(endpoint))
    roles = sorted(target.roles)
    known = set(fuzz.fingerprint.hostile_rows())  # earlier routes' finds are theirs
    for i, (path, pairs) in enumerate(sweep(rule, target)):
        _check(fuzz, roles[i % len(roles)], method, path, pairs)

    @settings(
        max_examples=EXAMPLES,
        derandomize=DERANDOMIZE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run(data):
        role = data.draw(st.sampled_from(roles), label="role")
        path = data.draw(path_strategy(rule, target), label="path")
        _check(fuzz, role, method, path, data.draw(fields_strategy(target), label="fields"))

    run()
    stored = set(fuzz.fingerprint.hostile_rows()) - known
    assert not stored, f"{endpoint} stored hostile text: {sorted(stored)[:5]}"
    lost = fuzz.lost_sessions()
    assert not lost, f"{endpoint} ended the session of {lost}"
