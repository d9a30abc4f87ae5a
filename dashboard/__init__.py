"""The Dash dashboard, mounted once under ``/dashboard/`` with Pages."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import DependencyException
from flask import Flask, jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from dashboard import access
from dashboard.downloads import register_downloads
from dashboard.tables.semesters import default_semester, semester_from_search, semesters_for
from data.inputs import parse_id, parse_int
from data.models import Role
from data.services.inbox import unread_count
from data.timeutil import local_today
from web import get_session, now

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def init_dashboard(server: Flask) -> Dash:
    app = Dash(
        __name__,
        server=server,
        url_base_pathname="/dashboard/",
        use_pages=True,
        pages_folder=str(Path(__file__).with_name("pages")),
        assets_folder=str(ASSETS),
        # assets/ also serves the Flask pages; their scripts and the door pages' trimmed
        # stylesheet must not load inside the dashboard.
        assets_ignore=r"kiosk.*\.js|door\.css",
        title="助管通 · 统计面板",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    app.layout = shell
    # Registered on this app (not with the global @callback) because the shell module is
    # imported once per process while each app needs its own copy.
    app.callback(
        Output("shell-semester", "options"),
        Output("shell-semester", "value"),
        Output("shell-url", "search"),
        Output("shell-user", "children"),
        Output("shell-nav", "children"),
        Input("shell-url", "search"),
        Input("shell-semester", "value"),
        # The links are re-drawn on every page change so the current page is marked.
        Input("shell-url", "pathname"),
    )(sync_semester)
    app.callback(
        Output("shell-collapse", "is_open"),
        Input("shell-toggler", "n_clicks"),
        State("shell-collapse", "is_open"),
        prevent_initial_call=True,
    )(toggle_nav)
    # Dash's CSRF-free JSON endpoints are guarded by the app's before_request instead.
    server.extensions["csrf"].exempt(server.view_functions["/dashboard/_dash-update-component"])
    server.register_error_handler(DependencyException, no_such_file)
    # Bind the page callbacks to this app now rather than on the first request, so that
    # several apps in one process (tests) each get their own.
    with server.test_request_context():
        app._setup_server()
    register_downloads(server)
    server.extensions["dash"] = app
    return app


def no_such_file(_error: DependencyException):
    """A ``_dash-component-suites`` file Dash does not serve (unknown library or path): 404."""
    return jsonify(error="文件不存在。"), 404


def shell() -> html.Div:
    """Navigation, the shared semester picker and the page container."""
    logout = html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button("退出", className="btn btn-sm btn-outline-light"),
        ],
        method="POST",
        action="/logout",
        className="ms-2 mb-0",
    )
    picker = dcc.Dropdown(
        id="shell-semester",
        clearable=False,
        searchable=False,
        placeholder="选择学期",
        className="shell-semester",
    )
    return html.Div(
        [
            dcc.Location(id="shell-url", refresh=False),
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand("助管通", href="/dashboard/", className="fw-bold"),
                        # On a phone the page links fold behind the toggler; the semester
                        # picker stays in view because every number depends on it.
                        dbc.NavbarToggler(id="shell-toggler", className="ms-auto me-2"),
                        html.Div(
                            [
                                picker,
                                bell(),
                                html.Span(id="shell-user", className="shell-user"),
                                logout,
                            ],
                            className="d-flex align-items-center order-lg-last shell-tools",
                        ),
                        dbc.Collapse(
                            dbc.Nav(navbar=True, className="me-auto", id="shell-nav"),
                            id="shell-collapse",
                            is_open=False,
                            navbar=True,
                        ),
                    ],
                    fluid=True,
                ),
                color="primary",
                dark=True,
                expand="lg",
                className="mb-3 no-print",
            ),
            dbc.Container(dash.page_container, fluid=True, className="pb-4"),
        ]
    )


def bell() -> html.A | None:
    """The inbox link with the unread count, counted once per page load (a full page link)."""
    if not current_user.is_authenticated:
        return None
    unread = unread_count(get_session(), current_user.id)
    badge = html.Span(
        unread if unread < 100 else "99+",
        className="badge rounded-pill text-bg-danger ms-1",
        id="shell-bell-count",
    )
    return html.A(
        ["提醒", badge if unread else None],
        href="/inbox",
        id="shell-bell",
        title="站内提醒",
        className="btn btn-sm btn-light ms-2 text-nowrap",
    )


MAX_CLICKS = 10**9  # n_clicks only grows; a larger "count" is not a click


def toggle_nav(clicks: object, is_open: object) -> bool:
    """Open or fold the page links on a phone; anything but a click count leaves them be."""
    is_open = is_open is True
    return not is_open if parse_int(clicks, 1, MAX_CLICKS) else is_open


def sync_semester(search: object, picked: object, pathname: object = None):
    """Keep the picker and the URL's ?semester= in step, so a link shows the same semester."""
    session = get_session()
    semesters = semesters_for(session, current_user)
    options = [{"label": s.label, "value": s.id} for s in semesters]
    valid = {s.id for s in semesters}
    picked = parse_id(picked)
    if ctx.triggered_id == "shell-semester" and picked in valid:
        chosen = picked
    else:
        chosen = semester_from_search(search)
        if chosen not in valid:
            chosen = default_semester(semesters, local_today(now()))
    new_search = f"?semester={chosen}" if chosen is not None else ""
    user = f"{current_user.name} · {current_user.role.label}"
    here = pathname if isinstance(pathname, str) else ""
    return options, chosen, new_search, user, nav_links(new_search, here)


