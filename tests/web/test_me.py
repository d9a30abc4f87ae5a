"""/me: "已迟到 2 次（3 次即不合格）", warning, duties, own data only, results, summaries."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from data.models import (
    Assessment,
    AuditLog,
    CheckAction,
    CheckEvent,
    Grade,
    Semester,
    ShiftAssignment,
    Stipend,
    StipendStatus,
    Summary,
    SummaryKind,
    User,
    WorkRecord,
)
from data.timeutil import LOCAL_TZ
from tests.conftest import csrf_token

pytestmark = pytest.mark.db

# Tuesday noon; 张三 (team.assistants[0]) has Wednesday 08:00–10:00, 李四 Friday.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=LOCAL_TZ)
MONDAY = date(2026, 11, 23)


def late_line(html: str) -> str:
    """The text of the late count on /me, tags stripped."""
    match = re.search(r'id="late-count">(.*?)</div>', html, re.S)
    assert match, "no late count on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


def ids(db, username: str) -> tuple[int, int]:
    """(user id, shift id) of one team member."""
    with db.session() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        shift_id = s.scalar(
            select(ShiftAssignment.shift_id).where(ShiftAssignment.user_id == user_id)
        )
        return user_id, shift_id


def duty(db, username: str, day: date, sign_in: tuple[int, int], sign_out: tuple[int, int]):
    user_id, shift_id = ids(db, username)
    with db.session() as s:
        for action, (hour, minute) in (
            (CheckAction.sign_in, sign_in),
            (CheckAction.sign_out, sign_out),
        ):
            s.add(
                CheckEvent(
                    user_id=user_id,
                    action=action,
                    at=local(day, hour, minute),
                    duty_date=day,
                    shift_id=shift_id,
                )
            )
        s.commit()


def attend_wednesdays(db, username: str, skip: set[date]) -> None:
    """Normal sign-ins for 张三's Wednesdays from the semester start to 11/18, except ``skip``."""
    day = date(2026, 9, 9)
    while day <= date(2026, 11, 18):
        if day not in skip and not date(2026, 10, 1) <= day <= date(2026, 10, 8):
            duty(db, username, day, (7, 58), (10, 0))
        day += timedelta(days=7)


@pytest.fixture
def me(app, auth, team):
    """张三 logged in at NOW; returns a function that fetches /me as text."""
    app.config["CLOCK"] = lambda: NOW
    auth.login(team.assistants[0])
    return lambda: auth._client.get("/me").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_late_count_warning_and_duty_list(db, team, me):
    zhang = team.assistants[0]
    absent = date(2026, 10, 28)
    attend_wednesdays(db, zhang, skip={date(2026, 11, 18), date(2026, 11, 11), absent})
    duty(db, zhang, date(2026, 11, 18), (8, 12), (10, 0))  # 迟到 12 分钟
    duty(db, zhang, date(2026, 11, 11), (8, 30), (9, 0))  # 迟到 + 早退
    html = me()
    assert late_line(html) == "已迟到 2 次（3 次即不合格）"
    warning = html.split('id="warning"')[1].split("</div>\n")[0:3]
    assert "警告" in "".join(warning)
    assert "已迟到 2 次，再迟到 1 次将评为不合格" in html and "已缺勤 1 次" in html
    assert "迟到 12 分钟" in html and "迟到+早退" in html and "正常" in html
    assert "缺勤" in html.split("10月28日")[1][:400]
    # Newest first: the 18th is listed before the 11th and the 4th.
    assert html.index("11月18日") < html.index("11月11日") < html.index("11月4日")
    # 10 Wednesdays (国庆 week has none): 7 × 2 h normal + 1 h 48 min + 30 min, 1 absent.
    assert ">16.3<" in html
    counts = html.split('class="me-counts')[1].split("</section>")[0]
    assert "<b>10</b><span>应值</span>" in counts and "<b>9</b><span>出勤</span>" in counts


def test_counts_and_upcoming_duties(db, team, me):
    html = me()
    assert "应值" in html and "出勤" in html and "漏签退" in html
    assert "11月25日 周三 08:00–10:00" in html  # tomorrow, in the upcoming list
    assert "12月2日 周三" in html  # within 14 days
    assert "12月9日 周三" not in html  # 15 days ahead: not yet listed
    _user, shift_id = ids(db, team.assistants[0])
    assert f"/me/leave/new?date=2026-11-25&amp;shift={shift_id}" in html


