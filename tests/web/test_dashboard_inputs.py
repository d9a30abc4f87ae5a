"""What the dashboard shows when a callback gets a value of the wrong type (issue 13).

The fuzz (``test_fuzz_callbacks.py``) proves nothing fails; these pin the answer: no
semester id → the page's empty state, a bad picker value → the current semester, a search
that is not text → every record, a click on no real row → nothing opens.
"""

from __future__ import annotations

import pytest

from tests.dash_bodies import add_work_records, client_for, post, recent_body, split_output, text_of


@pytest.fixture
def seeded(db, team):
    add_work_records(db)
    return team


@pytest.fixture
def counselor(app, seeded):
    return client_for(app, seeded.counselor)


def test_a_search_of_the_wrong_type_lists_every_record(counselor, seeded):
    for search in (["档案"], {"q": "档案"}, 5.5, True, None):
        response = post(counselor, recent_body(search, seeded.semester_id))
        assert response.status_code == 200
        assert "整理档案" in text_of(response) and "接待来访" in text_of(response)


def test_a_search_loses_its_control_characters_and_its_length(counselor, seeded):
    found = post(counselor, recent_body("\x00整\x07理\ud800", seeded.semester_id))
    assert "整理档案" in text_of(found) and "接待来访" not in text_of(found)
    missing = text_of(post(counselor, recent_body("无" * 100_000, seeded.semester_id)))
    assert "没有包含“" + "无" * 59 + "…”的记录。" in missing


@pytest.mark.parametrize("semester", [None, "", "²", "9" * 5000, 2**63, -1, 1.0, [1], {"id": 1}])
def test_a_page_given_no_semester_id_shows_its_empty_state(counselor, semester):
    body = {
        "output": "overview-body.children",
        "outputs": {"id": "overview-body", "property": "children"},
        "inputs": [{"id": "shell-semester", "property": "value", "value": semester}],
        "changedPropIds": ["shell-semester.value"],
    }
    response = post(counselor, body)
    assert response.status_code == 200
    assert "还没有学期数据" in text_of(response)


@pytest.mark.parametrize("search", [None, ["?semester=1"], {"semester": 1}, "?semester=²", 7])
@pytest.mark.parametrize("picked", [None, [1], "²", 10**30, True])
def test_the_semester_picker_falls_back_to_the_current_semester(counselor, seeded, search, picked):
    output = "..shell-semester.options...shell-semester.value...shell-url.search...shell-user.children...shell-nav.children.."
    body = {
        "output": output,
        "outputs": split_output(output),
        "inputs": [
            {"id": "shell-url", "property": "search", "value": search},
            {"id": "shell-semester", "property": "value", "value": picked},
            {"id": "shell-url", "property": "pathname", "value": "/dashboard/"},
        ],
        "changedPropIds": ["shell-semester.value"],
    }
    answer = post(counselor, body).get_json()["response"]
    assert answer["shell-semester"]["value"] == seeded.semester_id
    assert answer["shell-url"]["search"] == f"?semester={seeded.semester_id}"


@pytest.mark.parametrize("clicked", [None, "²", [1], {"rowId": ["1"]}, {"rowId": "9" * 40}, {}])
def test_a_click_on_no_real_row_opens_nothing(counselor, seeded, clicked):
    body = {
        "output": "..warnings-modal.is_open...warnings-modal-title.children...warnings-modal-body.children..",
        "outputs": [
            {"id": "warnings-modal", "property": "is_open"},
            {"id": "warnings-modal-title", "property": "children"},
            {"id": "warnings-modal-body", "property": "children"},
        ],
        "inputs": [{"id": "warnings-grid", "property": "cellClicked", "value": clicked}],
        "state": [{"id": "shell-semester", "property": "value", "value": seeded.semester_id}],
        "changedPropIds": ["warnings-grid.cellClicked"],
    }
    response = post(counselor, body)
    assert response.status_code in (200, 204)  # nothing to update: the modal stays shut
    assert response.status_code == 204 or response.get_json()["response"] == {}


@pytest.mark.parametrize("pathname", [["/dashboard/"], 5, "/elsewhere", "\x00", None])
def test_dash_page_router_answers_a_strange_path_with_its_not_found_page(counselor, pathname):
    output = ".._pages_content.children..._pages_store.data.."
    body = {
        "output": output,
        "outputs": split_output(output),
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": ["?a=1"]},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    response = post(counselor, body)
    assert response.status_code == 200
    assert "404" in text_of(response)


def test_the_nav_toggler_given_garbage_stays_a_boolean(counselor):
    body = {
        "output": "shell-collapse.is_open",
        "outputs": {"id": "shell-collapse", "property": "is_open"},
        "inputs": [{"id": "shell-toggler", "property": "n_clicks", "value": "²"}],
        "state": [{"id": "shell-collapse", "property": "is_open", "value": [1]}],
        "changedPropIds": ["shell-toggler.n_clicks"],
    }
    assert post(counselor, body).get_json()["response"]["shell-collapse"]["is_open"] is False


@pytest.mark.parametrize(
    "query", ["semester=²", "semester=" + "9" * 5000, f"semester={2**63}", "semester=-1", ""]
)
def test_the_semester_workbook_of_no_real_semester_is_a_404(counselor, query):
    response = counselor.get(f"/dashboard/report.xlsx?{query}")
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["nope/x.js", "dash/%00.js", "dash/" + "x" * 5000 + ".js"])
def test_a_component_file_dash_does_not_serve_is_a_404(counselor, path):
    response = counselor.get(f"/dashboard/_dash-component-suites/{path}")
    assert response.status_code == 404
    assert response.get_json() == {"error": "文件不存在。"}
