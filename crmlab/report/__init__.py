"""Thesis-style reports and handouts from the chapter notebooks.

``crmlab build`` runs the chapters of a profile with papermill and assembles the executed
notebooks, without recomputing, into ``reports/<profile>/<lang>/thesis.html`` and
``thesis.pdf``. ``crmlab handouts`` writes student notebooks and answer keys, ``crmlab run``
executes one chapter. The notebook side of the contract is :mod:`crmlab.notebook`.
"""

from __future__ import annotations

from .builder import BuildResult, build, handouts, read_findings, run_chapter, student_notebook
from .profiles import Profile, load_profile, plan

__all__ = ["BuildResult", "Profile", "build", "handouts", "load_profile", "plan",
           "read_findings", "run_chapter", "student_notebook"]
