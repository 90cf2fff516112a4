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


def _python(code: str):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          encoding="utf-8")


def test_help_lists_the_report_commands_without_importing_the_builder():
    # issue 18.4: the parser is built without the builder, plotting or PDF stacks
    out = _python(
        "import sys\n"
        "from crmlab.cli import build_parser\n"
        "help = build_parser().format_help()\n"
        "heavy = ['weasyprint', 'papermill', 'matplotlib', 'nbformat', 'pandas',\n"
        "         'crmlab.report.builder']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "print(help)\n")
    assert out.returncode == 0, out.stderr
    loaded, help_text = out.stdout.split("\n", 1)
    assert loaded == "[]"
    for command in ("data", "build", "handouts", "run"):
        assert command in help_text


def test_report_commands_that_cannot_be_imported_fail_loudly():
    # issue 18.2: no silent CLI without build/handouts/run
    out = _python("import sys\n"
                  "sys.modules['crmlab.report.commands'] = None  # a broken install\n"
                  "from crmlab.cli import main\n"
                  "main(['--help'])\n")
    assert out.returncode != 0
    assert "Error: import of crmlab.report.commands" in out.stderr


def test_run_on_a_missing_notebook_is_a_user_error(tmp_path, capsys):
    from crmlab.cli import main

    (tmp_path / "02_rfm.ipynb").write_text("{}", encoding="utf-8")
    assert main(["run", "02_rmf", "--notebooks", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "02_rmf" in err and "available: 02_rfm" in err and "--notebooks DIR" in err
