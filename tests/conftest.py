import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"


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
