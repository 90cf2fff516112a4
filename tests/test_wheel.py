"""crmlab works installed from a wheel, not only from a clone (issue 18.4).

The wheel is built offline from a copy of the sources with the environment's own build tools
(``pip wheel --no-deps --no-build-isolation``), unpacked into a folder with
``pip install --no-deps --target``, and used from another working directory with only that
folder (and the environment's dependencies) on the path: the checkout is not importable.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _pip(*args, cwd):
    out = subprocess.run([sys.executable, "-m", "pip", *args, "--no-index", "--quiet",
                          "--disable-pip-version-check"], cwd=cwd, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _can_build_wheels() -> bool:
    import importlib.util

    import setuptools

    # setuptools >= 70.1 builds wheels itself; older ones need the `wheel` package
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    assert _can_build_wheels(), (
        "this environment cannot build a wheel offline: setuptools < 70.1 needs the `wheel` "
        "package (pin wheel==0.45.1 in requirements-dev.lock, or setuptools >= 70.1)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    # a copy of what the wheel is built from, so no build/ or egg-info lands in the checkout
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "crmlab", src / "crmlab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(src), cwd=tmp)
    (wheel,) = (tmp / "dist").glob("crmlab-*.whl")
    target = tmp / "site"
    _pip("install", "--no-deps", "--target", str(target), str(wheel), cwd=tmp)
    return wheel, target


def test_wheel_ships_the_data_the_library_loads(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("crmlab/datasets/data/retention-cohorts.csv",
                 "crmlab/datasets/data/benchmarks/cdnow-elog.csv",
                 "crmlab/datasets/data/benchmarks/README.md",
                 "crmlab/rules/rfm_classic10.yml",
                 "crmlab/report/templates/thesis.html.j2"):
        assert name in names, name


def test_installed_package_loads_its_data_from_elsewhere(installed, tmp_path):
    _, target = installed
    code = r'''
import json
import crmlab
from crmlab import datasets
tx = datasets.load_benchmark("grocery")
cohorts = datasets.load_retention_cohorts()
from crmlab.cli import main
# reports are built from a clone: without its notebooks, `crmlab run` is a user error (exit 2)
rc = main(["run", "02_rfm"])
print(json.dumps({"file": crmlab.__file__, "data": str(datasets.data_dir()),
                  "customers": int(tx.n_customers), "years": len(cohorts), "rc": rc}))
'''
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CRMLAB_DATA")}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["file"].startswith(str(target))  # the installed copy, not the checkout
    assert res["data"].startswith(str(target))
    assert res["customers"] == 1525  # the grocery log of Reutterer et al. (2021)
    assert res["years"] == 13  # Fader & Hardie (2007) Table 1, years 0-12
    assert res["rc"] == 2 and "--notebooks DIR" in out.stderr
