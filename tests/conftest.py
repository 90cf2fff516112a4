import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
_SUITE_CACHE = "CRMLAB_TEST_SUITE_CACHE"


def pytest_configure(config):
    """One execution cache for the whole run, in a fresh temporary folder: the suite never
    reads or fills the user's execution cache, and a run starts with nothing cached (so
    the first test to need a chapter executes it; later identical runs reuse it, as a user's
    successive builds do). The xdist workers inherit the folder from the controller, which
    removes it at the end."""
    if os.environ.get(_SUITE_CACHE):  # an xdist worker: the controller made it
        return
    # The CJK font subsets (a pure function of the installed fonts, 1-2 CPU minutes to make)
    # stay where a user's builds keep them, like matplotlib's font cache.
    from crmlab.report.cache import default_root
    from crmlab.report.fonts import FONTS_ENV

    os.environ.setdefault(FONTS_ENV, str(default_root() / "fonts"))
    folder = tempfile.mkdtemp(prefix="crmlab-test-cache-")
    os.environ[_SUITE_CACHE] = folder
    os.environ["CRMLAB_CACHE"] = folder
    config._crmlab_suite_cache = folder


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Files marked ``slow`` (``pytestmark = pytest.mark.slow``: chapters executed, reports
    built) go first, each kept in the order it has (random under pytest-randomly). pytest-xdist
    hands out whole files in this order (``--dist loadfile``), so the longest start first and
    no worker is left with one long file at the end."""
    def slow_file(item):
        marks = getattr(getattr(item, "module", None), "pytestmark", [])
        marks = marks if isinstance(marks, list) else [marks]
        return any(getattr(m, "name", None) == "slow" for m in marks)

    items.sort(key=lambda item: not slow_file(item))


def pytest_unconfigure(config):
    folder = getattr(config, "_crmlab_suite_cache", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(_SUITE_CACHE, None)


@pytest.fixture(autouse=True)
def _quiet_kept_row_remarks():
    # read_transactions warns about rows it keeps with remarks (duplicates, zero amounts);
    # tests assert on the ledger instead.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*kept rows with remarks.*")
        yield


@pytest.fixture(scope="session")
def cdnow_weekly():
    """The CDNOW benchmark log and its weekly calibration/holdout summary (the published split)."""
    import crmlab

    return crmlab.datasets.load_benchmark("cdnow"), crmlab.datasets.benchmark_summary("cdnow")


@pytest.fixture
def readme_workdir(tmp_path):
    """A scratch folder with the files the README's command templates name (``_readme.py``)."""
    from _readme import scratch_folder

    return scratch_folder(tmp_path)


@pytest.fixture
def readme_env():
    """The environment the README's commands run in (``_readme.py``)."""
    from _readme import command_env

    return command_env()
