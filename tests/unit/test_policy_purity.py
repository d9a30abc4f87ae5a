"""data.policy stays pure: importing it loads neither SQLAlchemy nor Flask nor the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY_MODULES = [
    path.stem for path in (ROOT / "data" / "policy").glob("*.py") if path.stem != "__init__"
]


@pytest.mark.parametrize("module", sorted(POLICY_MODULES))
def test_policy_module_imports_no_database_or_web(module: str) -> None:
    # A fresh interpreter: this test process has SQLAlchemy loaded already.
    check = (
        f"import sys, data.policy.{module}; "
        "loaded = sorted(m for m in ('sqlalchemy', 'flask', 'data.models', 'data.db') "
        "if m in sys.modules); "
        "assert not loaded, loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_models_reexport_the_policy_enums() -> None:
    from data.models import DismissalReason, DutyStatus, Grade, LeaveKind, LeaveStatus
    from data.policy import types

    assert DutyStatus is types.DutyStatus
    assert LeaveKind is types.LeaveKind
    assert LeaveStatus is types.LeaveStatus
    assert Grade is types.Grade
    assert DismissalReason is types.DismissalReason