# Pages folded into the navbar's "更多" menu, so the bar fits one line from 1280 px up.
MORE = ("compare", "meeting-mode", "notifications")


def nav_pages(role: Role | None) -> list[dict]:
    """The pages ``role`` may open in nav order; 今日值班 leads for the 团长, who runs the day."""
    pages = [p for p in dash.page_registry.values() if access.allowed(p.get("slug", ""), role)]

    def rank(page: dict) -> tuple:
        if page.get("slug") == "today":
            return (-1 if role is Role.leader else 0.5, 0)
        return (page.get("order", 99), 0)

    return sorted(pages, key=rank)


def nav_links(search: str, pathname: str = "") -> list:
    """The pages this user may open, each link keeping the chosen semester; ``pathname``'s marked."""
    here = pathname.rstrip("/") or "/"
    pages = nav_pages(current_user.role)

    def current(page: dict) -> bool:
        return (page["relative_path"].rstrip("/") or "/") == here

    links: list = [
        dbc.NavLink(page["name"], href=page["relative_path"] + search, active=current(page))
        for page in pages
        if page.get("slug") not in MORE
    ]
    more = [page for page in pages if page.get("slug") in MORE]
    if more:
        items = [
            dbc.DropdownMenuItem(p["name"], href=p["relative_path"] + search, active=current(p))
            for p in more
        ]
        shown = next((p["name"] for p in more if current(p)), None)
        menu = dbc.DropdownMenu(
            items,
            label=shown or "更多",
            nav=True,
            in_navbar=True,
            align_end=True,
            toggle_class_name="active" if shown else "",
            id="shell-more",
        )
        links.append(menu)
    workbench = WORKBENCH.get(current_user.role)
    if workbench:
        # The management pages are Flask pages: a full page load, not a Dash route.
        links.append(dbc.NavLink("工作台 ›", href=workbench, external_link=True))
    if current_user.role is Role.leader:
        # The 团长 is on duty too (SPEC §1): their own page is one tap away.
        links.append(dbc.NavLink("我的值班 ›", href="/me", external_link=True))
    return links


# Where each role's management pages start (checkin/admin_*.py).
WORKBENCH = {
    Role.counselor: "/admin/leave",
    Role.leader: "/admin/schedule",
    Role.leadership: "/admin/assessment",
}