def test_critical_at_three_lates(db, team, me):
    lates = {date(2026, 11, 4), date(2026, 11, 11), date(2026, 11, 18)}
    attend_wednesdays(db, team.assistants[0], skip=lates)
    for day in lates:
        duty(db, team.assistants[0], day, (8, 20), (10, 0))
    html = me()
    assert late_line(html) == "已迟到 3 次（3 次即不合格）" and "不合格风险" in html


def test_only_own_data_is_shown(db, team, me):
    zhang_id, _ = ids(db, team.assistants[0])
    li_id, _ = ids(db, team.assistants[1])
    with db.session() as s:
        s.add(WorkRecord(user_id=zhang_id, duty_date=date(2026, 11, 18), content="整理学生档案"))
        s.add(WorkRecord(user_id=li_id, duty_date=date(2026, 11, 20), content="李四的秘密记录"))
        s.add(
            Summary(
                user_id=li_id,
                kind=SummaryKind.weekly,
                period_start=MONDAY,
                content="李四本周的周总结内容",
            )
        )
        s.commit()
    duty(db, team.assistants[1], date(2026, 11, 20), (8, 30), (10, 0))
    html = me()
    assert "整理学生档案" in html
    assert "李四" not in html and "王五" not in html and "李团长" not in html
    assert "李四的秘密记录" not in html and "李四本周的周总结内容" not in html
    assert late_line(html) == "已迟到 0 次（3 次即不合格）"  # 李四's late is not counted here
    assert "11月20日" not in html  # a Friday: 李四's duty, not 张三's


def test_assistant_cannot_open_staff_pages(client, me):
    me()
    assert client.get("/dashboard/").status_code == 403
    urls = {rule.rule for rule in client.application.url_map.iter_rules()}
    for path in ("/admin/posters",):
        if path in urls:  # the poster admin arrives with checkin/posters.py
            assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["counselor", "leadership"])
def test_staff_are_redirected_to_the_dashboard(client, auth, team, role):
    auth.login(getattr(team, role))
    response = client.get("/me")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"


def test_leader_has_an_own_page(app, client, auth, team):
    app.config["CLOCK"] = lambda: NOW
    auth.login(team.leader)
    response = client.get("/me")
    assert response.status_code == 200
    assert late_line(response.get_data(as_text=True)) == "已迟到 0 次（3 次即不合格）"


# ---------------------------------------------------------------- published results


def _assessment(s, user_id: int, semester_id: int, published: bool, grade=Grade.qualified):
    s.add(
        Assessment(
            semester_id=semester_id,
            user_id=user_id,
            total=76.5,
            grade=grade,
            reasons="工作记录偏少",
            published=published,
        )
    )


def _stipend(s, user_id: int, semester_id: int, status: StipendStatus, month: str = ""):
    s.add(
        Stipend(
            semester_id=semester_id,
            user_id=user_id,
            month=month,
            hours=Decimal("30"),
            rate=Decimal("20"),
            grade_factor=Decimal("1.0"),
            amount=Decimal("612.50"),
            status=status,
        )
    )


def test_unpublished_assessment_and_draft_stipend_are_hidden(db, team, me):
    zhang_id, _ = ids(db, team.assistants[0])
    with db.session() as s:
        _assessment(s, zhang_id, team.semester_id, published=False)
        _stipend(s, zhang_id, team.semester_id, StipendStatus.approved)
        s.commit()
    html = me()
    assert "76.5" not in html and "本学期考核结果" not in html and "612.50" not in html
    assert "考核结果在学期末由兼辅老师公布后显示" in html


