"""Every command in the README's code blocks runs as written (see ``_readme.py``); the commands
that build the default report are in ``test_readme_default_report.py``."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from _readme import (ROOT, SPARK_MASTER, builds_the_default_report, check_command,
                     distinct_commands, python_blocks, shell_commands)

pytestmark = pytest.mark.slow


def test_the_readme_has_the_commands_this_file_runs():
    cmds = shell_commands()
    assert "make report" in cmds and "make test" in cmds
    assert any(c.startswith(("crmlab build", "crmlab handouts", "crmlab run")) for c in cmds)
    assert python_blocks(), "the README's Python examples"
    for c in cmds:
        assert c.split()[0] in ("make", "crmlab", ".venv/bin/crmlab", "papermill", "jupytext"), (
            f"README command {c!r}: teach tests/_readme.py how to run it")


@pytest.mark.parametrize("command", [c for c in distinct_commands() if not builds_the_default_report(c)])
def test_shell_command_runs(command, readme_workdir, readme_env):
    check_command(command, readme_workdir, readme_env)
    if command.startswith("crmlab new-chapter"):
        name = shlex.split(command)[-1]
        assert (readme_workdir / "notebooks" / f"{name}.md").exists(), "new-chapter wrote no text source"
        assert not list((ROOT / "notebooks").glob(f"{name}*")), "new-chapter wrote into the project"


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_block_runs(index, readme_workdir, readme_env):
    code = python_blocks()[index]
    if SPARK_MASTER in code:
        # the cluster template on a local session, with the table it names generated here
        setup = (
            "import pandas as pd\n"
            "from pyspark.sql import SparkSession\n"
            "_spark = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false')"
            ".config('spark.sql.shuffle.partitions', '2').getOrCreate()\n"
            "_f = pd.read_csv('data/raw/my_transactions.csv', parse_dates=['date'])\n"
            "_f = _f.rename(columns={'customer_id': 'cust_no', 'date': 'order_ts', 'amount': 'net_value'})\n"
            "_spark.sql('CREATE DATABASE IF NOT EXISTS sales')\n"
            "_spark.createDataFrame(_f).write.mode('overwrite').saveAsTable('sales.transactions')\n")
        code = setup + code.replace(SPARK_MASTER, "master('local[1]')")
        code += ("\nassert len(summary) == _f['cust_no'].nunique() and summary.attrs['time_unit'] == 'W'\n"
                 "_spark.stop()\n")
        code = code.replace('observation_end="2024-12-31", calibration_end="2024-06-30"',
                            "observation_end=str(_f['order_ts'].max().date()), "
                            "calibration_end=str((_f['order_ts'].min() + (_f['order_ts'].max() - "
                            "_f['order_ts'].min()) / 2).date())")
    done = subprocess.run([sys.executable, "-c", code], cwd=readme_workdir, env=readme_env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"{code}\n--- stderr\n{done.stderr[-3000:]}"
