"""The Flask-free write side: session + actor + plain values in, rule enforced, result out."""

from __future__ import annotations


class Refused(Exception):
    """A change the rules do not allow; the message is Chinese and shown as is."""
