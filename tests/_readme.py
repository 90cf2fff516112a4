"""Running the README's commands as a user would (shared by ``test_readme.py`` and
``test_readme_default_report.py``): every command in the README's code blocks runs as written.

Shell blocks run line by line in a scratch folder (the `make` lines in the repository, as a user
types them there), with ``crmlab`` and ``.venv/bin/crmlab`` being this environment's command.
Python blocks run in a fresh interpreter in the same folder. Commands that name a user's own
file are templates: the files they name are generated here first (a GB18030 export with Chinese
headers and timestamps, an Excel workbook, ``data/raw/my_transactions.csv`` for the my-data
profile), and the Spark block runs on a local session with a generated ``sales.transactions``
table. ``make test`` is the command running this suite, so it is the one line not run here
(``.ci/run`` runs it on a clean clone).

Each command is its own test, in a scratch folder of its own (so they run in any order and on
any xdist worker); they share the suite's execution cache (``CRMLAB_CACHE``, set in
``conftest.py``), as a user's successive commands share theirs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import crmlab

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
NOT_RUN_HERE = {"make test": "the command that runs this suite; .ci/run runs it on a clean clone"}
# what a template names, and what the test puts in its place
SPARK_MASTER = 'master("spark://head-node:7077")'


def blocks() -> list[tuple[str, str]]:
    """(language, body) of every fenced code block in the README."""
    return re.findall(r"^```(\w*)\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def shell_blocks() -> list[list[str]]:
    """The commands of each shell block, in order (comments dropped)."""
    out = []
    for lang, body in blocks():
        if lang not in ("bash", "sh", "console"):
            continue
        lines = [re.sub(r"\s+#\s.*$", "", line).strip() for line in body.splitlines()]
        out.append([line for line in lines if line and not line.startswith("#")])
    return out


def shell_commands() -> list[str]:
    return [c for block in shell_blocks() for c in block]


def python_blocks() -> list[str]:
    return [body for lang, body in blocks() if lang == "python"]


def _user_files(cwd: Path) -> None:
    """The files the README's templates name, written as a user's exports would be."""
    import numpy as np

    tx = crmlab.datasets.simulate_retail(400, seed=21)
    frame = tx.frame.copy()
    rng = np.random.default_rng(21)
    frame["date"] = frame["date"] + pd_seconds(rng.integers(0, 86400, len(frame)))
    zh = frame.rename(columns={"customer_id": "会员号", "date": "下单时间", "amount": "实付金额"})
    zh["下单时间"] = zh["下单时间"].dt.strftime("%Y-%m-%d %H:%M:%S")
    zh.to_csv(cwd / "orders.csv", index=False, encoding="gb18030")
    frame.rename(columns={"customer_id": "客户编号", "date": "交易日期", "amount": "金额"}).to_excel(
        cwd / "my_orders.xlsx", index=False)
    raw = cwd / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    # the stock my-data profile (2025-06-30 / 2025-12-31) reads data/raw/my_transactions.csv
    assert tx.meta["calibration_end"] == pd_timestamp("2025-06-30")
    assert pd_timestamp("2025-12-01") <= tx.meta["observation_end"] <= pd_timestamp("2025-12-31")
    frame.to_csv(raw / "my_transactions.csv", index=False)
    # a user's own copy of the chapters, so `crmlab new-chapter` writes there, not into the project
    shutil.copytree(ROOT / "notebooks", cwd / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


def pd_timestamp(text):
    import pandas as pd

    return pd.Timestamp(text)


def pd_seconds(values):
    import pandas as pd

    return pd.to_timedelta(values, unit="s")


def scratch_folder(tmp_path: Path) -> Path:
    """A scratch folder holding the files the README's templates name (fixture ``readme_workdir``
    in ``conftest.py``)."""
    _user_files(tmp_path)
    return tmp_path


def command_env() -> dict:
    """The environment the README's commands run in (fixture ``readme_env``)."""
    e = dict(os.environ)  # CRMLAB_CACHE: the suite's execution cache (conftest.py)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e.pop("MPLBACKEND", None)
    return e


def _run(command: str, cwd: Path, env: dict, timeout: int = 1200) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    if argv[0] == ".venv/bin/crmlab":
        argv[0] = str(BIN / "crmlab")
    if argv[0] == "make":
        cwd = ROOT
    try:
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # say how far it got, not only that it was slow
        def tail(b):
            return (b.decode("utf-8", "replace") if isinstance(b, bytes) else b or "")[-4000:]
        raise AssertionError(f"{command}: still running after {timeout} s\n--- stdout\n"
                             f"{tail(exc.stdout)}\n--- stderr\n{tail(exc.stderr)}") from None


def distinct_commands() -> list[str]:
    """Every shell command of the README once, in the README's order. None needs an earlier
    one's result (each test starts from the same scratch files)."""
    return list(dict.fromkeys(shell_commands()))


def builds_the_default_report(command: str) -> bool:
    """The commands that execute the default (CDNOW) chapters: ``make report``, ``crmlab build``
    without ``--profile``, and the handouts. They share their executions through the cache, so
    one test file runs them (on one xdist worker, one after another)."""
    argv = shlex.split(command)
    return (argv[:2] == ["make", "report"] or argv[:2] == ["crmlab", "handouts"]
            or (argv[:2] == ["crmlab", "build"] and "--profile" not in argv))


def check_command(command, workdir, env):
    if command in NOT_RUN_HERE:
        assert (ROOT / ".ci" / "run").read_text().count("make test"), NOT_RUN_HERE[command]
        return
    done = _run(command, workdir, env)
    assert done.returncode == 0, f"{command}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    argv = shlex.split(command)
    if "data" in argv and "check" in argv:
        assert "rows read" in done.stdout.lower() or "rows_read" in done.stdout.lower(), done.stdout
    if argv[:2] == ["make", "report"] or argv[:2] == ["crmlab", "build"]:
        out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("reports")
        base = ROOT if argv[0] == "make" else workdir
        htmls = list((base / out).glob("*/*/thesis.html"))
        assert htmls, f"{command}: no thesis.html under {base / out}"
