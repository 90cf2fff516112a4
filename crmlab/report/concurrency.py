"""Processes working side by side: one lock primitive and one process pool for the reports.

- :func:`file_lock`: an exclusive lock on a file, for the execution cache's index, an output
  folder being built and the font folder (several builds, handouts or test workers at once).
- :func:`process_pool`: worker processes *started afresh* (``spawn``), never forked. A build
  process has threads (DuckDB's and jemalloc's, BLAS's), and a child forked from a process
  with threads can deadlock on a lock one of them held at that moment; Python 3.12 warns of
  it and 3.14 stopped forking by default. Starting a worker costs about a second of imports.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

try:  # POSIX; elsewhere writes stay atomic (rename) but are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


@contextlib.contextmanager
def file_lock(path: Path, on_wait=None):
    """Hold an exclusive lock on the file ``path`` (made if missing) inside the block; other
    processes asking for it wait. ``on_wait()`` is called once if the lock is busy, before
    waiting (to tell the user why nothing happens). The lock dies with its process, so a
    killed build never leaves it held."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        if fcntl is not None:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                fcntl.flock(fh, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh (spawned) processes."""
    return ProcessPoolExecutor(max_workers=max(1, int(workers)),
                               mp_context=multiprocessing.get_context("spawn"))
