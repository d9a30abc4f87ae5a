"""gunicorn settings shared by `make run` and the systemd unit (`-c deploy/gunicorn.conf.py`).

Command-line options (workers, bind, logs) stay where they are; this file adds what only a
served worker needs.
"""


def post_worker_init(worker) -> None:
    """The app is loaded: keep its start-up heap out of full garbage collections."""
    from web_deploy import freeze_startup_objects  # importable once the worker loaded the app

    freeze_startup_objects()
