"""How many cores other processes are using: the local model generates on the rest.

llama.cpp's threads wait for one another at every step of the model, so a thread on a core
that another process is using holds every step back. Measured on 2 cores with the packaged
1.5B model (``bench/README.md``, "Generating threads"): idle, 2 threads step in ~88 ms and 1
in ~150 ms; with the other core busy, 2 threads take ~270 ms and 1 still ~150 ms. A fixed
count is wrong half the time, so the count is chosen before every generation from what
other processes used since the last one ended (``/proc/stat``'s busy time of all CPUs,
less this process's own CPU time)::

    watch = CoreWatch()
    ...                     # other work, other processes
    watch.others()          # e.g. 0.03: cores used by other processes meanwhile, on average
    ...                     # a generation
    watch.mark()            # the next window starts here

Where ``/proc/stat`` is missing (macOS, Windows) ``others()`` is None and the caller keeps
its fixed default.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

__all__ = ["CoreWatch", "cpu_seconds"]

_STAT = Path("/proc/stat")


def cpu_seconds() -> tuple[float, float] | None:
    """``(busy, own)``: CPU seconds all CPUs spent busy since boot (user, nice, system,
    irq, softirq, steal: not idle or iowait), and seconds this process has used (all its
    threads); None without ``/proc/stat``."""
    try:
        first = _STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not first or first[0] != "cpu" or len(first) < 9:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    ticks = os.sysconf("SC_CLK_TCK")
    own = os.times()
    return (user + nice + system + irq + softirq + steal) / ticks, own.user + own.system


class CoreWatch:
    """Cores used by other processes between two calls of ``others``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = (time.monotonic(), cpu_seconds())
        self._value: float | None = None

    #: A shorter window says nothing (a tick is 10 ms): the last answer stands.
    MIN_WINDOW_S = 0.2

    def mark(self) -> None:
        """Start the next window now (the end of a generation: what this process did
        during it says nothing about the others' next seconds)."""
        with self._lock:
            self._last = (time.monotonic(), cpu_seconds())

    def others(self) -> float | None:
        """Average number of cores other processes kept busy since the last call or
        ``mark`` (or since this watch was made); None where it cannot be read."""
        now, reading = time.monotonic(), cpu_seconds()
        with self._lock:
            then, before = self._last
            if reading is None or before is None:
                return None
            if now - then < self.MIN_WINDOW_S:
                return self._value
            self._last = (now, reading)
            busy = (reading[0] - before[0]) - (reading[1] - before[1])
            self._value = max(0.0, busy / (now - then))
            return self._value
