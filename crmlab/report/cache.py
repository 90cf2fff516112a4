"""The execution cache of ``crmlab build``, ``crmlab run`` and ``crmlab handouts``.

An executed chapter is reused only when everything that could change its outputs is unchanged.
Its key is the SHA-256 of:

- the chapter's *source*: each cell's type, source and tags (outputs, execution counts and
  other metadata are noise and left out), and the kernel;
- the *resolved parameters* (canonical JSON) and the chapter and language;
- the *data read*: a streaming SHA-256 of every file a parameter names (``dataset``, a YAML
  rule file...), with its absolute path, and the SHA-256 of every shipped data file (the
  ``data/`` folder and the CDNOW/donations files inside ``lifetimes``), so a built-in data
  set is identified by its content, not only by its name;
- the *crmlab code*: the SHA-256 of every file of the installed package (sources, rule
  tables, report templates);
- the *lock files* (``requirements*.lock``; without them, the installed distributions and
  their versions) and the Python version.

Rendered outputs (the thesis HTML and PDF of a language, handout pages) are stored the same
way, keyed by the keys of the chapters they are made from, the profile, the bibliography, the
options and the code; so when no chapter and no template changed, nothing is rendered again
and the files are byte-identical (the appendix keeps the build time and git commit of the
rendering; a commit that changes no input does not render again).

Why our own store and not jupyter-cache: jupyter-cache keys an execution on the notebook's
code cells only. It knows nothing of the data a notebook reads, of the parameters papermill
injects, or of the library code the cells call, so a changed CSV under the same name or a
fixed bug in crmlab would silently reuse stale results. Adding those parts around it would
leave two stores to keep consistent (its SQLite index and ours); a content-addressed folder
with an atomic rename is about 300 lines, needs no new dependency, and is safe with several
processes at once.

Layout (one documented place): ``$CRMLAB_CACHE`` (default ``~/.cache/crmlab``, where the PDF
fonts are cached too)::

    executions/<k[:2]>/<key>/   notebook.ipynb, run.log, entry.json
    renders/<k[:2]>/<key>/      thesis.html, thesis.pdf, ..., entry.json
    tmp/                        entries being written (renamed into place when complete)

An entry is written into ``tmp/`` and renamed into place in one step, only after a
successful run, so a reader sees a complete entry or none. The size is bounded by
``$CRMLAB_CACHE_SIZE`` (bytes, or with a unit: ``500M``, ``2G``; default 2 GB): after each
write, the least recently used entries (a hit refreshes ``entry.json``'s time) are removed
until the cache fits. ``crmlab cache clear`` empties it, ``crmlab cache info`` shows it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import nbformat

from ..errors import ParameterError
from .concurrency import file_lock


#: Bump when the entry layout or the key recipe changes.
FORMAT = 1
CACHE_ENV = "CRMLAB_CACHE"
SIZE_ENV = "CRMLAB_CACHE_SIZE"
DEFAULT_SIZE = 2 * 1024 ** 3
KINDS = ("executions", "renders")
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_DIR.parent
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


# --------------------------------------------------------------------------------------------
# where and how big
# --------------------------------------------------------------------------------------------
def default_root() -> Path:
    """``$CRMLAB_CACHE``, else ``$XDG_CACHE_HOME/crmlab`` or ``~/.cache/crmlab``."""
    root = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "crmlab")
    return Path(root)


def parse_size(text: str | int) -> int:
    """``"2G"``, ``"500M"``, ``"1.5GB"`` or a number of bytes → bytes."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*", str(text), re.I)
    if not m:
        raise ParameterError(
            f"{SIZE_ENV}={text!r} is not a size; write bytes or a number with a unit, "
            "e.g. CRMLAB_CACHE_SIZE=500M or 2G.")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def default_size() -> int:
    value = os.environ.get(SIZE_ENV)
    return parse_size(value) if value else DEFAULT_SIZE


