"""Thesis-style reports and handouts from the chapter notebooks.

``crmlab build`` runs the chapters of a profile with papermill and assembles the executed
notebooks, without recomputing, into ``reports/<profile>/<lang>/thesis.html`` and
``thesis.pdf``. ``crmlab handouts`` writes student notebooks and answer keys, ``crmlab run``
executes one chapter. The notebook side of the contract is :mod:`crmlab.notebook`.
"""

from __future__ import annotations

import importlib

# Loaded on first use: the command line imports crmlab.report.commands, and must not pay for
# the builder (nbformat, papermill, weasyprint) just to print --help.
_LAZY = {
    "BuildResult": "builder", "build": "builder", "handouts": "builder",
    "read_findings": "builder", "run_chapter": "builder", "student_notebook": "builder",
    "Profile": "profiles", "load_profile": "profiles", "plan": "profiles",
}

__all__ = ["BuildResult", "Profile", "build", "handouts", "load_profile", "plan",
           "read_findings", "run_chapter", "student_notebook"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