def test_published_assessment_of_this_and_last_semester(db, team, me):
    zhang_id, _ = ids(db, team.assistants[0])
    li_id, _ = ids(db, team.assistants[1])
    with db.session() as s:
        spring = Semester(
            team_id=team.team_id, name="2026春", start=date(2026, 2, 23), end=date(2026, 7, 10)
        )
        s.add(spring)
        s.flush()
        _assessment(s, zhang_id, spring.id, published=True, grade=Grade.excellent)
        _stipend(s, zhang_id, spring.id, StipendStatus.paid)
        _stipend(s, zhang_id, spring.id, StipendStatus.draft, month="2026-03")
        _assessment(s, li_id, spring.id, published=True, grade=Grade.unqualified)
        _assessment(s, zhang_id, team.semester_id, published=True)
        s.commit()
    html = me()
    assert "上学期考核结果" in html and "2026春" in html and "优秀" in html
    assert "本学期考核结果" in html and "合格" in html
    assert "76.5" in html and "工作记录偏少" in html
    assert "612.50 元" in html and "已发放" in html
    assert "2026-03" not in html  # a draft month row stays hidden
    assert "不合格" not in html.split('id="results"')[1]  # 李四's grade is not shown


# ---------------------------------------------------------------- summaries


def save(client, kind: str, content: str):
    token = csrf_token(client.get("/me").get_data(as_text=True))
    return client.post(
        "/me/summary",
        data={"csrf_token": token, "kind": kind, "content": content},
        follow_redirects=True,
    )


def summaries(db) -> list[Summary]:
    with db.session() as s:
        return list(s.scalars(select(Summary).order_by(Summary.id)))


def test_weekly_summary_is_upserted_for_this_monday(app, client, db, me):
    html = save(client, "weekly", "本周整理了三份档案，接待来访学生五人。").get_data(as_text=True)
    assert "周总结已提交" in html
    (row,) = summaries(db)
    assert (row.kind, row.period_start) == (SummaryKind.weekly, MONDAY)
    assert "11/23 ✓" in html
    # Later the same week: the same row is edited, not a second one.
    app.config["CLOCK"] = lambda: NOW + timedelta(days=4)
    html = save(client, "weekly", "本周整理了四份档案，接待来访学生六人。").get_data(as_text=True)
    assert "周总结已更新" in html
    (row,) = summaries(db)
    assert row.content == "本周整理了四份档案，接待来访学生六人。"
    with db.session() as s:
        logs = s.scalars(select(AuditLog).where(AuditLog.action == "summary.save")).all()
        assert [log.before is None for log in logs] == [True, False]
        assert logs[1].before["content"].startswith("本周整理了三份")
        assert logs[1].entity == "summary" and logs[1].entity_id == str(row.id)
    # Past weeks without a summary are marked ✗.
    assert "11/16 ✗" in html


def test_next_week_gets_a_new_summary(app, client, db, me):
    save(client, "weekly", "第一周的周总结写满十个字")
    app.config["CLOCK"] = lambda: NOW + timedelta(days=7)
    save(client, "weekly", "第二周的周总结也写满十个字")
    assert [r.period_start for r in summaries(db)] == [MONDAY, MONDAY + timedelta(days=7)]


def test_daily_summary_is_optional_and_keyed_by_day(client, db, me):
    assert "小结已提交" in save(client, "daily", "接待学生三人").get_data(as_text=True)
    (row,) = summaries(db)
    assert (row.kind, row.period_start) == (SummaryKind.daily, NOW.date())


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("weekly", "太短了", "至少写 10 个字"),
        ("weekly", "", "请填写内容"),
        ("weekly", "字" * 2001, "内容不能超过 2000 字"),
        ("daily", "短", "至少写 5 个字"),
        ("monthly", "这不是一种总结类型哦哦哦", "总结类型不正确"),
    ],
)
def test_bad_summaries_are_refused(client, db, me, kind, content, message):
    html = save(client, kind, content).get_data(as_text=True)
    assert message in html
    assert summaries(db) == []


def test_summary_without_csrf_changes_nothing(client, db, me):
    me()
    response = client.post(
        "/me/summary", data={"kind": "weekly", "content": "没有令牌的周总结内容"}
    )
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert summaries(db) == []


def test_between_semesters_the_page_still_works(app, client, db, me):
    app.config["CLOCK"] = lambda: datetime(2027, 2, 1, 9, 0, tzinfo=LOCAL_TZ)
    html = client.get("/me").get_data(as_text=True)
    assert "今天不在学期内" in html
