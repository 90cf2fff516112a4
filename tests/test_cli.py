"""The `crmlab` command: help, data check, exit codes."""

import subprocess
import sys
from pathlib import Path

BAD = Path(__file__).parent / "data" / "bad"


def run(*args):
    return subprocess.run([sys.executable, "-m", "crmlab.cli", *args], capture_output=True,
                          text=True, encoding="utf-8")


def test_help_lists_the_subcommands():
    out = run("--help")
    assert out.returncode == 0
    assert "data" in out.stdout


def test_data_check_prints_the_ledger():
    out = run("data", "check", str(BAD / "title_row.xlsx"))
    assert out.returncode == 0, out.stderr
    assert "5 rows read, 3 kept" in out.stdout
    assert "missing_customer_id (row 7)" in out.stdout
    assert "客户编号" in out.stdout


def test_data_check_with_named_columns():
    out = run("data", "check", str(BAD / "semicolon_decimal.csv"), "--customer", "Kunde",
              "--date", "Datum", "--amount", "Betrag")
    assert out.returncode == 0, out.stderr
    assert "2 rows read, 2 kept" in out.stdout


def test_data_check_exits_2_with_the_message_and_no_traceback():
    out = run("data", "check", str(BAD / "mixed_date_formats.csv"))
    assert out.returncode == 2
    assert "mixes date formats" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("data", "check", str(BAD / "missing_customer_column.csv"))
    assert out.returncode == 2 and "Columns found: date, amount" in out.stderr
