"""Realistic demo data (SPEC §7 ``seed-demo``): one college team, two semesters, real patterns.

Deterministic for a given ``(seed, today)``: one ``random.Random(seed)`` and no clock other than
``today`` (every timestamp, ``created_at`` included, is derived from it). The current semester is
placed so that ``today`` lies inside it; its duties are generated up to yesterday. The previous
semester is complete: evaluations, a published assessment (computed with the policy engine) and
paid stipends.

Modules by phase, run in this order by ``builder.Builder.build``: ``people`` (accounts and
appointments), ``schedule`` (shifts and their dated changes), ``activity`` (sign-ins, leave, work
records, summaries) and ``meetings``, then ``results`` (evaluations, assessment and stipends, read
back through ``data.report``). ``vocabulary`` holds the fixed names and word lists, ``common``
the shared state and date helpers.
"""

from data.demo.builder import DemoSummary, seed_demo
from data.demo.common import semester_bounds
from data.demo.vocabulary import (
    AID_PLACE,
    ASSISTANT_PASSWORD,
    COLLEGE,
    COUNSELOR_PASSWORD,
    COUNSELOR_USERNAME,
    DEMO_LOGINS,
    LEADER_USERNAME,
    LEADERSHIP_PASSWORD,
    LEADERSHIP_USERNAME,
    MAIN_PLACE,
    TEAM_NAME,
    TYPICAL_USERNAME,
)

__all__ = [
    "AID_PLACE",
    "ASSISTANT_PASSWORD",
    "COLLEGE",
    "COUNSELOR_PASSWORD",
    "COUNSELOR_USERNAME",
    "DEMO_LOGINS",
    "LEADERSHIP_PASSWORD",
    "LEADERSHIP_USERNAME",
    "LEADER_USERNAME",
    "MAIN_PLACE",
    "TEAM_NAME",
    "TYPICAL_USERNAME",
    "DemoSummary",
    "seed_demo",
    "semester_bounds",
]