# --------------------------------------------------------------------------------------------
# fingerprints
# --------------------------------------------------------------------------------------------
def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """Streaming SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(root: Path, *, skip: Iterable[str] = ()) -> str:
    """SHA-256 over the relative paths and contents of every file under ``root``."""
    skip = set(skip) | {"__pycache__", ".ipynb_checkpoints"}
    h = hashlib.sha256()
    if not root.exists():
        return h.hexdigest()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            path = Path(dirpath) / name
            h.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
            h.update(file_digest(path).encode("ascii") + b"\n")
    return h.hexdigest()


def source_digest(path: Path) -> str:
    """The chapter source: each cell's type, source and tags, and the kernel; no outputs."""
    nb = nbformat.read(path, as_version=4)
    cells = [[c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", []))]
             for c in nb.cells]
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    return _digest({"cells": cells, "kernel": kernel})


def code_digest(package_dir: Path | None = None) -> str:
    """SHA-256 of the crmlab package: every source file, rule table and template."""
    return tree_digest(package_dir or PACKAGE_DIR)


def lock_digest(project_root: Path | None = None) -> str:
    """The lock files (``requirements*.lock``) and Python version; without lock files, the
    installed distributions and their versions."""
    root = project_root or PROJECT_ROOT
    locks = sorted(root.glob("requirements*.lock"))
    if locks:
        parts = {p.name: file_digest(p) for p in locks}
    else:
        from importlib import metadata

        parts = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    return _digest({"locks": parts, "python": sys.version})


def shipped_data_files() -> list[Path]:
    """The data files crmlab ships or reads by name (``data/``; lifetimes' data sets)."""
    import importlib.util

    files = []
    try:
        from ..datasets import data_dir

        roots = [data_dir()]
    except Exception:  # no data folder: the built-in data sets cannot load either
        roots = []
    with contextlib.suppress(Exception):  # found without importing lifetimes (seconds)
        spec = importlib.util.find_spec("lifetimes")
        roots.append(Path(list(spec.submodule_search_locations)[0]) / "datasets")
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("raw", "__pycache__")
                                 and not d.startswith("."))
            files += [Path(dirpath) / n for n in sorted(filenames)
                      if not n.endswith((".py", ".pyc")) and not n.startswith(".")]
    return files


@dataclass
class Fingerprints:
    """Computes key parts, each file hashed at most once per instance (one build).

    ``package_dir`` and ``project_root`` are there for tests (a copied package, other locks).
    """

    cwd: Path = field(default_factory=Path.cwd)
    package_dir: Path | None = None
    project_root: Path | None = None
    _files: dict = field(default_factory=dict, repr=False)
    _fixed: dict = field(default_factory=dict, repr=False)

    def file(self, path: Path) -> str:
        path = path.resolve()
        st = path.stat()
        sig = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        if sig not in self._files:
            self._files[sig] = file_digest(path)
        return self._files[sig]

    def _once(self, name, make):
        if name not in self._fixed:
            self._fixed[name] = make()
        return self._fixed[name]

    @property
    def code(self) -> str:
        return self._once("code", lambda: code_digest(self.package_dir))

    @property
    def locks(self) -> str:
        return self._once("locks", lambda: lock_digest(self.project_root))

    @property
    def shipped(self) -> str:
        return self._once("shipped", lambda: _digest(
            {str(p): self.file(p) for p in shipped_data_files()}))

    def data(self, parameters: dict) -> dict:
        """Content fingerprints of the files the parameter values name (absolute path and
        SHA-256), plus the shipped data."""
        found: dict[str, dict] = {}

        def visit(name, value):
            if isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    visit(f"{name}[{i}]", v)
            elif isinstance(value, dict):
                for k, v in value.items():
                    visit(f"{name}.{k}", v)
            elif isinstance(value, str) and value.strip() and len(value) < 4096:
                path = Path(value.strip()).expanduser()
                path = path if path.is_absolute() else self.cwd / path
                with contextlib.suppress(OSError, ValueError):
                    if path.is_file():
                        found[name] = {"path": str(path.resolve()), "sha256": self.file(path)}

        for k, v in sorted(parameters.items()):
            visit(k, v)
        return {"files": found, "shipped": self.shipped}

    def chapter(self, run) -> tuple[str, dict]:
        """The key of one chapter run (a :class:`~crmlab.report.profiles.ChapterRun`) and
        its parts."""
        from .execute import KERNEL

        # resolved: the declared defaults with the given values over them, so that giving a
        # parameter its default value is the same run as not giving it
        resolved = {**{n: p.default for n, p in (run.declared or {}).items()},
                    **run.parameters}
        parts = {
            "format": FORMAT,
            "chapter": run.chapter,
            "lang": run.lang,
            "source": source_digest(Path(run.source)),
            "parameters": _digest(resolved),
            "data": _digest(self.data(resolved)),
            "code": self.code,
            "locks": self.locks,
            "kernel": KERNEL,
        }
        return _digest(parts), parts

    def render(self, **parts) -> str:
        """The key of a rendered output made from ``parts`` (chapter keys, options...)."""
        return _digest({"format": FORMAT, "code": self.code, "locks": self.locks, **parts})


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------
@dataclass
class Entry:
    kind: str
    key: str
    path: Path
    size: int
    used: float
    meta: dict

    def file(self, name: str) -> Path:
        return self.path / name


