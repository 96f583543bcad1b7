"""bench.plots on hand-made rows (numbers chosen so each figure's ticks, bars and labels can be worked out), and the
report's plot-related text: literal ``$`` in names, ticks for very long runs, the legend and the note on instances
without a price, bars from 1x, epoch ranges, speedups below 1x, and the "nothing qualifies" explanation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text

from bench import plots, report
from bench.cli import main
from bench.errors import BenchError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DRAW = (plots.cost_vs_time, plots.speedup, plots.breakdown)


def prow(name: str, hours: float, cost: float | None, local_hours: float = 40.0, rel: float = 0.1,
         parts: dict[str, float] | None = None, epoch_range: tuple[float, float] | None = None,
         accelerator: str = "1 x NVIDIA T4", basis: str = "estimated") -> dict[str, Any]:
    """A report row (the keys the plots read): times +-``rel``, speedup over ``local_hours`` with the ranges
    crossed (fastest here over slowest there), spot at 40% of on-demand and 5% longer."""
    lo, hi = hours * (1 - rel), hours * (1 + rel)
    lh, ll, lhh = local_hours, local_hours * (1 - rel), local_hours * (1 + rel)
    priced = cost is not None
    c = cost or 0.0
    return {
        "instance": name, "accelerator": accelerator, "basis": basis,
        "hours": hours, "hours_low": lo, "hours_high": hi,
        "cost_usd": cost, "cost_low": c * (1 - rel) if priced else None, "cost_high": c * (1 + rel) if priced else None,
        "spot_cost_usd": c * 0.4 if priced else None, "spot_low": c * 0.3 if priced else None,
        "spot_high": c * 0.5 if priced else None, "spot_hours": hours * 1.05 if priced else None,
        "speedup": 1.0 if name == "local" else lh / hours, "speedup_low": 1.0 if name == "local" else ll / hi,
        "speedup_high": 1.0 if name == "local" else lhh / lo,
        "epoch_parts": parts or {"data": 1.0, "compute": 20.0, "val": 3.0, "overhead": 1.0},
        "epoch_seconds_low": epoch_range[0] if epoch_range else None,
        "epoch_seconds_high": epoch_range[1] if epoch_range else None,
    }


def local_row(hours: float = 40.0, **kw: Any) -> dict[str, Any]:
    kw = {"accelerator": "Test CPU (cpu)", **kw}
    row = prow("local", hours, 0.0, local_hours=hours, basis="measured", **kw)
    row.update(cost_low=0.0, cost_high=0.0, spot_cost_usd=0.0, spot_low=0.0, spot_high=0.0, spot_hours=None)
    return row


META: dict[str, Any] = {"title": "yolov8n 640 px, batch 16, 50 epochs, us-east-1 (test)", "region": "us-east-1",
                        "local_name": "this machine: Test CPU", "catalog_as_of": "2026-09-27", "pareto_front": []}


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every figure the plots render, in order (their PNG bytes are still made and returned)."""
    seen: list[Figure] = []
    real = plots._png

    def png(fig: Figure) -> bytes:
        seen.append(fig)
        return real(fig)

    monkeypatch.setattr(plots, "_png", png)
    return seen


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


# --------------------------------------------------------------------------------------------- 1: "$" in names


