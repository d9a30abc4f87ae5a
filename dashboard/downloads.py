"""The semester workbook (export-report's, SPEC §6) as a download from the dashboard."""

from __future__ import annotations

import io

from flask import Flask, render_template, request, send_file
from flask_login import current_user

from dashboard import access
from dashboard.tables.semesters import semester_from_search, semester_visible
from data import xlsx
from data.export import report_frames
from data.report import build_report
from web import get_session, now

REPORT_PATH = "/dashboard/report.xlsx"


def register_downloads(server: Flask) -> None:
    """Add the download routes; the app's /dashboard guard has already required a login."""
    server.add_url_rule(REPORT_PATH, "dashboard_report_xlsx", semester_workbook)


def _refuse(code: int, message: str):
    return render_template("error.html", code=code, message=message), code


def semester_workbook():
    """GET /dashboard/report.xlsx?semester=<id>: the same workbook as ``export-report``."""
    # Same roles as the statistics pages; the guard only kept assistants out.
    if not current_user.is_authenticated or current_user.role not in access.STATS:
        return _refuse(403, "无权下载学期报表：仅兼辅老师和学工组领导可以下载。")
    semester_id = semester_from_search(request.query_string.decode())
    session = get_session()
    # Another team's semester answers like a missing one, so ids reveal nothing.
    semester = semester_visible(session, current_user, semester_id)
    if semester is None:
        return _refuse(404, "找不到该学期，或您无权查看该学期。")
    report = build_report(session, semester, now())
    data = xlsx.workbook_bytes(report_frames(report))
    return send_file(
        io.BytesIO(data),
        mimetype=xlsx.MIME,
        as_attachment=True,
        download_name=f"{semester.name}-学期报表.xlsx",
    )
