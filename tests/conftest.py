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

    os.environ.setdefault("CRMLAB_FONT_CACHE", str(default_root() / "fonts"))
    folder = tempfile.mkdtemp(prefix="crmlab-test-cache-")
    os.environ[_SUITE_CACHE] = folder
    os.environ["CRMLAB_CACHE"] = folder
    config._crmlab_suite_cache = folder


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
