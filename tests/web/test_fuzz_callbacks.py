"""Every Dash callback survives any input (issue 13): fuzzed through Dash's own endpoint.

The callbacks are read from ``/dashboard/_dash-dependencies``, as the browser does, so one
added later is fuzzed without new code. Bodies have the renderer's shape; hypothesis fills
the values (None, "", "²", long digit strings, NUL and controls, 100,000 characters, huge
and negative numbers, lists, dicts, booleans, lone surrogates) and also breaks the shape.
A well-formed body answers 200 or 204 (403 where the role may not see the page); a body
that is not a Dash request answers 400 with JSON; nothing answers 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dashboard.access import PAGE_ROLES
from dashboard.callback_request import BAD_REQUEST, UPDATE_PATH, well_formed
from data.models import Role, User
from tests.dash_bodies import (
    FUZZ,
    JSON_VALUES,
    NASTY,
    add_work_records,
    body_for,
    client_for,
    post,
    prop_id,
    recent_body,
    split_output,
)
from tests.run_summary import counting_responses
from web import get_session


@pytest.fixture(scope="module", autouse=True)
def _count_responses():
    with counting_responses("fuzz: Dash callbacks (_dash-dependencies)"):
        yield


@pytest.fixture
def seeded(db, team):
    add_work_records(db)
    return team


@pytest.fixture
def counselor(app, seeded):
    return client_for(app, seeded.counselor)


def server_callbacks(app, client) -> list[dict[str, Any]]:
    """Every callback the browser may call on the server, from the dependency list it loads."""
    dependencies = client.get("/dashboard/_dash-dependencies").get_json()
    found = [d for d in dependencies if d["clientside_function"] is None]
    assert len(found) >= 20
    assert set(d["output"] for d in found) <= set(app.extensions["dash"].callback_map)
    return found


def page_slug(app, output: str) -> str | None:
    """The page whose roles the callback checks (None: the shell and Dash's router)."""
    registered = app.extensions["dash"].callback_map[output]["callback"]
    return getattr(getattr(registered, "__wrapped__", registered), "page_slug", None)


def plausible(app, team) -> st.SearchStrategy:
    """Values the browser really sends, so the nasty ones are also met alongside a real semester."""
    with app.app_context():
        users = get_session().scalars(select(User.id)).all()
    semester = team.semester_id
    return st.sampled_from(
        [
            semester,
            str(semester),
            f"?semester={semester}",
            "/dashboard/",
            "/dashboard/worklog",
            "/dashboard/nowhere",
            1,
            "档案",
            {"rowId": str(users[-1])},
            {"rowId": users[-1], "colId": "姓名"},
        ]
    )


def fuzz(client, dependency: dict[str, Any], expect: set[int], values, examples: int) -> None:
    declared = dependency["inputs"] + dependency["state"]
    input_ids = [prop_id(d) for d in dependency["inputs"]]

    @settings(FUZZ, max_examples=examples)
    @given(
        values=st.lists(values, min_size=len(declared), max_size=len(declared)),
        changed=st.lists(st.sampled_from(input_ids), min_size=1, unique=True),
    )
    def run(values, changed):
        response = post(client, body_for(dependency, values, changed))
        assert response.status_code in expect, (dependency["output"], response.status_code)
        if response.status_code == 200:
            # What comes back updates the callback's own outputs and nothing else.
            answer = response.get_json()["response"]
            declared_ids = {json.dumps(o["id"]) for o in split_output(dependency["output"])}
            assert {json.dumps(k) for k in answer} <= declared_ids

    run()


@pytest.mark.parametrize(
    ("role", "examples"), [(Role.counselor, 40), (Role.leader, 15), (Role.leadership, 15)], ids=str
)
def test_every_callback_answers_any_value_without_a_server_error(app, seeded, role, examples):
    username = {
        Role.counselor: seeded.counselor,
        Role.leader: seeded.leader,
        Role.leadership: seeded.leadership,
    }[role]
    client = client_for(app, username)
    values = NASTY | JSON_VALUES | plausible(app, seeded)
    for dependency in server_callbacks(app, client):
        slug = page_slug(app, dependency["output"])
        allowed = slug is None or role in PAGE_ROLES[slug]
        fuzz(client, dependency, {200, 204} if allowed else {403}, values, examples)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: "{not json",
        lambda b: "[]",
        lambda b: '"worklog-recent.children"',
        lambda b: "null",
        lambda b: "{}",
        lambda b: "[" * 100_000 + "]" * 100_000,
        lambda b: {**b, "output": 5},
        lambda b: {**b, "output": ["worklog-recent.children"]},
        lambda b: {**b, "output": "nowhere.children"},
        lambda b: {**b, "output": "meeting-mode-print.title"},  # clientside: no server code
        lambda b: {k: v for k, v in b.items() if k != "output"},
        lambda b: {k: v for k, v in b.items() if k != "outputs"},
        lambda b: {k: v for k, v in b.items() if k != "inputs"},
        lambda b: {**b, "inputs": "worklog-search"},
        lambda b: {**b, "inputs": {"0": b["inputs"][0]}},
        lambda b: {**b, "inputs": b["inputs"][:1]},
        lambda b: {**b, "inputs": [*b["inputs"], b["inputs"][0]]},
        lambda b: {**b, "inputs": [1, 2]},
        lambda b: {**b, "inputs": [{"id": "x", "property": "value", "value": 1}, b["inputs"][1]]},
        lambda b: {**b, "inputs": [{"value": "档案"}, b["inputs"][1]]},
        lambda b: {**b, "outputs": [b["outputs"]]},
        lambda b: {**b, "outputs": {"id": "worklog-body", "property": "children"}},
        lambda b: {**b, "outputs": "worklog-recent.children"},
        lambda b: {**b, "state": [{"id": "shell-semester", "property": "value"}]},
        lambda b: {**b, "state": {}},
        lambda b: {**b, "changedPropIds": "worklog-search.value"},
        lambda b: {**b, "changedPropIds": [5]},
        lambda b: {**b, "changedPropIds": ["{bad json.value"]},
        lambda b: {**b, "changedPropIds": ["worklog-body.children"]},
    ],
)
def test_a_body_that_is_not_a_dash_request_is_a_400_in_json(counselor, seeded, mangle):
    body = mangle(recent_body("档案", seeded.semester_id))
    response = post(counselor, body, raw=isinstance(body, str))
    assert response.status_code == 400
    assert response.get_json() == {"error": BAD_REQUEST}


