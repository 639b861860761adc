"""A real PostgreSQL server for tests: Debian's binaries (``make system-postgres`` installs them),
``initdb`` into a fresh temporary folder, ``pg_ctl start`` on a free port, trust authentication on
127.0.0.1 only, stopped and deleted afterwards.

PostgreSQL refuses to run as root; under root the server runs as ``nobody`` (via ``runuser``), in a
folder under /tmp that ``nobody`` owns (pytest's own tmp folders are root-only).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"


def binaries() -> Path | None:
    """The newest installed server's bin folder (the one with initdb, pg_ctl and postgres), or None."""
    found = sorted(
        (Path(p) for p in glob.glob(BIN_GLOB) if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield the SQLAlchemy URL of its ``postgres`` database (superuser ``postgres``)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError(f"no PostgreSQL server binaries in {BIN_GLOB} (make system-postgres)")
    root = Path(tempfile.mkdtemp(prefix="stancewire-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, user="nobody")
        as_user = ["runuser", "-u", "nobody", "--"]
    data, log = root / "data", root / "server.log"
    port = _free_port()

    def run(*command: str, timeout: float = 120) -> None:
        subprocess.run(
            [*as_user, *command],
            check=True,
            timeout=timeout,
            capture_output=True,
            cwd=root,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )

    try:
        try:
            run(
                str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
                "-E", "UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
            # fsync off: a test server's data need not survive a power cut, and the tests run faster.
            options = (
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
            )
            run(
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            )
        except subprocess.CalledProcessError as exc:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(
                f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')}\n{server_log}"
            ) from exc
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)
