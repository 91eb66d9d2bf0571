"""Progress of long runs on standard error: elapsed time, rate and an estimate of what is left.

On a terminal a live bar (rich); in a log (not a terminal) one line every ``every`` seconds, so
CI logs and ``nohup`` runs still show that work goes on. Nothing when ``quiet``.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


@contextmanager
def progress_reporter(description: str, unit: str, quiet: bool = False, every: float = 10.0):
    """A callback ``update(done, total, amount)`` for the duration of the ``with`` block.

    Parameters
    ----------
    description : str
        What is being done ("checking", "generating").
    unit : str
        What ``amount`` counts ("segments"); the rate is shown in it.
    quiet : bool
        Report nothing.
    every : float, seconds
        Interval of the log lines when standard error is not a terminal.
    """
    if quiet:
        yield lambda done, total, amount: None
        return
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("tiles"),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
        start = time.perf_counter()
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(description, total=None, rate="")

            def update(done: int, total: int, amount: int) -> None:
                rate = amount / max(time.perf_counter() - start, 1e-9)
                bar.update(task, completed=done, total=total, rate=f"{rate:,.0f} {unit}/s")

            yield update
        return
    start = last = time.perf_counter()

    def log(done: int, total: int, amount: int) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last < every:
            return
        last = now
        elapsed = now - start
        left = elapsed / done * (total - done) if done else float("nan")
        print(f"vkls: {description}: {done}/{total} tiles, {amount:,} {unit}, {amount / max(elapsed, 1e-9):,.0f} "
              f"{unit}/s, {elapsed:.0f} s elapsed, about {left:.0f} s left", file=sys.stderr, flush=True)

    yield log
