"""Building ``_dash-update-component`` bodies as the Dash renderer does, and hostile values.

Shared by the callback fuzz (``tests/web/test_fuzz_callbacks.py``) and the tests of what the
dashboard shows for wrong-typed inputs (``tests/web/test_dashboard_inputs.py``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dashboard.callback_request import UPDATE_PATH
from data.models import Role, User, WorkRecord
from tests.conftest import AuthActions

WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
NASTY = st.sampled_from(
    [
        None,
        "",
        " ",
        "²",
        "١٢",
        "9" * 5000,
        "\x00",
        "a\x00b\x07\x1b\x7f\x85",
        "\ud800",
        "x" * 100_000,
        "?semester=²",
        "?semester=" + "9" * 30,
        "?semester=1&semester=2",
        "/elsewhere",
        True,
        False,
        0,
        -1,
        2**31,
        2**63,
        10**30,
        -(10**30),
        1e308,
        -1e308,
        0.5,
        [],
        {},
        [[[]]],
        [None],
        {"rowId": ["1"]},
        {"rowId": "²"},
        {"rowId": "9" * 40},
        {"a": {"b": [1, "x"]}},
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def post(client, body: Any, raw: bool = False):
    """POST like the renderer; ``ensure_ascii`` lets lone surrogates travel as JSON escapes."""
    data = body if raw else json.dumps(body, ensure_ascii=True)
    return client.post(UPDATE_PATH, data=data, content_type="application/json")


def split_output(output: str) -> list[dict[str, Any]]:
    """The outputs named by a callback's key, as the renderer sends them."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    found = []
    for part in parts:
        key, prop = part.rsplit(".", 1)
        found.append({"id": json.loads(key) if key.startswith("{") else key, "property": prop})
    return found


def concrete(key: Any, index: int = 0) -> Any:
    """A real component id for a declared one: pattern wildcards get a number."""
    if not isinstance(key, dict):
        return key
    return {k: (index if v in WILDCARDS else v) for k, v in key.items()}


def item(declared: dict[str, Any], value: Any) -> Any:
    """One input or state of the body; an ALL/ALLSMALLER pattern sends a list of them."""
    key = declared["id"]
    one = {"id": concrete(key), "property": declared["property"], "value": value}
    if isinstance(key, dict) and any(v in (["ALL"], ["ALLSMALLER"]) for v in key.values()):
        return [one]
    return one


def prop_id(declared: dict[str, Any]) -> str:
    """``id.property`` as the renderer lists it in ``changedPropIds``."""
    key = concrete(declared["id"])
    text = json.dumps(key, sort_keys=True, separators=(",", ":")) if isinstance(key, dict) else key
    return f"{text}.{declared['property']}"


def body_for(dependency: dict[str, Any], values: list, changed: list[str]) -> dict[str, Any]:
    """The body the renderer sends for ``dependency`` with these input and state values."""
    outputs = [
        {"id": concrete(o["id"]), "property": o["property"]}
        for o in split_output(dependency["output"])
    ]
    inputs, state = dependency["inputs"], dependency["state"]
    body = {
        "output": dependency["output"],
        "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
        "inputs": [item(d, v) for d, v in zip(inputs, values[: len(inputs)], strict=True)],
        "changedPropIds": changed,
    }
    if state:
        body["state"] = [item(d, v) for d, v in zip(state, values[len(inputs) :], strict=True)]
    return body


def recent_body(search: Any, semester: Any) -> dict[str, Any]:
    """What the browser sends when the 工作记录 search changes."""
    return {
        "output": "worklog-recent.children",
        "outputs": {"id": "worklog-recent", "property": "children"},
        "inputs": [
            {"id": "worklog-search", "property": "value", "value": search},
            {"id": "shell-semester", "property": "value", "value": semester},
        ],
        "changedPropIds": ["worklog-search.value"],
    }


def text_of(response) -> str:
    """A callback's answer as text, Chinese kept readable."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def add_work_records(db) -> None:
    """Two work records of the small team, so the worklog search has something to find."""
    with db.session() as s:
        ids = s.scalars(select(User.id).where(User.role == Role.assistant)).all()
        s.add(WorkRecord(user_id=ids[0], duty_date=date(2026, 9, 9), content="整理档案"))
        s.add(WorkRecord(user_id=ids[1], duty_date=date(2026, 9, 10), content="接待来访"))


def client_for(app, username: str):
    """A test client logged in as ``username``, the dashboard opened once (Dash's router)."""
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    client.get("/dashboard/")  # Dash registers its page router on the first request
    return client
