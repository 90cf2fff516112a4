"""The purchase model chosen by the CLV chapter drives P(alive) and CLV, and durations carry units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmlab
import crmlab.clv as clv
from crmlab.errors import ParameterError
from crmlab.notebook import check_parameters, parse_parameters
from crmlab.units import duration_in, duration_text, parse_duration, whole_periods


@pytest.fixture(scope="module")
def simulated():
    tx = crmlab.datasets.simulate_retail(3000, seed=11)
    s = crmlab.summarise(tx.frame, observation_end=tx.meta["observation_end"],
                         calibration_end=tx.meta["calibration_end"], time_unit="W")
    c = crmlab.compress(s)
    fitted = {k: clv.fit(k, c, seed=1) for k in ("bgnbd", "mbgnbd", "paretonbd")}
    return s, fitted


def test_best_is_the_lowest_bic_and_the_reason_says_so(simulated):
    _, fitted = simulated
    choice = clv.select_model(fitted)
    bics = {k: m.bic_ for k, m in fitted.items()}
    assert choice.key == min(bics, key=bics.get) == choice.best
    assert choice.model is fitted[choice.key]
    ranked = sorted(bics.values())
    zh, en = choice.reason("zh"), choice.reason("en")
    assert choice.model.name in zh and choice.model.name in en
    assert f"{ranked[0]:,.1f}" in en and f"{ranked[1] - ranked[0]:,.1f}" in zh


def test_a_named_model_is_used_and_the_reason_names_the_best(simulated):
    _, fitted = simulated
    best = clv.select_model(fitted).key
    other = next(k for k in fitted if k != best)
    choice = clv.select_model(fitted, other)
    assert choice.key == other and choice.best == best and choice.model is fitted[other]
    assert fitted[best].name in choice.reason("en") and "clv_model" in choice.reason("zh")
    # names are matched as clv.fit matches them
    assert clv.select_model(fitted, "Pareto/NBD").key == "paretonbd"


def test_a_model_that_was_not_fitted_names_both_fixes(simulated):
    _, fitted = simulated
    with pytest.raises(ParameterError, match=r"-p clv_model=best") as err:
        clv.select_model({"bgnbd": fitted["bgnbd"]}, "paretonbd")
    assert "models" in str(err.value)
    with pytest.raises(ParameterError, match="unknown"):
        clv.select_model(fitted, "bgnbdx")


def test_customer_value_uses_the_chosen_model(simulated):
    s, fitted = simulated
    spend = clv.fit("gammagamma", s)
    for wanted in ("best", "paretonbd"):
        value = clv.customer_value(s, clv_model=wanted, horizon="1Y", discount_rate=0.1, seed=1)
        model = fitted[value.choice.key]
        assert value.choice.key == (clv.select_model(fitted).key if wanted == "best" else wanted)
        assert value.periods == 52  # one year counted as whole weeks
        expected = model.clv(spend, 52, 0.1, data=s, rate_unit="Y")
        assert np.allclose(value.frame["clv"], expected, rtol=1e-6)
        assert np.allclose(value.frame["p_alive"], model.p_alive(s), rtol=1e-6)


def test_durations_carry_their_unit():
    assert parse_duration("52W") == (52.0, "W")
    assert duration_in("12M", "W") == pytest.approx(365.25 / 7)
    assert duration_in("52W", "M") == pytest.approx(52 * 7 / (365.25 / 12))
    assert duration_in("1Y", "D") == pytest.approx(365.25)
    assert duration_text("52W", "zh") == "52 周" and duration_text("1Y", "en") == "1 year"
    assert duration_text("12M", "zh") == "12 个月" and duration_text("26W", "en") == "26 weeks"
    assert whole_periods("1Y", "W") == 52 and whole_periods("52W", "M") == 12 and whole_periods("1D", "M") == 1
    assert duration_text("1Y", "en", unit="W") == "1 year (52 weeks)"
    assert duration_text("52W", "zh", unit="M") == "52 周（12 个月）"
    assert duration_text("52W", "zh", unit="W") == "52 周"
    for bad in (52, "52", "-3W", "52X", ""):
        with pytest.raises(ParameterError, match=r"-p horizon="):
            parse_duration(bad)


def test_a_horizon_without_unit_stops_before_the_chapter_runs():
    declared = parse_parameters('horizon: str = "52W"  # CLV horizon with its unit\n'
                                'time_unit: str = "W"  # unit')
    assert check_parameters({"horizon": "12M", "time_unit": "M"}, declared)["horizon"] == "12M"
    with pytest.raises(ParameterError, match=r"'52W'.*-p horizon=52W"):
        check_parameters({"horizon": 52}, declared)
    with pytest.raises(ParameterError, match=r"horizon='52 weeks'"):
        check_parameters({"horizon": "52 weeks"}, declared)


def test_select_model_refuses_unfitted_models():
    with pytest.raises(crmlab.errors.ModelError, match="not a fitted model"):
        clv.select_model({"bgnbd": clv.BetaGeo()})
    with pytest.raises(ParameterError):
        clv.select_model({})


def test_scores_are_ordered_lowest_first(simulated):
    _, fitted = simulated
    scores = clv.select_model(fitted, criterion="aic").scores
    assert isinstance(scores, pd.Series) and scores.is_monotonic_increasing
    assert scores.to_dict() == pytest.approx({k: m.aic_ for k, m in fitted.items()})