def test_dollar_signs_in_names_are_drawn_as_text(figures: list[Figure]) -> None:
    odd = "a $x^$ b"  # an unpaired "$...$" that mathtext cannot parse: matplotlib raised ValueError when drawing
    rows = [local_row(accelerator=f"{odd} (mps)"), prow("ml.g$4^$dn.xlarge", 2.0, 1.5),
            prow("ml.p$3", 1.0, 3.0, basis="measured"), prow("ml.g6.$x^$", 1.5, None)]
    meta = {**META, "title": f"run {odd}", "local_name": f"this machine: {odd}", "region": "us-$east^$-1",
            "catalog_as_of": "$2026$", "pareto_front": ["ml.p$3", "ml.g$4^$dn.xlarge"]}
    for draw in DRAW:
        data = draw(rows, meta)
        assert data[:8] == PNG_SIGNATURE and len(data) > 10_000, draw.__name__
    assert len(figures) == 3
    dollars = [s for fig in figures for s in texts(fig) if "$" in s]
    # every piece of user text reached the figure, each "$" escaped: matplotlib draws it as a dollar sign
    for needle in (odd, "g$4^$dn.xlarge", "p$3", "us-$east^$-1", "$2026$", "g6.$x^$"):
        assert any(needle.replace("$", r"\$") in s for s in dollars), needle
    assert all(s.count("$") == s.count(r"\$") for s in dollars), dollars


