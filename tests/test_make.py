"""The Makefile targets the README documents: what each runs (``make -n``, nothing executed).

``-o .venv/.core -o .venv/.dev`` keeps make from planning a reinstall of the environment, so
only the target's own command is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEEP_VENV = ["-o", ".venv/.core", "-o", ".venv/.dev"]


def make(*args, env=None, check=True) -> subprocess.CompletedProcess:
    assert shutil.which("make"), "make is needed (it runs every README command)"
    res = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def locale_env(**extra) -> dict:
    return {**os.environ, "LANG": "en_US.UTF-8", **extra}


def test_handouts_take_lang_from_the_command_line_only():
    zh = make("-n", *KEEP_VENV, "handouts", "LANG=zh", env=locale_env()).stdout
    assert "crmlab handouts --lang zh" in zh
    assert "LANG=C.UTF-8 " in zh  # the handout run keeps a real locale
    en = make("-n", *KEEP_VENV, "handouts", "HANDOUT_LANG=en", env=locale_env()).stdout
    assert "crmlab handouts --lang en" in en
    # LANG from the environment is the locale, not a handout language: both languages
    both = make("-n", *KEEP_VENV, "handouts", env=locale_env()).stdout
    assert "crmlab handouts" in both and "--lang" not in both


def test_handouts_refuse_an_unknown_language():
    res = make("-n", *KEEP_VENV, "handouts", "LANG=fr", env=locale_env(), check=False)
    assert res.returncode != 0
    assert "must be zh, en or all, not 'fr'" in res.stderr


@pytest.mark.parametrize("uid, flag", [("0", True), ("1000", False)])
def test_lab_adds_allow_root_only_for_root(tmp_path, uid, flag):
    fake = tmp_path / "id"  # an `id` that reports the chosen user
    fake.write_text(f"#!/bin/sh\necho {uid}\n")
    fake.chmod(0o755)
    env = locale_env(PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = make("-n", *KEEP_VENV, "lab", env=env).stdout
    assert "jupyter lab notebooks/" in out
    assert ("--allow-root" in out) is flag


def test_test_target_never_touches_git_config():
    # -W: pretend the dev lock changed, so the plan includes installing the test tools
    plan = make("-n", "-o", ".venv/.core", "-W", "requirements-dev.lock", "test").stdout
    assert "requirements-dev.lock" in plan and "-m pytest" in plan
    assert "nbstripout" not in plan
    setup = make("-n", *KEEP_VENV, "dev-setup").stdout
    assert "nbstripout --install" in setup


def test_test_target_passes_pytest_args():
    out = make("-n", *KEEP_VENV, "test", "PYTEST_ARGS=-p no:randomly").stdout
    assert "-m pytest -n auto --dist loadfile -p no:randomly" in out
    one = make("-n", *KEEP_VENV, "test", "PYTEST_JOBS=0").stdout
    assert "-m pytest -n 0 " in one


def test_help_says_make_test_installs_the_test_tools():
    text = make("help").stdout
    assert "make test       install the test tools" in text
    assert "no pytest" in text and "LANG=zh" in text and "dev-setup" in text
