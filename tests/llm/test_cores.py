"""The cores other processes use (rag.llm.cores), read from /proc/stat with a real busy
process, and the threads the local model gets for them (rag.llm.llamacpp.threads_now)."""

from __future__ import annotations

import subprocess
import sys
import time

from rag.llm.cores import CoreWatch, cpu_seconds
from rag.llm.llamacpp import threads_now


def test_a_busy_process_is_seen_and_this_process_own_work_is_not():
    assert cpu_seconds() is not None  # Linux: what CI and the bench run on
    watch = CoreWatch()
    time.sleep(0.5)
    watch.others()  # whatever ran before this test
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.5)
        spinning = watch.others()
    finally:
        busy.kill()
        busy.wait()
    watch.others()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        pass  # this process's own work
    own = watch.others()
    # Relative to each other, so a machine's background load does not decide the test.
    assert spinning is not None and own is not None
    assert spinning > 0.6 and own < spinning - 0.5, (spinning, own)


def test_a_window_too_short_to_measure_keeps_the_last_reading():
    watch = CoreWatch()
    time.sleep(CoreWatch.MIN_WINDOW_S + 0.1)
    first = watch.others()
    assert first is not None and watch.others() == first


def test_threads_follow_the_free_cores():
    assert threads_now(0.0, cores=2) == (2, 2)
    assert threads_now(0.4, cores=2) == (2, 2)
    assert threads_now(0.7, cores=2) == (1, 1)
    assert threads_now(3.0, cores=2) == (1, 1)  # never fewer than one
    assert threads_now(0.0, cores=16) == (8, 16)  # half the logical cores generate
    assert threads_now(5.2, cores=16) == (8, 11)
    assert threads_now(12.0, cores=16) == (4, 4)
    assert threads_now(None, cores=2) == (1, 2)  # unknown: the load-time default
