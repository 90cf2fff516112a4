"""The project's own contract: layout, the two commands, environments and stripped notebooks."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[\[<>=!~ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_readme_layout_names_every_tracked_top_level_folder():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    folders = {p.split("/")[0] for p in tracked if "/" in p and not p.startswith(".")}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout", 1)[1].split("```")[1]
    named = set(re.findall(r"^([\w.-]+)/", block, re.M))
    assert named == folders, named ^ folders


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    wanted = {_name(r) for r in _requirements()}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    named = {_name(r) for r in pip if not r.startswith("-")}
    assert named == wanted, (named ^ wanted)
    # and the same version bounds, so the two routes cannot drift apart
    bounds = {r.replace(" ", "") for r in _requirements()}
    assert {r.replace(" ", "") for r in pip if not r.startswith("-")} == bounds


def _requirements() -> list[str]:
    """Every requirement of pyproject.toml, the extras' included, as written."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"]) + [r for extra in
                                            project["optional-dependencies"].values()
                                            for r in extra]


def _locked() -> dict[str, tuple[str, str]]:
    """{package: (version, "lock file: line")} of both lock files."""
    locked = {}
    for lock in ("requirements.lock", "requirements-dev.lock"):
        for line in (ROOT / lock).read_text().splitlines():
            if line and not line.startswith("#"):
                name, _, version = line.partition("==")
                locked[_name(name)] = (version, f"{lock}: {line!r}")
    return locked


def test_lock_pins_every_dependency_exactly():
    locked = _locked()
    for version, where in locked.values():
        assert version, f"{where} is not pinned with =="
    names = {_name(r) for r in _requirements()}
    assert names <= set(locked), names - set(locked)
    core = {_name(l.partition("==")[0]) for l in (ROOT / "requirements.lock").read_text().split()}
    assert "pyspark" not in core  # the spark extra stays out of `make report`'s install


def test_lock_satisfies_the_bounds_of_pyproject():
    """A bound in pyproject.toml (sqlglot<29, jsonschema<4.25...) holds in the locks too."""
    from packaging.requirements import Requirement

    locked = _locked()
    for text in _requirements():
        req = Requirement(text)
        version, where = locked[_name(req.name)]
        assert req.specifier.contains(version, prereleases=True), f"{where} is outside {text!r}"


def test_reading_a_notebook_does_not_build_iri_parsers():
    """nbformat validates with jsonschema; jsonschema 4.25 imports rfc3987-syntax, whose import
    builds 35 Earley parsers (2 s of every papermill process). The pin keeps it out."""
    code = ("import sys, nbformat, papermill.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('rfc3987_syntax', 'lark'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_makefile_and_ci_use_the_readme_commands():
    make = (ROOT / "Makefile").read_text()
    for target in ("report:", "test:", "lab:", "handouts:", "clean-reports:"):
        assert re.search(rf"^{target}", make, re.M), target
    assert "requirements.lock" in make
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make report" in readme and "make test" in readme


def test_installed_version_of_the_pinned_packages_matches_the_lock():
    from importlib.metadata import version

    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, _, pinned = line.partition("==")
        if _name(name) in {"pandas", "numpy", "duckdb", "ibis-framework", "sqlglot", "lifetimes"}:
            assert version(name) == pinned, name


def test_committed_notebooks_have_no_outputs():
    files = subprocess.run(["git", "ls-files", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for path in files:
        nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), path


def test_built_reports_are_ignored_by_git():
    # reports/<profile>/<lang> may be a symlink to the published build (a `make report` run
    # earlier in the suite, or by hand), and git refuses paths beyond a symlink: ask about the
    # language folder itself
    ignored = subprocess.run(["git", "check-ignore", "reports/cdnow/zh", ".venv/x"],
                             cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert ignored == ["reports/cdnow/zh", ".venv/x"]
    kept = subprocess.run(["git", "check-ignore", "reports/profiles/cdnow.yml"], cwd=ROOT,
                          capture_output=True, text=True)
    assert kept.returncode == 1  # profiles are tracked

