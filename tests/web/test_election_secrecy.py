"""团长选举 secrecy: no response to anyone, and no stored row, tells who voted for whom.

Two elections run on two fresh databases with the same people, clock and counts but the
choices of two voters swapped (A: 李团长 → 张三, 张三 → 李四; B: 李团长 → 李四, 张三 → 张三).
Every page, workbook and audit entry any role can fetch, and every stored election row and audit
entry, must be the same in both: whatever differs would be a voter→candidate pair.
Not marked ``db``: the two databases are SQLite files copied from the migrated template.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from data.db import Database
from data.models import (
    AuditLog,
    Election,
    ElectionCandidate,
    ElectionVoter,
    LeaderTerm,
    User,
)
from data.timeutil import LOCAL_TZ
from tests import factories
from tests.conftest import AuthActions, csrf_token

OPEN = datetime(2026, 10, 12, 10, 0, tzinfo=LOCAL_TZ)
VOTING = datetime(2026, 10, 12, 11, 0, tzinfo=LOCAL_TZ)
COUNTED = datetime(2026, 10, 14, 18, 5, tzinfo=LOCAL_TZ)
# The leader and 张三 swap their choices; the counts are the same (张三 3, 李四 1).
SWAPPED = {
    "A": [
        ("2023001", "2023101"),
        ("2023101", "2023102"),
        ("2023102", "2023101"),
        ("2023103", "2023101"),
    ],
    "B": [
        ("2023001", "2023102"),
        ("2023101", "2023101"),
        ("2023102", "2023101"),
        ("2023103", "2023101"),
    ],
}
CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"|(csrf-token" content=")[^"]+"')


def _normal(html: str) -> str:
    return CSRF.sub(lambda m: (m.group(1) or m.group(2)) + 'X"', html)


def _login(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def _post(client, path: str, **data):
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    response = client.post(path, data={**data, "csrf_token": token})
    with client.session_transaction() as session:
        session.pop("_flashes", None)
    return response


def _workbook(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]


def _stored(db: Database) -> dict[str, list]:
    """Every stored row about the election (roll, counts, audit) without wall-clock columns."""
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action.like("election.%"))).all()
        return {
            "election": [(e.state, e.result, e.winner_id) for e in s.scalars(select(Election))],
            "candidates": s.execute(
                select(ElectionCandidate.user_id, ElectionCandidate.votes)
            ).all(),
            "roll": s.execute(select(ElectionVoter.user_id, ElectionVoter.voted_at)).all(),
            "audit": [(a.actor_id, a.action, a.before, a.after, a.at) for a in audit],
            "terms": s.execute(select(LeaderTerm.user_id, LeaderTerm.starts_on)).all(),
            "roles": s.execute(select(User.username, User.role).order_by(User.id)).all(),
        }


def _run(template, tmp_path, name: str) -> tuple[dict[str, object], dict[str, list]]:
    from app import create_app

    path = tmp_path / f"{name}.db"
    shutil.copy(template, path)
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        team = factories.small_team(s)
        ids = {u.username: u.id for u in s.scalars(select(User))}
    clock = [OPEN]
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "test-secret-key",
            "CLOCK": lambda: clock[0],
        }
    )
    seen: dict[str, object] = {}
    people = [team.counselor, team.leader, *team.assistants, team.leadership]
    clients = {u: _login(app, u) for u in people}
    counselor = clients[team.counselor]
    _post(
        counselor,
        "/admin/election",
        semester="1",
        mode="all_appointed",
        closes_at="2026-10-14T18:00",
    )

    def look(stage: str) -> None:
        for username, client in clients.items():
            for page in (
                "/me",
                "/admin/election",
                "/admin/audit",
                "/admin/audit?action=election.vote",
            ):
                response = client.get(page)
                seen[f"{stage} {username} {page}"] = (
                    response.status_code,
                    _normal(response.get_data(as_text=True)),
                )
        for eid in (1,):
            response = counselor.get(f"/admin/election/{eid}/result.xlsx")
            seen[f"{stage} xlsx"] = (
                response.status_code,
                _workbook(response.data) if response.status_code == 200 else None,
            )

    clock[0] = VOTING
    for voter, choice in SWAPPED[name]:
        _post(clients[voter], "/me/election/vote", candidate=str(ids[choice]))
        look(f"after {voter}")
    clock[0] = COUNTED
    _post(counselor, "/admin/election/1/close")
    look("counted")
    _post(counselor, "/admin/election/1/confirm", from_day="2026-10-14")
    look("confirmed")
    stored = _stored(db)
    app.extensions["zhuguantong.db"].dispose()
    db.dispose()
    return seen, stored


def test_no_response_or_row_depends_on_who_voted_for_whom(_migrated, tmp_path):
    seen_a, stored_a = _run(_migrated, tmp_path, "A")
    seen_b, stored_b = _run(_migrated, tmp_path, "B")
    assert seen_a.keys() == seen_b.keys()
    for key in seen_a:
        assert seen_a[key] == seen_b[key], key
    assert stored_a == stored_b
    # The runs did what they should: counted, 张三 confirmed, pages seen by every role.
    assert stored_a["candidates"] and sorted(v for _u, v in stored_a["candidates"]) == [0, 0, 1, 3]
    assert seen_a["counted xlsx"][0] == 200
    assert "你的投票已计入" in seen_a["after 2023001 2023001 /me"][1]
    assert seen_a["confirmed T001 /admin/election"][0] == 200
    assert seen_a["confirmed 2023101 /admin/election"][0] == 403
