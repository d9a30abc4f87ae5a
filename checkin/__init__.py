"""The check-in blueprint: login, the door, and the assistant's own page."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates")

from checkin import auth, me  # noqa: E402,F401  (views register themselves on bp)
