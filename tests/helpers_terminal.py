"""Running the CLI with stderr on a pseudo-terminal, where Rich draws its progress (a pipe gets none)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys


def on_a_terminal(args: list[str], timeout: float = 180) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (Rich draws progress only there); its exit code and stderr."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "refundguard.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=follower, env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"})
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError("the CLI printed nothing for too long")
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout), b"".join(chunks).decode("utf-8", "replace")
