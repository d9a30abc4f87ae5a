"""Upload limits in the app: MAX_CONTENT_LENGTH answers a Chinese 413 (JSON for the dashboard's
calls), the row cap refuses a long roster with nothing written, and the CLI imports have no cap."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from data.importers import EVENT_COLUMNS, ROSTER_COLUMNS
from data.models import AuditLog, CheckEvent, User
from data.tabular import MAX_UPLOAD_ROWS
from tests.conftest import csrf_token


def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def counts(db) -> tuple[int, int]:
    with db.session() as s:
        return s.scalar(select(func.count(User.id))), s.scalar(select(func.count(AuditLog.id)))


def test_default_limit_is_8_mib(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 8 * 2**20


def test_limit_comes_from_max_upload_mb(monkeypatch, database_url):
    from app import create_app

    monkeypatch.setenv("MAX_UPLOAD_MB", "3")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k"})
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 2**20
    app.extensions["zhuguantong.db"].dispose()
    monkeypatch.setenv("MAX_UPLOAD_MB", "1e3")
    with pytest.raises(RuntimeError, match="MAX_UPLOAD_MB"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k"})


def test_too_large_upload_gets_the_chinese_413_page(app, client, auth, team, db):
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    auth.login(team.counselor)
    before = counts(db)
    data = {"csrf_token": token(client), "file": (io.BytesIO(b"a" * (2**20 + 1)), "名单.csv")}
    response = client.post("/admin/roster/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "上传的文件太大（上限 1 MB）。" in response.get_data(as_text=True)
    assert counts(db) == before


def test_too_large_dashboard_call_gets_json(app, client, auth, team):
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    auth.login(team.counselor)
    body = b'{"output": "' + b"x" * (2**20) + b'"}'
    response = client.post(
        "/dashboard/_dash-update-component", data=body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": "上传的文件太大（上限 1 MB）。"}


@pytest.mark.db
def test_roster_over_the_row_cap_is_refused_with_nothing_written(client, auth, team, db):
    auth.login(team.counselor)
    before = counts(db)
    rows = [
        f"25{i:05d},学生{i},男,本科生,2025级,数学,,,群众,否,助管,学工办"
        for i in range(MAX_UPLOAD_ROWS + 1)
    ]
    body = "\n".join([",".join(ROSTER_COLUMNS), *rows]).encode("utf-8-sig")
    data = {"csrf_token": token(client), "file": (io.BytesIO(body), "名单.csv")}
    response = client.post("/admin/roster/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"文件行数超过上限（{MAX_UPLOAD_ROWS} 行）" in page
    assert counts(db) == before


def test_cli_imports_have_no_row_cap(runner, team, db, tmp_path):
    """A term of paper sign-in sheets may exceed the web cap; the operator's CLI reads it all."""
    path = tmp_path / "events.csv"
    rows = [f"99{i:05d},2026-09-07 08:00,签到" for i in range(MAX_UPLOAD_ROWS + 1)]
    path.write_text("\n".join([",".join(EVENT_COLUMNS), *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import-events", str(path)])
    assert result.exit_code != 0
    assert "文件行数超过上限" not in result.output
    assert f"{MAX_UPLOAD_ROWS + 1} 行数据有问题" in result.output  # every row was read
    with db.session() as s:
        assert s.scalar(select(func.count(CheckEvent.id))) == 0


def test_a_huge_text_field_is_not_called_a_file(client, auth, team):
    """Flask caps a multipart form's text field at MAX_FORM_MEMORY_SIZE (500 kB), under the limit."""
    auth.login(team.assistants[0])
    data = {"csrf_token": token(client), "kind": "weekly", "content": "很" * 300_000}
    response = client.post("/me/summary", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "填写的内容太长" in response.get_data(as_text=True)