def test_a_body_without_the_json_content_type_is_a_400(counselor, seeded):
    body = json.dumps(recent_body("档案", seeded.semester_id))
    response = counselor.post(UPDATE_PATH, data=body, content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json() == {"error": BAD_REQUEST}


@settings(FUZZ, max_examples=60)
@given(
    key=st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds"]),
    value=NASTY | JSON_VALUES,
    whole=st.booleans(),
)
def test_any_mangled_body_is_refused_or_answered_never_a_server_error(
    counselor, seeded, key, value, whole
):
    body = value if whole else {**recent_body("档案", seeded.semester_id), key: value}
    response = post(counselor, body)
    assert response.status_code in (200, 204, 400)


def test_pattern_matching_ids_are_checked_by_their_keys():
    """No page uses them yet; a later one must not be refused (or let through) by mistake."""
    declared = {"type": "row", "index": ["ALL"]}
    output = json.dumps({"index": ["MATCH"], "type": "out"}, separators=(",", ":"))
    callback_map = {
        f"{output}.children": {
            "callback": object(),
            "inputs": [{"id": declared, "property": "value"}],
            "state": [],
        }
    }
    good = {
        "output": f"{output}.children",
        "outputs": {"id": {"index": 3, "type": "out"}, "property": "children"},
        "inputs": [[{"id": {"index": 1, "type": "row"}, "property": "value", "value": ["x"]}]],
        "changedPropIds": ['{"index":1,"type":"row"}.value'],
    }
    assert well_formed(good, callback_map)
    for key, bad in [
        ("inputs", [[{"id": {"index": 1, "type": "col"}, "property": "value"}]]),
        ("inputs", [[{"id": {"index": [1], "type": "row"}, "property": "value"}]]),
        ("inputs", [[{"id": {"type": "row"}, "property": "value"}]]),
        ("outputs", {"id": {"index": 3, "type": "in"}, "property": "children"}),
        ("changedPropIds", ['{"index":1,"type":"row".value']),
        ("changedPropIds", ['{"index":1,"type":"col"}.value']),
    ]:
        assert not well_formed({**good, key: bad}, callback_map), (key, bad)
