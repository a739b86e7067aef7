"""Checks run in parallel on the shared pool: same results as one after another, in registry order."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from refundguard.checks import registry
from refundguard.checks.registry import CheckContext, ClaimInfo
from refundguard.config import default_settings
from refundguard.errors import InputError, NotApplicable
from refundguard.media.load import load_image
from refundguard.parallel import fork, pool_size, shared_pool
from refundguard.scheduling import run_checks


def _image(tmp_path):
    from PIL import Image

    path = tmp_path / "p.png"
    Image.fromarray(np.full((32, 48, 3), 120, np.uint8)).save(path)
    return load_image(path)


def _ctx(tmp_path) -> CheckContext:
    return CheckContext(images=[_image(tmp_path)], roles=["claim"], claim=ClaimInfo(), settings=default_settings())


def _chk(name, run, after=()):
    return registry.Check(name=name, run=run, after=tuple(after), doc="")


def test_independent_checks_overlap_and_results_keep_registry_order(tmp_path):
    started: dict[str, float] = {}
    both = threading.Barrier(2, timeout=10)  # fails unless the two slow checks run at the same time

    def slow(name):
        def run(ctx):
            started[name] = time.monotonic()
            both.wait()
            time.sleep(0.05 if name == "a" else 0.0)  # a finishes last, yet comes first
            ctx.skip(0, en=f"{name} skipped", zh="跳过")
            return [ctx.finding("tamper.local" if name == "a" else "label.visible_ai_text", image=0, score=0.5, en=name,
                                zh=name)]
        return run

    def reader(ctx):
        assert [f.check for f in ctx.prior] == ["a", "b"] and ctx.upstream == {"a": "ran", "b": "ran"}
        ctx.verified("reference", [0], en="v", zh="v")
        return []

    if pool_size() < 2:
        pytest.skip("needs a pool of two threads")
    checks = [_chk("a", slow("a")), _chk("b", slow("b")), _chk("c", reader, after=("a", "b"))]
    out = run_checks(_ctx(tmp_path), checks)
    assert [f.check for f in out.findings] == ["a", "b"], out.statuses
    assert started["a"] < started["b"] + 5
    assert [s.check for s in out.skips] == ["a", "b"] and [v.check for v in out.verifications] == ["c"]
    assert list(out.statuses) == [*registry.IMPORT_ERRORS, "a", "b", "c"]
    assert out.statuses["a"].photos == [{"image": 0, "status": "skipped", "why": "a skipped", "why_zh": "跳过"}]
    assert all(out.statuses[n].status == "ran" for n in "abc")


def test_statuses_of_every_outcome_and_not_requested(tmp_path):
    def na(ctx):
        raise NotApplicable("nothing to do")

    def boom(ctx):
        raise RuntimeError("broken")

    seen = {}

    def after(ctx):
        seen.update(ctx.upstream)
        return []

    checks = [_chk("n", na), _chk("f", boom), _chk("skip", lambda ctx: []), _chk("z", after, after=("n", "f", "skip"))]
    out = run_checks(_ctx(tmp_path), checks, only=["n", "f", "z"])
    assert out.statuses["n"].status == "not_applicable" and out.statuses["n"].why == "nothing to do"
    assert out.statuses["f"].status == "failed" and "RuntimeError: broken" in out.statuses["f"].error
    assert out.statuses["skip"].status == "not_requested"
    assert seen == {"n": "not_applicable", "f": "failed", "skip": "not_requested"}


def test_input_error_is_raised_after_running_checks_finish(tmp_path):
    finished = threading.Event()

    def slow(ctx):
        time.sleep(0.1)
        finished.set()
        return []

    def bad(ctx):
        raise InputError("unusable photo")

    with pytest.raises(InputError, match="unusable photo"):
        run_checks(_ctx(tmp_path), [_chk("bad", bad), _chk("slow", slow)])
    assert finished.is_set()


def test_one_pool_per_process_and_fork_never_waits_on_a_full_pool():
    assert shared_pool() is shared_pool()
    hold = threading.Event()
    blockers = [shared_pool().submit(hold.wait, 10) for _ in range(pool_size())]  # every worker busy
    try:
        started = time.monotonic()
        assert fork(lambda x: x * 2, 21).result() == 42  # taken back and run here
        assert time.monotonic() - started < 5
    finally:
        hold.set()
        for b in blockers:
            b.result()


def test_the_shared_pool_gives_its_threads_one_malloc_arena():
    """On glibc the pool's threads share one malloc arena (working arrays freed by one check are reused by the next
    instead of fresh pages); elsewhere the switch is not there and nothing changes."""
    import platform

    from refundguard.parallel import share_malloc_arena

    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert share_malloc_arena() is glibc


def test_heavy_checks_never_run_at_once_and_light_ones_run_beside_them(tmp_path):
    """Two checks marked heavy (large working arrays) run one after the other; a light check overlaps a heavy
    one; the results are in registry order as always."""
    if pool_size() < 2:
        pytest.skip("needs a pool of two threads")
    lock = threading.Lock()
    running: set[str] = set()
    overlaps: list[frozenset[str]] = []
    light_with_heavy = threading.Barrier(2, timeout=10)  # fails unless the light check runs beside a heavy one

    def work(name):
        def run(ctx):
            with lock:
                running.add(name)
                overlaps.append(frozenset(running))
            if name in ("heavy1", "light"):
                light_with_heavy.wait()
            time.sleep(0.05)
            with lock:
                running.discard(name)
            return [ctx.finding("tamper.local", image=0, score=0.5, en=name, zh=name)]
        return run

    checks = [registry.Check(name="heavy1", run=work("heavy1"), after=(), doc="", heavy=True),
              registry.Check(name="heavy2", run=work("heavy2"), after=(), doc="", heavy=True),
              registry.Check(name="light", run=work("light"), after=(), doc="")]
    out = run_checks(_ctx(tmp_path), checks)
    assert [f.check for f in out.findings] == ["heavy1", "heavy2", "light"], out.statuses
    assert not any({"heavy1", "heavy2"} <= seen for seen in overlaps), overlaps
    assert any({"heavy1", "light"} <= seen for seen in overlaps), overlaps


def test_a_heavy_check_never_runs_beside_a_light_checks_heavy_part_and_runs_beside_its_light_part(tmp_path):
    """A light check with a heavy part (the reference check's change search): the heavy check runs beside its
    light part, the heavy part waits for the heavy check; a heavy check that becomes ready while a heavy part
    runs is not started until it ends."""
    if pool_size() < 2:
        pytest.skip("needs a pool of two threads")
    lock = threading.Lock()
    running: set[str] = set()
    overlaps: list[frozenset[str]] = []
    light_with_heavy = threading.Barrier(2, timeout=10)  # fails unless the light part runs beside the heavy check

    def note(name, on):
        with lock:
            (running.add if on else running.discard)(name)
            overlaps.append(frozenset(running))

    def heavy(ctx):
        note("heavy", True)
        light_with_heavy.wait()
        time.sleep(0.05)
        note("heavy", False)
        return []

    def parted(ctx):
        note("light_part", True)
        light_with_heavy.wait()
        note("light_part", False)
        with ctx.heavy_part():
            note("heavy_part", True)
            time.sleep(0.05)
            note("heavy_part", False)
        return []

    def late(ctx):  # ready only after "quick": "parted" may be in its heavy part by then
        note("late", True)
        time.sleep(0.01)
        note("late", False)
        return []

    checks = [registry.Check(name="parted", run=parted, after=(), doc=""),
              registry.Check(name="heavy", run=heavy, after=(), doc="", heavy=True),
              registry.Check(name="quick", run=lambda ctx: [], after=(), doc=""),
              registry.Check(name="late", run=late, after=("quick",), doc="", heavy=True)]
    ctx = _ctx(tmp_path)
    out = run_checks(ctx, checks)
    assert all(st.status == "ran" for st in out.statuses.values()), out.statuses
    assert any({"heavy", "light_part"} <= seen for seen in overlaps), overlaps
    assert not any({"heavy", "heavy_part"} <= seen or {"late", "heavy_part"} <= seen or {"late", "heavy"} <= seen
                   for seen in overlaps), overlaps
    assert not ctx.heavy_lock.locked()


def test_a_heavy_check_held_back_starts_as_the_heavy_part_ends_not_when_the_light_check_ends(tmp_path):
    if pool_size() < 2:
        pytest.skip("needs a pool of two threads")
    in_part = threading.Event()
    heavy_started = threading.Event()
    seen: dict[str, bool] = {}

    def parted(ctx):
        with ctx.heavy_part():
            in_part.set()
            time.sleep(0.1)  # the scheduler tries the heavy check meanwhile, and holds it back
        seen["heavy started while the light check ran on"] = heavy_started.wait(timeout=10)
        return []

    def heavy(ctx):
        heavy_started.set()
        return []

    def gate(ctx):  # the heavy check becomes ready only once the heavy part is held
        in_part.wait(timeout=10)
        return []

    checks = [registry.Check(name="parted", run=parted, after=(), doc=""),
              registry.Check(name="gate", run=gate, after=(), doc=""),
              registry.Check(name="heavy", run=heavy, after=("gate",), doc="", heavy=True)]
    out = run_checks(_ctx(tmp_path), checks)
    assert all(st.status == "ran" for st in out.statuses.values()), out.statuses
    assert seen == {"heavy started while the light check ran on": True}


def test_the_registry_marks_tamper_heavy_and_the_reference_check_has_a_heavy_part():
    heavy = {c.name for c in registry.registered() if c.heavy}
    assert heavy == {"tamper"}


def test_large_blocks_are_mmapped_and_given_back_when_freed():
    """With the pool's malloc settings a freed 12 MP float32 plane leaves the resident set (glibc would otherwise
    keep blocks under its raised mmap threshold in the heap after an earlier large block was freed). Measured in
    a fresh interpreter, as a CLI analysis starts: inside the test run the heap already holds resident free
    space from earlier tests, which a new block may reuse whatever the threshold."""
    import os
    import platform
    import subprocess
    import sys

    if not (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"):
        pytest.skip("glibc only")
    script = """
import os
import numpy as np
from refundguard.parallel import share_malloc_arena

share_malloc_arena()


def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


warm = np.ones(30 * 1024 * 1024, np.uint8)  # a large mmapped block freed: glibc's own threshold would rise
del warm
before = rss()
plane = np.ones(24 * 1024 * 1024, np.uint8)  # 24 MiB: under the raised threshold, over ours
grown = rss() - before
del plane
print(grown, rss() - before)
"""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    grown, left = (int(v) for v in out.stdout.split())
    assert grown > 20 * 1024 * 1024
    assert left < 4 * 1024 * 1024
