"""The shape of a ``_dash-update-component`` request, checked before Dash reads it.

Dash trusts the body's structure: a missing key, a list where it expects an object or an
input it does not know raises deep inside Dash (a 500). The guard refuses such bodies with a
400 instead; the values inside a well-formed body are the callbacks' business (they parse
them with ``data.inputs``), except the ``dcc.Location`` values Dash's own page router reads.
"""

from __future__ import annotations

import json
from typing import Any

UPDATE_PATH = "/dashboard/_dash-update-component"
BAD_REQUEST = "请求格式不正确。"
# dcc.Location properties are text; Dash's page router calls string methods on them.
LOCATION_TEXT = frozenset({"pathname", "search", "hash", "href"})
# A pattern-matching id's wildcards, as Dash writes them in the dependency list.
WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])
ID_SCALARS = str | int | float | bool


def well_formed(body: Any, callback_map: dict[str, Any]) -> bool:
    """Whether ``body`` is what the renderer sends for one of the app's server callbacks."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    entry = callback_map.get(body["output"])
    if not isinstance(entry, dict) or entry.get("callback") is None:
        return False  # unknown, or clientside only: nothing to run on the server
    changed = body.get("changedPropIds", [])
    return (
        (entry.get("no_output") or _outputs_match(body.get("outputs"), body["output"]))
        and _values_match(body.get("inputs"), entry["inputs"])
        and _values_match(body.get("state", []), entry["state"])
        and isinstance(changed, list)
        and all(_is_changed_prop(p, entry["inputs"]) for p in changed)
    )


def clean_locations(body: dict[str, Any]) -> None:
    """Make every non-text ``dcc.Location`` value None, in place, before Dash reads it.

    Dash's router (not our code) reads ``pathname`` and ``search`` and fails on a list, a
    number or a path outside the dashboard; None is what it gets before the URL is known.
    """
    for item in _flat(body.get("inputs", [])) + _flat(body.get("state", [])):
        if item["property"] not in LOCATION_TEXT:
            continue
        value = item.get("value")
        outside = item["property"] == "pathname" and not _under_dashboard(value)
        if not isinstance(value, str) or outside:
            item["value"] = None


def _under_dashboard(value: Any) -> bool:
    return isinstance(value, str) and (value == "/dashboard" or value.startswith("/dashboard/"))


def _flat(items: list) -> list[dict]:
    """Dependency items, pattern-matching lists flattened (the shape is already checked)."""
    return [x for item in items for x in (item if isinstance(item, list) else [item])]


def _split_output(output: str) -> list[tuple[Any, str]]:
    """(id, property) of each output named by a callback's key, as Dash writes the key."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    split = [part.rsplit(".", 1) for part in parts if "." in part]
    return [(_parse_id(key), prop) for key, prop in split]


def _parse_id(key: str) -> Any:
    """A component id from ``id.property`` text: pattern-matching ids are JSON objects."""
    if not key.startswith("{"):
        return key
    try:
        value = json.loads(key)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _outputs_match(outputs: Any, output: str) -> bool:
    declared = _split_output(output)
    if not output.startswith(".."):
        outputs = [outputs]
    if not isinstance(outputs, list) or len(outputs) != len(declared):
        return False
    return all(
        _is_dependency(sent, {"id": key, "property": prop}, with_value=False)
        for sent, (key, prop) in zip(outputs, declared, strict=True)
    )


def _values_match(sent: Any, declared: list[dict[str, Any]]) -> bool:
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False
    return all(_is_dependency(s, d) for s, d in zip(sent, declared, strict=True))


def _is_dependency(sent: Any, declared: dict[str, Any], *, with_value: bool = True) -> bool:
    """One input, state or output of the request against its declaration.

    A pattern-matching declaration takes an object (MATCH) or a list of objects (ALL,
    ALLSMALLER); the ids in them must have the declared keys, wildcards any scalar.
    """
    key = declared["id"]
    items = sent if isinstance(key, dict) and isinstance(sent, list) else [sent]
    return all(
        isinstance(item, dict)
        and isinstance(item.get("property"), str)
        and _clean(item["property"]) == _clean(declared["property"])
        and _same_id(item.get("id"), key)
        for item in items
    )


def _same_id(sent: Any, declared: Any) -> bool:
    if isinstance(declared, str):
        return sent == declared
    if not isinstance(sent, dict) or set(sent) != set(declared):
        return False
    return all(
        isinstance(sent[k], ID_SCALARS) if v in WILDCARDS else sent[k] == v
        for k, v in declared.items()
    )


def _is_changed_prop(prop_id: Any, declared: list[dict[str, Any]]) -> bool:
    """A triggering ``id.property`` among the inputs (Dash parses pattern ids as JSON)."""
    if not isinstance(prop_id, str) or "." not in prop_id:
        return False
    key, prop = prop_id.rsplit(".", 1)
    sent = _parse_id(key)
    return any(_clean(prop) == _clean(d["property"]) and _same_id(sent, d["id"]) for d in declared)


def _clean(prop: str) -> str:
    """A property without Dash's ``@hash`` suffix (allow_duplicate outputs)."""
    return prop.split("@")[0]
