"""The real parts of a deployment on loopback: scratch PostgreSQL databases, gunicorn, nginx.

Every process is started in its own session (process group) and stopped by that id only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE_CONF = ROOT / "deploy" / "nginx" / "zhuguantong.conf"
ADMIN_URL = os.environ.get(
    "E2E_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/13")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
GUNICORN = Path(sys.executable).with_name("gunicorn")


def missing_parts() -> list[str]:
    """What the end-to-end test needs and this machine lacks (empty: all there)."""
    missing = [
        name
        for name, found in (
            ("nginx", NGINX),
            ("openssl", shutil.which("openssl")),
            ("pg_dump", shutil.which("pg_dump")),
            ("pg_restore", shutil.which("pg_restore")),
            ("gunicorn", GUNICORN.exists()),
        )
        if not found
    ]
    try:
        import psycopg

        from data.backup import libpq_target

        uri, env = libpq_target(ADMIN_URL)
        psycopg.connect(uri, connect_timeout=3, password=env.get("PGPASSWORD")).close()
    except Exception as exc:
        missing.append(f"PostgreSQL at {ADMIN_URL} ({type(exc).__name__})")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        missing.append(f"Redis at {REDIS_URL} ({type(exc).__name__})")
    return missing


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def recreate_database(name: str) -> str:
    """An empty database ``name`` (dropped first if a previous run left it); its URL."""
    drop_database(name)
    _admin(f"CREATE DATABASE {name}")
    return database_url(name)


def drop_database(name: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- processes -------------------------------------------------------------------------------


class Process:
    """A child in its own process group, its output in ``log``."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def kill_group(self) -> None:
        """kill -9 of the whole group (a gunicorn master and its workers), then reap."""
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """A graceful stop, then kill -9 of the group if it does not end in time."""
        if self.alive:
            self.popen.send_signal(sig)
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill_group()  # also reaps workers a graceful master left behind


def wait_until(check, what: str, process: Process, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if not process.alive:
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {seconds} s:\n{process.tail()}")
        time.sleep(0.2)


def gunicorn(port: int, env: dict[str, str], log: Path) -> Process:
    """The app as deploy/systemd/zhuguantong@.service runs it: 2 sync workers on one port."""
    config = str(ROOT / "deploy" / "gunicorn.conf.py")
    command = [
        str(GUNICORN),
        "-c",
        config,
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "app:create_app()",
    ]
    return Process(f"gunicorn :{port}", command, env, log)


# --- nginx -----------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def site_for_test(
    http_port: int, https_port: int, upstreams: list[int], cert: Path, key: Path, logs: Path
) -> str:
    """deploy/nginx/zhuguantong.conf with loopback ports and temporary paths put in."""
    text = SITE_CONF.read_text()
    replacements = [
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{upstreams[0]} ", 1),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{upstreams[1]} ", 1),
        ("listen [::]:80;\n", "", 1),
        ("listen [::]:443 ssl http2;\n", "", 1),
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1),
        ("/etc/ssl/zhuguantong/fullchain.pem", str(cert), 1),
        ("/etc/ssl/zhuguantong/privkey.pem", str(key), 1),
        ("/var/log/nginx/", f"{logs}/", 2),
        ("/srv/zhuguantong/assets/", f"{ROOT / 'assets'}/", 1),
    ]
    for old, new, count in replacements:
        # The site file changed shape: fix the harness rather than test something else.
        assert text.count(old) == count, f"{SITE_CONF.name}: expected {count} × {old!r}"
        text = text.replace(old, new)
    return text


def nginx_conf(site: str, prefix: Path) -> str:
    """A whole nginx.conf around the site, every path inside ``prefix``."""
    mime = Path("/etc/nginx/mime.types")
    types = (
        f"include {mime};"
        if mime.exists()
        else "types { text/css css; application/javascript js; image/svg+xml svg; }"
    )
    # Workers of a root master would run as nobody, who cannot enter pytest's 0700 tmp dirs.
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log {prefix}/access.log;
{temp}
{site}
}}
"""


def nginx_command(conf: Path, prefix: Path, *extra: str) -> list[str]:
    return [
        str(NGINX),
        "-c",
        str(conf),
        "-p",
        f"{prefix}/",
        "-e",
        str(prefix / "error.log"),
        *extra,
    ]


def check_nginx_conf(conf: Path, prefix: Path) -> str:
    """``nginx -t`` on the file; its output (raises with it when the test fails)."""
    done = subprocess.run(nginx_command(conf, prefix, "-t"), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{done.stderr}")
    return done.stderr


def nginx(conf: Path, prefix: Path) -> Process:
    command = nginx_command(conf, prefix, "-g", "daemon off;")
    return Process("nginx", command, {}, prefix / "nginx.out")