class Cache:
    """A content-addressed store of executed notebooks and rendered files.

    Parameters
    ----------
    root : path, optional
        Cache folder (default :func:`default_root`).
    max_bytes : int or str, optional
        Size bound (default ``$CRMLAB_CACHE_SIZE`` or 2 GB).
    """

    def __init__(self, root: str | Path | None = None, max_bytes: int | str | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.max_bytes = parse_size(max_bytes) if max_bytes is not None else default_size()

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r}, max_bytes={self.max_bytes})"

    # -- paths and locking -------------------------------------------------------------------
    def _dir(self, kind: str, key: str) -> Path:
        if kind not in KINDS or not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"bad cache entry {kind}/{key}")
        return self.root / kind / key[:2] / key

    def _locked(self):
        return file_lock(self.root / ".lock")

    # -- reading -----------------------------------------------------------------------------
    def get(self, kind: str, key: str, needs: Iterable[str] = ()) -> Entry | None:
        """The complete entry for ``key`` holding the files ``needs``, or None. A hit
        refreshes the entry's time (least recently used eviction)."""
        path = self._dir(kind, key)
        try:
            meta = json.loads((path / "entry.json").read_text(encoding="utf-8"))
            if any(not (path / n).is_file() for n in needs):
                return None
            os.utime(path / "entry.json")
        except (OSError, ValueError):
            return None
        return Entry(kind, key, path, int(meta.get("size", 0)), time.time(), meta)

    def copy_out(self, entry: Entry, name: str, dest: Path) -> bool:
        """Copy one file of an entry to ``dest`` atomically; False if the entry vanished
        (evicted by another process meanwhile)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            shutil.copyfile(entry.file(name), tmp)
            os.replace(tmp, dest)
            return True
        except OSError:
            tmp.unlink(missing_ok=True)
            return False

    # -- writing -----------------------------------------------------------------------------
    def put(self, kind: str, key: str, files: dict[str, Path], meta: dict | None = None
            ) -> Entry | None:
        """Store copies of ``files`` (name → path) as the entry ``key``, atomically.

        An existing entry with the same key is replaced only when it lacks some of the
        names (e.g. a PDF added to an HTML-only render). Never raises on a cache problem: a
        cache that cannot be written is a slower build, not a failed one.
        """
        final = self._dir(kind, key)
        tmp_root = self.root / "tmp"
        staging = tmp_root / f"{key[:16]}-{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir(parents=True)
            size = 0
            for name, src in files.items():
                shutil.copyfile(src, staging / name)
                size += (staging / name).stat().st_size
            info = {"kind": kind, "key": key, "format": FORMAT, "files": sorted(files),
                    "size": size, "created": time.time(), **(meta or {})}
            (staging / "entry.json").write_text(json.dumps(info, ensure_ascii=False,
                                                           indent=1, default=str),
                                                encoding="utf-8")
            final.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                if self.get(kind, key, needs=files) is not None:  # a twin process was first
                    shutil.rmtree(staging, ignore_errors=True)
                else:
                    if final.exists():
                        self._remove(final)
                    os.rename(staging, final)
                self._evict(keep=final)
            return self.get(kind, key)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            print(f"crmlab: warning: could not write the cache entry {kind}/{key[:12]} "
                  f"({exc}); continuing without it.", file=sys.stderr)
            return None

    def _remove(self, path: Path) -> None:
        """Take an entry out in one rename (readers see it whole or gone), then delete it."""
        trash = self.root / "tmp" / f"old-{path.name[:16]}-{uuid.uuid4().hex[:8]}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    # -- inspection, eviction, clearing ------------------------------------------------------
    def entries(self) -> list[Entry]:
        out = []
        for kind in KINDS:
            base = self.root / kind
            if not base.is_dir():
                continue
            for meta_path in base.glob("??/*/entry.json"):
                try:
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                    used = meta_path.stat().st_mtime
                except (OSError, ValueError):
                    continue
                out.append(Entry(kind, meta_path.parent.name, meta_path.parent,
                                 int(meta.get("size", 0)), used, meta))
        return out

    def size(self) -> int:
        return sum(e.size for e in self.entries())

    def _evict(self, keep: Path | None = None) -> list[Entry]:
        entries = sorted(self.entries(), key=lambda e: e.used)
        total = sum(e.size for e in entries)
        removed = []
        for e in entries:
            if total <= self.max_bytes:
                break
            if keep is not None and e.path == keep:
                continue
            self._remove(e.path)
            total -= e.size
            removed.append(e)
        if total > self.max_bytes and keep is not None and keep.exists():
            self._remove(keep)  # larger than the whole bound: not kept
        return removed

    def evict(self) -> list[Entry]:
        """Remove least recently used entries until the cache fits its bound."""
        with self._locked():
            return self._evict()

    def clear(self) -> tuple[int, int]:
        """Remove every execution and render entry (the font cache stays).
        Returns (entries, bytes) removed."""
        with self._locked():
            entries = self.entries()
            for kind in KINDS:
                if (self.root / kind).exists():
                    self._remove(self.root / kind)
            shutil.rmtree(self.root / "tmp", ignore_errors=True)
        return len(entries), sum(e.size for e in entries)


def resolve(cache) -> Cache | None:
    """``cache`` argument of the builders: True/None → the default cache, False → none,
    a path → a cache there, a :class:`Cache` as is."""
    if cache is False:
        return None
    if cache is None or cache is True:
        return Cache()
    if isinstance(cache, Cache):
        return cache
    return Cache(cache)
