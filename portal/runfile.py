"""Which server serves a ``var/`` directory: ``var/server.json``, written by the server.

A server writes its pid, host and port there once it listens (the ASGI lifespan does
not know the port: a thread watches the process's own listening sockets) and removes
it when it stops. ``live_server(var_dir)`` reads it back for ``fitsportal view``, so
that it finds a portal started on any port, and never starts a second one on the same
files; a run file whose process is gone (a kill) is stale and ignored.
"""

import contextlib
import json
import os
import threading
import time
from pathlib import Path

NAME = "server.json"


def path(var_dir):
    return Path(var_dir) / NAME


def live_server(var_dir):
    """``{"pid", "host", "port"}`` of the live server of ``var_dir``, else None."""
    try:
        info = json.loads(path(var_dir).read_text())
        pid, port = int(info["pid"]), int(info["port"])
        host = str(info.get("host") or "127.0.0.1")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    return {"pid": pid, "host": host, "port": port}


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_when_listening(var_dir, timeout=60):
    """In a daemon thread: once this process listens on a TCP port, record it."""

    def watch():
        import psutil

        deadline = time.monotonic() + timeout
        me = psutil.Process()
        while time.monotonic() < deadline:
            listening = [c.laddr for c in me.net_connections("tcp") if c.status == "LISTEN"]
            if listening:
                host, port = listening[0][:2]
                _write(var_dir, {"pid": os.getpid(), "host": _client_host(host), "port": port})
                return
            time.sleep(0.1)

    threading.Thread(target=watch, name="fitsportal-runfile", daemon=True).start()


def _client_host(host):
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def _write(var_dir, info):
    target = path(var_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{NAME}.{os.getpid()}")
    temporary.write_text(json.dumps(info))
    os.replace(temporary, target)


def remove(var_dir):
    """Remove the run file if it is this process's."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if int(json.loads(path(var_dir).read_text())["pid"]) == os.getpid():
            path(var_dir).unlink()
