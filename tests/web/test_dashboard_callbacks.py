"""Every dashboard page callback goes through ``access.page_callback`` (issue 11).

The decorator is what checks the role and turns the picker's semester id into a semester the
user may see; these tests find every registered callback of the app, so a new one that skips
the decorator, or a role table that lets the wrong people in, fails here.
"""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.exceptions import Forbidden

from dashboard.access import PAGE_ROLES, SEMESTER_PICKER
from data.models import Role, Semester, Team
from tests.dash_helpers import logged_in

pytestmark = pytest.mark.db

SHELL = {"sync_semester", "toggle_nav"}  # the shell's own: no page, no page role


def page_callbacks(app) -> list[tuple[str, object, int]]:
    """(output key, registered function, number of arguments) of every server callback."""
    found = []
    for key, entry in app.extensions["dash"].callback_map.items():
        registered = entry.get("callback")
        if registered is None:  # a clientside callback runs no Python
            continue
        function = getattr(registered, "__wrapped__", registered)
        if function.__name__ in SHELL:
            continue
        found.append((key, function, len(entry["inputs"]) + len(entry["state"])))
    return found


def test_every_page_callback_is_registered_through_page_callback(app):
    callbacks = page_callbacks(app)
    assert len(callbacks) >= 19
    for key, function, _ in callbacks:
        slug = getattr(function, "page_slug", None)
        assert slug in PAGE_ROLES, f"{key}: {function.__name__} skips access.page_callback"
        # Its outputs belong to its own page, so the role checked is the page's role.
        assert all(part.lstrip(".").startswith(slug) for part in key.split("...") if part), key


def test_a_callback_reads_the_semester_picker(app):
    for key, entry in app.extensions["dash"].callback_map.items():
        function = getattr(entry.get("callback"), "__wrapped__", None)
        if getattr(function, "page_slug", None):
            ids = [d["id"] for d in entry["inputs"] + entry["state"]]
            assert SEMESTER_PICKER in ids, key


@pytest.mark.parametrize(
    "role", [Role.counselor, Role.leader, Role.leadership, Role.assistant], ids=str
)
def test_roles_are_refused_exactly_where_the_page_table_says(app, team, role):
    username = {
        Role.counselor: team.counselor,
        Role.leader: team.leader,
        Role.leadership: team.leadership,
        Role.assistant: team.assistants[0],
    }[role]
    with logged_in(app, username):
        for _key, function, arity in page_callbacks(app):
            if role in PAGE_ROLES[function.page_slug]:
                function(*[None] * arity)  # no semester chosen: the empty state, no error
            else:
                with pytest.raises(Forbidden):
                    function(*[None] * arity)


def test_another_teams_semester_answers_like_no_semester(app, db, team):
    with db.session() as s:
        other = Team(name="化学学院助管团", college="化学学院")
        semester = Semester(
            team=other, name="2026秋", start=date(2026, 9, 7), end=date(2027, 1, 15)
        )
        s.add_all([other, semester])
        s.flush()
        foreign = semester.id
    with logged_in(app, team.counselor):
        for key, function, arity in page_callbacks(app):
            index = _semester_position(app, key)
            args = [None] * arity
            empty = function(*args)
            args[index] = foreign
            assert function(*args) is empty, key


def _semester_position(app, key: str) -> int:
    entry = app.extensions["dash"].callback_map[key]
    ids = [d["id"] for d in entry["inputs"] + entry["state"]]
    return ids.index(SEMESTER_PICKER)
