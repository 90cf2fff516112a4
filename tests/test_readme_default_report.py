"""The README's commands that build the default (CDNOW) report: ``make report``, ``crmlab build``
without a profile and ``crmlab handouts``. One file, so they run on one xdist worker and share
their chapter executions through the suite's cache (see ``_readme.py``)."""

from __future__ import annotations

import pytest

from _readme import builds_the_default_report, check_command, distinct_commands

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("command", [c for c in distinct_commands() if builds_the_default_report(c)])
def test_default_report_command_runs(command, readme_workdir, readme_env):
    check_command(command, readme_workdir, readme_env)


def test_the_default_report_commands_are_found():
    found = [c for c in distinct_commands() if builds_the_default_report(c)]
    assert "make report" in found and any(c.startswith("crmlab handouts") for c in found)
