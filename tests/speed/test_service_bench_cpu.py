"""The service bench splits the service's CPU between the server process and the processes below it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.service import tree_cpu_by_process, tree_cpu_s

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads Linux /proc")


def test_cpu_by_process_names_the_root_and_its_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                              "while time.process_time() < end: pass\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and tree_cpu_by_process(os.getpid()).get(child.pid, 0.0) < 0.2:
            time.sleep(0.2)
        by_process = tree_cpu_by_process(os.getpid())
        assert os.getpid() in by_process and by_process[child.pid] >= 0.2
        assert abs(sum(by_process.values()) - tree_cpu_s(os.getpid())) < 0.05
    finally:
        child.kill()
        child.wait()

