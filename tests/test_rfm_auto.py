"""The RFM segment map follows the number of score points (`crmlab run 02_rfm -p n_bins=4`)."""

from __future__ import annotations

import pytest

import crmlab
from crmlab.errors import ParameterError


@pytest.fixture(scope="module")
def table():
    tx = crmlab.datasets.simulate_retail(1500, seed=5)
    return crmlab.rfm_table(tx.frame, analysis_date=tx.meta["observation_end"])


@pytest.mark.parametrize("bins, expected", [(5, "classic10"), (4, "quartile5")])
def test_auto_takes_the_map_defined_on_the_scores(table, bins, expected):
    scores = crmlab.rfm.score(table, bins=bins)
    auto = crmlab.rfm.segment(scores, rules="auto")
    named = crmlab.rfm.segment(scores, rules=expected)
    assert auto.attrs["rules"] == expected
    assert auto["segment"].astype(str).equals(named["segment"].astype(str))


def test_a_mismatched_map_names_both_fixes(table):
    scores = crmlab.rfm.score(table, bins=4)
    with pytest.raises(ParameterError) as err:
        crmlab.rfm.segment(scores, rules="classic10")
    msg = str(err.value)
    assert "-p n_bins=5" in msg and "-p segment_rules=quartile5" in msg and "rules='quartile5'" in msg


def test_no_builtin_map_for_three_points(table):
    scores = crmlab.rfm.score(table, bins=3)
    with pytest.raises(ParameterError, match=r"-p segment_rules=my_rules.yml"):
        crmlab.rfm.segment(scores, rules="auto")
