"""Calling Dash callbacks directly, as a given user, inside a request context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import plotly.graph_objects as go
from flask_login import login_user
from sqlalchemy import select

from data.models import User
from web import get_session


@contextmanager
def logged_in(app, username: str) -> Iterator[User]:
    with app.test_request_context("/dashboard/"):
        user = get_session().scalar(select(User).where(User.username == username))
        assert user is not None, username
        login_user(user)
        yield user


def figure_of(graph) -> go.Figure:
    """A ``dcc.Graph``'s figure (a plain dict) as a Figure, to read as ``figure.data[0].y``."""
    assert graph is not None, "no such graph"
    return go.Figure(graph.figure)


def texts(component) -> str:
    """All text inside a Dash component tree (for asserting what a callback renders)."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    children = getattr(component, "children", None)
    own = [texts(children)]
    for prop in ("label", "header", "title"):
        value = getattr(component, prop, None)
        if isinstance(value, str):
            own.append(value)
    return " ".join(own)
