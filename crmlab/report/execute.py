"""Execute chapter notebooks with papermill, in parallel, with a progress display and logs.

Each chapter runs in its own ``python -m papermill`` subprocess (one kernel each) with the
``python3`` kernel, which in a virtual environment is this interpreter's ipykernel. The kernel's
working directory is the caller's, so a relative ``dataset`` path means what the user typed,
and :data:`crmlab.notebook.NOTEBOOKS_ENV` tells :func:`crmlab.notebook.setup` where the source
notebooks are.

With a :class:`~crmlab.report.cache.Cache`, a chapter whose key (source, parameters, data,
code, lock files) is unchanged is not run: its executed notebook and log are copied from the
cache, and the progress line says ``cached`` instead of the run time. Only successful runs
are stored.

A kernel that dies before it answers its first message is started again, up to
:data:`KERNEL_START_ATTEMPTS` times. No cell has run then, so a new attempt repeats nothing.
Kernels started at the same moment by separate processes can lose a race for their ports:
jupyter_client chooses five free ports and releases them before the kernel binds them, so
another process may take one in between (nteract/papermill#511). The log keeps every attempt.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from ..notebook import NOTEBOOKS_ENV
from .profiles import ChapterRun

KERNEL = "python3"
KERNEL_START_ATTEMPTS = 3
# jupyter_client's words when a kernel never became ready (client._async_wait_for_ready)
_KERNEL_NOT_READY = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


@dataclass
class RunResult:
    run: ChapterRun
    output: Path
    log: Path
    ok: bool
    seconds: float
    error: str | None = None  # "cell 7 (In [5]): ValueError: ..."
    cached: bool = False  # reused from the execution cache (not run)
    key: str | None = None  # execution cache key (None without a cache)

    def describe_failure(self) -> str:
        return (f"chapter {self.run.chapter} ({self.run.lang}) failed: {self.error}\n"
                f"  log: {self.log}\n  executed notebook: {self.output}")


def _first_error(path: Path) -> str | None:
    """Locate the failing cell of an executed notebook: number, first line, error."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # the kernel died before papermill saved anything useful
        return None
    number = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "papermill-error-cell-tag" in tags or "injected-parameters" in tags:
            continue
        number += 1
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                first = (cell.source.strip().splitlines() or [""])[0][:80]
                return (f"cell {number} (In [{cell.get('execution_count')}]: {first!r}): "
                        f"{out.get('ename')}: {out.get('evalue')}")
    return None


def _log_tail(log: Path, n: int = 6) -> str:
    try:
        lines = [x for x in log.read_text(encoding="utf-8", errors="replace").splitlines()
                 if x.strip()]
    except OSError:
        return "no log"
    return " | ".join(lines[-n:])


def _write_parameters(run: ChapterRun, log: Path) -> Path:
    params_file = log.with_suffix(".parameters.yml")
    params_file.write_text(yaml.safe_dump(run.parameters, allow_unicode=True, sort_keys=True),
                           encoding="utf-8")
    return params_file


def _kernel_never_ready(output: Path, log: Path, since: int = 0) -> bool:
    """True when the kernel died or hung at start-up: no cell ran, and jupyter_client said so
    in ``log`` after byte ``since`` (this attempt's part)."""
    try:
        with open(log, "rb") as fh:
            fh.seek(since)
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return False
    if not any(words in text for words in _KERNEL_NOT_READY):
        return False
    try:
        nb = nbformat.read(output, as_version=4)
    except Exception:  # papermill saved nothing (or half a file): nothing ran either
        return True
    return all(cell.get("execution_count") is None and not cell.get("outputs")
               for cell in nb.cells if cell.cell_type == "code")


