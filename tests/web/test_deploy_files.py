"""deploy/: the systemd units parse and verify, the nginx site passes ``nginx -t``."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e import stack as parts

ROOT = parts.ROOT
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
WEB_UNIT, BACKUP_UNIT, TIMER = (
    "zhuguantong@.service",
    "zhuguantong-backup.service",
    "zhuguantong-backup.timer",
)


def unit(name: str) -> configparser.ConfigParser:
    # systemd allows repeated keys (several Environment= lines): the last one wins here.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    return parser


def test_the_web_unit_runs_gunicorn_per_port_as_its_own_user():
    service = unit(WEB_UNIT)["Service"]
    assert "--bind 127.0.0.1:%i" in service["ExecStart"]
    assert "gunicorn" in service["ExecStart"] and "app:create_app()" in service["ExecStart"]
    assert "-c deploy/gunicorn.conf.py" in service["ExecStart"]  # relative to WorkingDirectory
    assert (ROOT / "deploy" / "gunicorn.conf.py").is_file()
    assert service["EnvironmentFile"] == "/etc/zhuguantong/env"
    assert (service["User"], service["Restart"]) == ("zhuguantong", "always")
    for option in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "RestrictSUIDSGID"):
        assert service[option] == "true", option
    assert service["ProtectSystem"] == "strict" and service["CapabilityBoundingSet"] == ""
    assert unit(WEB_UNIT)["Install"]["WantedBy"] == "multi-user.target"


def test_the_backup_timer_runs_nightly_with_rotation():
    service = unit(BACKUP_UNIT)["Service"]
    assert service["Type"] == "oneshot" and service["User"] == "zhuguantong"
    assert service["EnvironmentFile"] == "/etc/zhuguantong/env"
    assert service["ExecStart"].endswith(
        "flask --app app backup --into /var/backups/zhuguantong --keep 14"
    )
    assert "/var/backups/zhuguantong" in service["ReadWritePaths"]
    timer = unit(TIMER)
    assert timer["Timer"]["Persistent"] == "true"
    assert re.fullmatch(r"\*-\*-\* 0[0-5]:\d\d:00( Asia/Shanghai)?", timer["Timer"]["OnCalendar"])
    assert timer["Timer"]["Unit"] == BACKUP_UNIT and timer["Install"]["WantedBy"] == "timers.target"


def test_the_env_example_names_every_production_setting():
    text = (DEPLOY / "env.example").read_text(encoding="utf-8")
    keys = set(re.findall(r"^([A-Z_]+)=", text, re.MULTILINE))
    assert {
        "DATABASE_URL",
        "SECRET_KEY",
        "PUBLIC_URL",
        "RATELIMIT_STORAGE_URI",
        "TRUSTED_PROXIES",
        "COOKIE_SECURE",
    } <= keys


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    # verify checks that ExecStart exists: point /srv/zhuguantong at this checkout's venv.
    for name in (WEB_UNIT, BACKUP_UNIT, TIMER):
        text = (
            (UNITS / name).read_text(encoding="utf-8").replace("/srv/zhuguantong", str(parts.ROOT))
        )
        (tmp_path / name.replace("@.", "@8001.")).write_text(text, encoding="utf-8")
    names = [str(tmp_path / n) for n in ("zhuguantong@8001.service", BACKUP_UNIT, TIMER)]
    done = subprocess.run(
        ["systemd-analyze", "verify", *names], capture_output=True, text=True, cwd=tmp_path
    )
    # verify exits 0 on unknown keys and bad values too, it only prints them.
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr


@pytest.mark.skipif(not (parts.NGINX and shutil.which("openssl")), reason="nginx not installed")
def test_nginx_accepts_the_site(tmp_path: Path):
    cert, key = parts.self_signed_certificate(tmp_path)
    site = parts.site_for_test(18080, 18443, [18001, 18002], cert, key, tmp_path)
    conf = tmp_path / "nginx.conf"
    conf.write_text(parts.nginx_conf(site, tmp_path))
    output = parts.check_nginx_conf(conf, tmp_path)
    assert "[warn]" not in output, output
    text = (DEPLOY / "nginx" / "zhuguantong.conf").read_text(encoding="utf-8")
    for needle in (
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "gzip_proxied any;",
        'add_header Cache-Control "public, max-age=31536000, immutable";',
        "client_max_body_size 8m;",
        "location = /healthz",
        "location /static/",
        "_dash-component-suites",
    ):
        assert needle in text, needle


def test_only_fingerprinted_dash_scripts_are_cached_for_a_year():
    text = (DEPLOY / "nginx" / "zhuguantong.conf").read_text(encoding="utf-8")
    (pattern,) = re.findall(r'location ~ "(\^/dashboard/_dash-component-suites/[^"]+)"', text)
    suites = "/dashboard/_dash-component-suites/"
    fingerprinted = [
        "dash/deps/react@18.v4_4_1m1796198215.3.1.min.js",
        "dash/dcc/dash_core_components-shared.v4_4_1m1796198215.js",
        "dash_ag_grid/dash_ag_grid.v35_3_0m1796198216.min.js",
        "dash/dash_table/bundle.v7_4_1m1796198215.js",
    ]
    plain = ["dash/dcc/async-graph.js", "dash/deps/react@18.3.1.min.js", "x.v1m2/y.js"]
    assert all(re.match(pattern, suites + path) for path in fingerprinted)
    assert not any(re.match(pattern, suites + path) for path in plain)


def test_served_workers_freeze_what_start_up_built():
    """gunicorn's post_worker_init keeps the loaded app out of full collections (web_deploy)."""
    import gc
    import runpy

    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    before = gc.get_freeze_count()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_make_run_uses_the_same_gunicorn_settings():
    assert "-c deploy/gunicorn.conf.py" in (ROOT / "Makefile").read_text(encoding="utf-8")
