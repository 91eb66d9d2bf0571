"""Worker threads kept for the life of the process.

Python threads run the parts of the work that are numba kernels releasing the GIL (the grid's
two halves) or numpy (the rules). Making new threads for every check costs more than their
start: a new thread's first arrays come from a fresh malloc arena, every page faulted in
(with new threads per check, the five pairwise rules on a 1.3e6-segment city took 13 ms
instead of 10).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_POOLS: dict = {}  # name -> (process id, executor)
_LOCK = threading.Lock()


def worker_threads(name: str, threads: int = 2) -> ThreadPoolExecutor:
    """The pool ``name`` of ``threads`` threads, made on first use and again in a forked child (where the
    parent's threads do not exist). Each user has its own pool, so that work in one pool never waits
    for a pool whose threads wait for it."""
    with _LOCK:
        pid, pool = _POOLS.get(name, (None, None))
        if pool is None or pid != os.getpid():
            pool = ThreadPoolExecutor(threads, thread_name_prefix=f"vkls-{name}")
            _POOLS[name] = (os.getpid(), pool)
        return pool