def execute_one(run: ChapterRun, output: Path, log: Path, *, cwd: Path | None = None,
                timeout: int | None = None) -> RunResult:
    """Run one chapter with papermill into ``output``; the log goes to ``log``.

    A kernel that never becomes ready is started again (:data:`KERNEL_START_ATTEMPTS`)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    params_file = _write_parameters(run, log)
    cmd = [sys.executable, "-m", "papermill", str(run.source), str(output),
           "-f", str(params_file), "-k", KERNEL, "--cwd", str(cwd or Path.cwd()),
           "--log-output", "--no-progress-bar"]
    if timeout:
        cmd += ["--execution-timeout", str(timeout)]
    env = dict(os.environ)
    env[NOTEBOOKS_ENV] = str(run.source.parent.resolve())
    env["PYTHONHASHSEED"] = "0"  # set iteration order, for the same output twice
    env.setdefault("MPLBACKEND", "Agg")
    start = time.perf_counter()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        with open(log, "w" if attempt == 1 else "a", encoding="utf-8") as fh:
            if attempt > 1:
                fh.write(f"\n# crmlab: the kernel never became ready (above); start "
                         f"{attempt} of {KERNEL_START_ATTEMPTS}\n")
            fh.write(f"$ {' '.join(cmd)}\n")
            fh.flush()
            since = fh.tell()
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        never_ready = proc.returncode != 0 and _kernel_never_ready(output, log, since)
        if not never_ready:
            break
    seconds = time.perf_counter() - start
    if proc.returncode == 0:
        return RunResult(run, output, log, True, seconds)
    error = _first_error(output) if output.exists() else None
    if never_ready:
        error = (f"the {KERNEL} kernel did not start ({KERNEL_START_ATTEMPTS} attempts); "
                 f"`jupyter kernelspec list` shows which one papermill starts: "
                 f"{_log_tail(log, 3)}")
    return RunResult(run, output, log, False, seconds,
                     error or f"papermill exited with {proc.returncode}: {_log_tail(log)}")


def from_cache(run: ChapterRun, output: Path, log: Path, cache, key: str) -> RunResult | None:
    """The cached execution of ``run`` copied to ``output`` and ``log``, or None (a miss)."""
    entry = cache.get("executions", key, needs=("notebook.ipynb", "run.log"))
    if entry is None or not cache.copy_out(entry, "notebook.ipynb", output):
        return None
    try:
        original = entry.file("run.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    first = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.meta.get("created", 0)))
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"# reused from the crmlab execution cache: entry {key[:16]}, run {first} "
                   f"in {entry.meta.get('seconds', 0):.1f} s (--no-cache runs it again)\n"
                   + original, encoding="utf-8")
    _write_parameters(run, log)
    return RunResult(run, output, log, True, 0.0, cached=True, key=key)


def execute_cached(run: ChapterRun, output: Path, log: Path, *, cache=None,
                   key: str | None = None, parts: dict | None = None,
                   cwd: Path | None = None, timeout: int | None = None,
                   on_start=None) -> RunResult:
    """:func:`execute_one` through the cache: reuse the entry ``key``, or run and store the
    result if the run succeeded (a failed run is never stored)."""
    if cache is not None and key is not None:
        hit = from_cache(run, output, log, cache, key)
        if hit is not None:
            return hit
    if on_start is not None:
        on_start(run)
    res = execute_one(run, output, log, cwd=cwd, timeout=timeout)
    res.key = key
    if res.ok and cache is not None and key is not None:
        cache.put("executions", key, {"notebook.ipynb": output, "run.log": log},
                  meta={"chapter": run.chapter, "lang": run.lang, "seconds": res.seconds,
                        "parameters": run.parameters, "parts": parts or {}})
    return res


class Progress:
    """Per-chapter status with elapsed time, printed as lines (and a total at the end)."""

    def __init__(self, runs: list[ChapterRun], stream=None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.start = time.perf_counter()
        self.lock = threading.Lock()
        self.total = len(runs)
        self.done = 0
        self.width = max((len(r.label) for r in runs), default=10) + 2

    def _say(self, text: str) -> None:
        if self.enabled:
            with self.lock:
                print(text, file=self.stream, flush=True)

    def started(self, run: ChapterRun) -> None:
        self._say(f"  … {run.label:<{self.width}} running")

    def finished(self, result: RunResult) -> None:
        with self.lock:
            self.done += 1
            done = self.done
        if result.cached:
            what = "cached"
        else:
            what = f"{result.seconds:.1f} s" + ("" if result.ok else "  FAILED")
        self._say(f"  {'✓' if result.ok else '✗'} {result.run.label:<{self.width}}{what:<10}"
                  f"  [{done}/{self.total}, {time.perf_counter() - self.start:.1f} s total]")


def execute_all(runs: list[ChapterRun], out_dirs: dict[str, Path], *, jobs: int = 2,
                keep_going: bool = False, cwd: Path | None = None,
                progress: Progress | None = None, cache=None,
                fingerprints=None) -> list[RunResult]:
    """Run every chapter (up to ``jobs`` at once). ``out_dirs[lang]`` receives
    ``executed/<chapter>.ipynb`` and ``executed/<chapter>.log``.

    Without ``keep_going`` no new chapter starts after a failure (running ones finish).
    With ``cache`` (a :class:`~crmlab.report.cache.Cache`), unchanged chapters are copied
    from it; ``fingerprints`` (a :class:`~crmlab.report.cache.Fingerprints`) computes the keys.
    """
    stop = threading.Event()
    results: dict[int, RunResult] = {}
    keys: dict[int, tuple[str, dict]] = {}
    if cache is not None:
        from .cache import Fingerprints

        fingerprints = fingerprints or Fingerprints(cwd=cwd or Path.cwd())
        keys = {i: fingerprints.chapter(run) for i, run in enumerate(runs)}

    def work(i: int, run: ChapterRun):
        if stop.is_set():
            return
        base = out_dirs[run.lang] / "executed"
        key, parts = keys.get(i, (None, None))
        res = execute_cached(run, base / f"{run.chapter}.ipynb", base / f"{run.chapter}.log",
                             cache=cache, key=key, parts=parts, cwd=cwd,
                             on_start=progress.started if progress else None)
        results[i] = res
        if progress:
            progress.finished(res)
        if not res.ok and not keep_going:
            stop.set()

    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        list(pool.map(lambda a: work(*a), enumerate(runs)))
    return [results[i] for i in sorted(results)]