def test_estimate_with_a_dollar_in_the_chip_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = tmp_path / "results"
    code = main(["estimate", "--hours", "10", "--device", "mps", "--chip", "a $x^$ b", "--instances",
                 "g4dn.xlarge,g5.xlarge", "--results", str(res)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    for name in report.PLOT_FILES:
        assert (res / "report" / "estimate" / name).read_bytes()[:8] == PNG_SIGNATURE, name


def test_a_plot_matplotlib_refuses_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: Any) -> bytes:
        raise ValueError("\nx^\n  ^\nParseSyntaxException: Expected {phantom | llap}, found end of text")

    monkeypatch.setattr(plots, "speedup", refused)
    rep = report.build_estimate(device="mps", hours=10.0, instances=["ml.g4dn.xlarge"], results=tmp_path / "r")
    with pytest.raises(BenchError) as info:
        report.write_report(rep, tmp_path / "out")
    assert str(info.value) == ("cannot draw speedup.png: x^ ^ ParseSyntaxException: Expected {phantom | llap}, "
                               "found end of text")
    assert not (tmp_path / "out").exists()  # all or none: nothing written
    code = main(["estimate", "--hours", "10", "--device", "mps", "--instances", "g4dn.xlarge", "--results",
                 str(tmp_path / "results")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == ["bench estimate: error: cannot draw speedup.png: x^ ^ ParseSyntaxException: "
                                        "Expected {phantom | llap}, found end of text"]


# --------------------------------------------------------------------------------------------- 2: ticks


def test_ticks_reach_a_cpu_run_of_years(figures: list[Figure]) -> None:
    # a CPU-only run of 20,000 h (2.3 years) and a CPU instance of 15,000 h costing 200,000 USD
    rows = [local_row(20_000.0), prow("ml.m5.large", 15_000.0, 200_000.0, local_hours=20_000.0)]
    plots.cost_vs_time(rows, META)
    ax = figures[0].axes[0]
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(15_000 * 0.9 / 1.6) and hi == pytest.approx(22_000 * 2.2)
    xt = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert xt == [10_000, 20_000]
    assert [lab.get_text() for lab in ax.get_xticklabels() if lab.get_text()] == ["10000 h", "20000 h"]
    yt = list(ax.get_yticks())
    # the highest cost bar is 200,000 USD + 10%; the axis goes 1.8 times above it
    assert yt[-2:] == [100_000, 200_000] and max(yt) <= 220_000 * 1.8
    assert [lab.get_text() for lab in ax.get_yticklabels()][-2:] == ["100,000", "200,000"]
    # 1-2-5 steps all the way up
    assert plots.TIME_TICKS_HOURS[-4:] == (10_000, 20_000, 50_000, 100_000)
    assert plots.USD_TICKS[-4:] == (100_000, 200_000, 500_000, 1_000_000)
    assert list(plots.TIME_TICKS_HOURS) == sorted(plots.TIME_TICKS_HOURS)
    assert list(plots.USD_TICKS) == sorted(plots.USD_TICKS)


# --------------------------------------------------------------------------------------------- 3, 5: cost plot


def test_cost_legend_is_below_the_axes(figures: list[Figure]) -> None:
    rows = [local_row(), *[prow(f"ml.i{k}", 0.5 * 2**k, 1.0 * 1.5**k) for k in range(6)]]
    plots.cost_vs_time(rows, {**META, "pareto_front": ["ml.i0"]})
    fig = figures[0]
    (ax,) = fig.axes
    assert ax.get_legend() is None and len(fig.legends) == 1
    legend = fig.legends[0]
    assert sorted(t.get_text().split(":")[0] for t in legend.get_texts()) == \
        ["Pareto front (on-demand medians)", "managed spot", "on-demand", "this machine"]
    box, axes_box = legend.get_window_extent(), ax.get_window_extent()  # as laid out when the PNG was drawn
    assert box.y1 <= axes_box.y0  # wholly below the axes: no point is hidden behind it
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1


def test_cost_plot_names_the_instances_without_a_price(tmp_path: Path, figures: list[Figure]) -> None:
    rep = report.build_estimate(device="mps", hours=10.0, region="eu-west-1", results=tmp_path / "r",
                                instances=["ml.g4dn.xlarge", "ml.g6.xlarge"])
    rows = {r["instance"]: r for r in rep.rows}
    assert rows["ml.g6.xlarge"]["hours"] is not None and rows["ml.g6.xlarge"]["cost_usd"] is None
    meta = rep.meta()
    assert meta["unpriced"] == ["ml.g6.xlarge"] and meta["region"] == "eu-west-1"
    plots.cost_vs_time(rep.rows, meta)
    assert figures[0].legends[0].get_title().get_text() == \
        "not shown: 1 instance(s) without a price in eu-west-1 (g6.xlarge)"
    # a meta without the list (an older caller): the rows tell; all priced: no note
    hand = [local_row(), prow("ml.a", 1.0, 2.0), prow("ml.b", 2.0, None), prow("ml.c", 3.0, None)]
    plots.cost_vs_time(hand, META)
    assert figures[1].legends[0].get_title().get_text() == \
        "not shown: 2 instance(s) without a price in us-east-1 (b, c)"
    plots.cost_vs_time(hand[:2], {**META, "unpriced": []})
    assert figures[2].legends[0].get_title().get_text() == ""
    assert not [s for s in texts(figures[2]) if s.startswith("not shown")]


# --------------------------------------------------------------------------------------------- 4: speedup bars


def test_speedup_bars_start_at_1x(figures: list[Figure]) -> None:
    # local 40 h; "fast" 1 h (40x), "slow" 1000 h (0.04x): ranges +-10%, crossed
    rows = [local_row(), prow("ml.fast", 1.0, 2.0), prow("ml.slow", 1000.0, 30.0)]
    plots.speedup(rows, META)
    ax = figures[0].axes[0]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert bars.errorbar is not None
    got = sorted((p.get_x(), p.get_x() + p.get_width()) for p in bars.patches)
    want = sorted((1.0, r["speedup"]) for r in rows)  # from the 1x line to the speedup, either way
    assert got == [pytest.approx(w) for w in want]
    slow = [(p.get_x(), p.get_width()) for p in bars.patches if p.get_width() < 0]
    assert slow == [(1.0, pytest.approx(0.04 - 1.0))]  # a slower instance: a bar from 1x leftwards to 0.04x
    assert rows[2]["speedup"] == pytest.approx(0.04)
    # whiskers: low to high of each speedup, at the bar's end
    segments = bars.errorbar.lines[2][0].get_segments()
    spans = sorted((float(s[0][0]), float(s[1][0])) for s in segments)
    assert spans == [pytest.approx((r["speedup_low"], r["speedup_high"])) for r in sorted(rows, key=lambda r: r[
        "speedup"])]
    assert spans[0] == pytest.approx((36 / 1100, 44 / 900))  # the slow one: 0.033x to 0.049x
    assert "0.04x  (0.033x to 0.049x)" in texts(figures[0])


# --------------------------------------------------------------------------------------------- 6: below 1x


def test_speedups_below_1x_keep_two_significant_digits() -> None:
    assert [report._x(x) for x in (0.043, 0.04, 0.5, 0.0123, 0.996, 1.0, 5.26, 9.96, 41.2)] == \
        ["0.043x", "0.04x", "0.5x", "0.012x", "1.0x", "1.0x", "5.3x", "10x", "41x"]  # 0.996 rounds as 1.0 does
    assert [plots._times(x) for x in (0.043, 0.5, 5.26, 41.2)] == ["0.043x", "0.5x", "5.3x", "41x"]
    row = {"instance": "ml.slow", "speedup": 0.043, "speedup_low": 0.0312, "speedup_high": 0.0587}
    assert report._span(row, "speedup", "speedup_low", "speedup_high", report._x) == "0.043x [0.031x-0.059x]"


# --------------------------------------------------------------------------------------------- 7: epoch ranges


def test_breakdown_prints_each_epoch_with_its_range(tmp_path: Path, figures: list[Figure]) -> None:
    parts = {"data": 10.0, "compute": 90.0, "val": 9.0, "overhead": 2.0}  # 111 s
    rows = [local_row(parts=parts, epoch_range=(100.0, 125.0)),
            prow("ml.a", 1.0, 2.0, parts={"data": 0.5, "compute": 20.0, "val": 4.0, "overhead": 0.5},
                 epoch_range=(20.04, 31.26)),
            prow("ml.b", 2.0, 1.0, parts={"data": 0.5, "compute": 40.0, "val": 4.0, "overhead": 0.5})]  # no range
    plots.breakdown(rows, META)
    labels = [t.get_text() for ax in figures[0].axes for t in ax.texts]
    assert labels == ["111 s [100-125] (2 min)", "25 s [20-31.3]", "45 s"]
    # the report's rows carry the range: the mosaic epoch the parts add up to, with each row's margin
    rep = report.build_estimate(device="mps", hours=10.0, results=tmp_path / "r",
                                instances=["ml.g4dn.xlarge", "ml.m5.xlarge"])
    drawn = [r for r in rep.rows if r["epoch_parts"]]
    assert [r["instance"] for r in drawn] == ["local", "ml.g4dn.xlarge"]  # m5: a CPU target, no estimate
    for r in drawn:
        total = sum(r["epoch_parts"].values())
        assert r["epoch_seconds_low"] < total < r["epoch_seconds_high"], r["instance"]
    assert all(r["epoch_seconds_low"] is None for r in rep.rows if not r["epoch_parts"])


# --------------------------------------------------------------------------------------------- 8: nothing qualifies


def test_nothing_qualifies_names_the_table_s_fastest_and_cheapest() -> None:
    """a and b are within 1% on time, c and d within 1% on cost: the tie goes to the cheaper (faster) one, in
    the table and in the explanation of why nothing qualifies."""
    def row(name: str, hours: float, cost: float) -> dict[str, Any]:
        return {"instance": name, "hours": hours, "hours_low": hours * 0.9, "hours_high": hours * 1.1,
                "cost_usd": cost, "cost_low": cost * 0.9, "cost_high": cost * 1.1, "spot_cost_usd": cost / 2,
                "speedup": 40.0 / hours}

    rows = [row("local", 40.0, 0.0), row("a", 1.000, 5.0), row("b", 1.005, 3.0), row("c", 10.0, 2.01),
            row("d", 12.0, 2.0)]
    table = report.recommend(rows)
    assert (table["fastest"], table["cheapest_on_demand"]) == ("b", "c")
    late = report.recommend(rows, deadline_hours=0.5)
    assert late["nothing_qualifies"] == "none meets the deadline of 0.5 h: the fastest, b, needs 1 h"
    dear = report.recommend(rows, max_usd=1.0)
    assert dear["nothing_qualifies"] == "none meets the cost limit of 1 USD: the cheapest, c, costs 2.01 USD"
