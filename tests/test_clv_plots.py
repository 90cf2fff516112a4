"""CLV figures build in both languages and carry their report key and caption."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import crmlab
import crmlab.clv as clv
from crmlab.clv import plots


@pytest.fixture(scope="module")
def fitted(cdnow_weekly):
    tx, s = cdnow_weekly
    return tx, s, clv.fit("bgnbd", s), clv.fit("gammagamma", s)


def _texts(fig):
    out = [fig.crmlab_caption]
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel()]
        leg = ax.get_legend()
        if leg:
            out += [t.get_text() for t in leg.get_texts()]
    return " ".join(out)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_all_figures(fitted, lang):
    tx, s, bg, gg = fitted
    track = clv.tracking(bg, tx, s, lang=lang)
    figs = [
        plots.plot_tracking(track, kind="cumulative", lang=lang),
        plots.plot_tracking(track, kind="incremental", lang=lang),
        plots.plot_conditional_by_frequency(clv.conditional_by_frequency(bg, s, lang=lang), lang=lang),
        plots.plot_p_alive_matrix(bg, T=39, lang=lang),
        plots.plot_expected_matrix(bg, t=39, T=39, lang=lang),
        plots.plot_clv_distribution(bg.clv(gg, 12, 0.1, s, rate_unit="Y", interval=True), lang=lang),
    ]
    keys = {f.crmlab_key for f in figs}
    assert len(keys) == 6
    for f in figs:
        text = _texts(f)
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
        assert has_cjk == (lang == "zh"), text
        plt.close(f)
    # the P(alive) heatmap shows probabilities
    assert "P(alive)" in _texts(plots.plot_p_alive_matrix(bg, T=39, lang="en"))
    plt.close("all")


def test_clv_distribution_ranks_all_customers_on_a_log_axis(fitted):
    """Thinned to max_points, the curve still spans the true ranks 1..n; CLV, spread over orders
    of magnitude, is drawn on log axes when it is positive (CDNOW sample: 2,357 customers)."""
    _, s, bg, gg = fitted
    frame = bg.clv(gg, 12, 0.1, s, rate_unit="Y", interval=True)
    fig = plots.plot_clv_distribution(frame, lang="en", max_points=500)
    left, right = fig.axes[0], fig.axes[1]
    x = left.get_lines()[0].get_xdata()
    assert len(x) == 500 and x[0] == 1 and x[-1] == len(frame)
    assert left.get_xlim() == (1, len(frame))
    assert left.get_yscale() == "log" and right.get_xscale() == "log"
    assert "log scale" in left.get_ylabel()
    plt.close(fig)
    shifted = frame.assign(clv=frame["clv"] - frame["clv"].median())  # some values <= 0
    fig = plots.plot_clv_distribution(shifted, lang="en")
    assert fig.axes[0].get_yscale() == "linear" and "log" not in fig.axes[0].get_ylabel()
    plt.close(fig)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sbg_projection_plot(lang):
    """Fader & Hardie (2007) 'regular' cohort: fit years 0-7, plot the projection to year 12."""
    cohorts = crmlab.datasets.load_retention_cohorts()
    sbg = clv.fit("sbg", cohorts["regular"].loc[:7], n_customers=1000)
    proj = sbg.project(12).join((cohorts["regular"] / 100).rename("actual"))
    fig = plots.plot_sbg_projection(proj, fit_periods=7, lang=lang)
    ax = fig.axes[0]
    assert fig.crmlab_key == "clv-sbg"
    assert len(ax.lines) == 3  # projection, actual, end of fitting
    assert list(ax.lines[0].get_ydata()) == pytest.approx(list(proj["survival"]))
    assert ax.get_ylabel() == {"zh": "存活比例", "en": "Share surviving"}[lang]
    plt.close(fig)
    with pytest.raises(crmlab.errors.ParameterError, match="survival"):
        plots.plot_sbg_projection(proj[["actual"]], lang=lang)


def test_money_axes_have_no_offset_or_scientific_notation():
    """A y axis of customer equity (~1.2 million) reads 1200000, not 1.2 with "1e6" beside it."""
    from crmlab.plots import figure

    fig, ax = figure("demo-money", "demo")
    ax.bar([0, 1], [1_150_000.0, 1_230_000.0])
    fig.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "1200000" in labels, labels
    plt.close(fig)
