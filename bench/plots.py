"""The report's PNG plots. The only module that imports matplotlib; it computes nothing: every number comes from the
rows :func:`bench.report.build_rows` made (hyperfine's plot scripts likewise read only its JSON export).

Each function takes ``(rows, meta)`` (the report's row dicts, and the titles from ``Report.meta()``) and returns
the PNG bytes; the caller writes them atomically. Figures are built with ``matplotlib.figure.Figure`` and never
through pyplot, so no global backend is switched or needed (a notebook importing this keeps its own).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from bench.offline import private_matplotlib_dir
from bench.stats import times

private_matplotlib_dir()  # before matplotlib's import: its font cache would go into the home directory

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

Row = Mapping[str, Any]

DPI = 110
COLORS = {"on_demand": "#1f77b4", "spot": "#2ca02c", "local": "#d62728", "pareto": "#7f7f7f",
          "measured": "#ff7f0e", "estimated": "#1f77b4", "given": "#d62728",
          "data": "#ff7f0e", "compute": "#1f77b4", "val": "#2ca02c", "overhead": "#9467bd"}


def _plain(text: Any) -> str:
    """``text`` as matplotlib shows it literally: a ``$`` (in a chip, device or instance name, a region) would
    start mathtext, and an unpaired or odd one (``a $x^$ b``) fails to parse when the figure is drawn."""
    return str(text).replace("$", r"\$")


def _short(name: str) -> str:
    """An instance name without its ``ml.`` prefix, made plain (:func:`_plain`) for matplotlib."""
    return _plain(name[3:] if name.startswith("ml.") else name)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _priced(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows[1:] if r.get("hours") is not None and r.get("cost_usd") is not None]


def _steps125(low_exp: int, high_exp: int) -> tuple[float, ...]:
    """1, 2, 5 times each power of ten from ``10**low_exp`` to ``5 * 10**high_exp``."""
    return tuple(m * 10.0**e for e in range(low_exp, high_exp + 1) for m in (1, 2, 5))


#: Readable time ticks for a log axis in hours: 1, 2, 5, 10, 30 min, then 1, 2, 5, 10, 20, 50 ... h up to 100,000 h
#: (a CPU-only run of a big model can take years).
TIME_TICKS_HOURS = (1 / 60, 2 / 60, 5 / 60, 10 / 60, 0.5, *_steps125(0, 4), 1e5)
#: Ticks for the symlog cost axis: 0, then 0.1, 0.2, 0.5 ... USD up to a million.
USD_TICKS = (0, *_steps125(-1, 5), 1e6)


def _hours_label(h: float) -> str:
    if h >= 1:
        return f"{h:g} h"
    return f"{h * 60:.0f} min"


_times = times  # the report's tables write a speedup the same way


def _err(rows: Sequence[Row], key: str, lo: str, hi: str) -> list[list[float]]:
    return [[max(0.0, r[key] - r[lo]) for r in rows], [max(0.0, r[hi] - r[key]) for r in rows]]


def _spread_labels(ys: list[float], min_gap: float) -> list[float]:
    """Label positions (same order as ``ys``, in axis units) nudged apart by at least ``min_gap``."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for k in range(1, len(order)):
        i, j = order[k], order[k - 1]
        if out[i] - out[j] < min_gap:
            out[i] = out[j] + min_gap
    return out


def cost_vs_time(rows: Sequence[Row], meta: Mapping[str, Any]) -> bytes:
    """Full-run cost (USD) against training hours (log scale): on-demand and spot with range bars both ways, the
    Pareto front of (hours, on-demand USD) as a line, this machine at 0 USD."""
    priced = _priced(rows)
    local = rows[0]
    fig = Figure(figsize=(11, 7.2), layout="constrained")
    ax = fig.subplots()
    od, sp = COLORS["on_demand"], COLORS["spot"]
    if priced:
        hx = [r["hours"] for r in priced]
        # bars faint, markers solid: a dozen overlapping ranges stay legible
        ax.errorbar([r.get("spot_hours") or r["hours"] for r in priced], [r["spot_cost_usd"] for r in priced],
                    yerr=_err(priced, "spot_cost_usd", "spot_low", "spot_high"), fmt="v", ms=6, color=sp,
                    ecolor=sp + "66", elinewidth=1, capsize=2, label="managed spot: median, cost range "
                    "(at its expected time: interruptions' restarts and lost work included)", zorder=3)
        ax.errorbar(hx, [r["cost_usd"] for r in priced], xerr=_err(priced, "hours", "hours_low", "hours_high"),
                    yerr=_err(priced, "cost_usd", "cost_low", "cost_high"), fmt="o", ms=7, color=od,
                    ecolor=od + "55", elinewidth=1.2, capsize=2, label="on-demand: median, time and cost ranges",
                    zorder=4)
        by = {r["instance"]: r for r in priced}
        front = [by[n] for n in meta.get("pareto_front", []) if n in by]
        if front:
            ax.plot([r["hours"] for r in front], [r["cost_usd"] for r in front], "--", color=COLORS["pareto"],
                    lw=1.5, marker="o", mfc="none", ms=12, label="Pareto front (on-demand medians): nothing "
                    "else is both faster and cheaper", zorder=2)
    ax.errorbar([local["hours"]], [0.0], xerr=[[local["hours"] - local["hours_low"]],
                                                 [local["hours_high"] - local["hours"]]],
                fmt="*", ms=18, color=COLORS["local"], ecolor=COLORS["local"], capsize=4,
                label=f"{_plain(meta.get('local_name', 'this machine'))}: 0 USD", zorder=5)
    ax.set_xscale("log")
    top = max([r["cost_high"] for r in priced] + [r["spot_high"] for r in priced] + [1.0])
    # symlog: 0 USD (this machine) stays on the axis while cents and tens of dollars both stay readable
    ax.set_yscale("symlog", linthresh=0.1, linscale=0.4)
    ax.set_ylim(-0.01, top * 1.8)
    ax.yaxis.set_major_locator(FixedLocator([t for t in USD_TICKS if t <= top * 1.8]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))  # not 1e+06
    lo = max(min([r["hours_low"] for r in priced] + [local["hours_low"]]), 1e-3) / 1.6
    hi = max([r["hours_high"] for r in priced] + [local["hours_high"]]) * 2.2
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator([t for t in TIME_TICKS_HOURS if lo <= t <= hi]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _hours_label(v)))

    if priced:  # instance names right of the on-demand markers, nudged apart where they would collide
        fig.canvas.draw()
        px = [ax.transData.transform((r["hours"], r["cost_usd"])) for r in priced]
        placed = [float(p[1]) for p in px]
        order = sorted(range(len(priced)), key=lambda i: float(px[i][0]))
        groups: list[list[int]] = []
        for i in order:
            if groups and float(px[i][0]) - float(px[groups[-1][-1]][0]) < 100:
                groups[-1].append(i)
            else:
                groups.append([i])
        for g in groups:
            for i, y in zip(g, _spread_labels([placed[i] for i in g], 14.0), strict=True):
                placed[i] = y
        for i, r in enumerate(priced):
            dy = placed[i] - float(px[i][1])
            ax.annotate(_short(r["instance"]), xy=(r["hours"], r["cost_usd"]), xytext=(9, dy),
                        textcoords="offset pixels", fontsize=8.5, va="center", color="#111111", zorder=6,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
                        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6} if abs(dy) > 4 else None)
    ax.annotate("this machine", xy=(local["hours"], 0.0), xytext=(0, 14), textcoords="offset points",
                ha="center", fontsize=9, color=COLORS["local"])
    ax.set_xlabel("time to a trained model: training, plus job start and download on an instance (log scale)")
    ax.set_ylabel("cost of the whole job, USD (linear below 0.1, log above)")
    ax.set_title(f"Cost against time: {_plain(meta.get('title', ''))}\nSageMaker on-demand training prices, catalog "
                 f"as of {_plain(meta.get('catalog_as_of'))}; costs include job start, dataset download and S3 "
                 "storage", fontsize=10.5)
    ax.grid(True, which="major", alpha=0.3)
    unpriced = meta.get("unpriced")
    if unpriced is None:  # meta from an older caller: the rows say it too
        unpriced = [r["instance"] for r in rows[1:] if r.get("hours") is not None and r.get("cost_usd") is None]
    note = None
    if unpriced:  # their time is in the speedup plot; here they would need a cost. Said above the legend
        names = ", ".join(_short(str(n)) for n in unpriced[:4]) + (" ..." if len(unpriced) > 4 else "")
        note = (f"not shown: {len(unpriced)} instance(s) without a price in "
                f"{_plain(meta.get('region', 'this region'))} ({names})")
    # below the axes, not over the points a dozen instances spread across the whole plot
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8.5, frameon=False,
               title=note, title_fontsize=9)
    return _png(fig)


def speedup(rows: Sequence[Row], meta: Mapping[str, Any]) -> bytes:
    """Speedup over this machine per instance (horizontal bars, log scale, low-high whiskers), sorted, with a line
    at 1x; instances without an estimate are listed at the bottom with 'n/a'."""
    order = {id(r): i for i, r in enumerate(rows)}  # ties keep the table's order (top = first in the table)
    shown = sorted((r for r in rows if r.get("speedup") is not None), key=lambda r: (r["speedup"], -order[id(r)]))
    missing = [r for r in rows if r.get("speedup") is None]
    n = len(shown) + len(missing)
    fig = Figure(figsize=(10.5, max(3.5, 0.4 * n + 1.8)), layout="constrained")
    ax = fig.subplots()
    ypos = list(range(len(missing), n))
    colors = [COLORS["local"] if r["instance"] == "local" else COLORS.get(str(r["basis"]), COLORS["estimated"])
              for r in shown]
    # bars grow from the 1x line, not from the log axis' edge: faster instances to the right, slower ones (a
    # speedup below 1x) to the left; the whiskers sit at each bar's end, left + width = the speedup
    ax.barh(ypos, [r["speedup"] - 1.0 for r in shown], left=1.0, color=colors, alpha=0.85, height=0.65,
            xerr=_err(shown, "speedup", "speedup_low", "speedup_high"), ecolor="#333333", capsize=3)
    for y, r in zip(ypos, shown, strict=True):
        text = "1x" if r["instance"] == "local" else \
            f"{_times(r['speedup'])}  ({_times(r['speedup_low'])} to {_times(r['speedup_high'])})"
        ax.text(max(r["speedup_high"], r["speedup"], 1.0) * 1.1, y, text, va="center", fontsize=8.5)
    for y in range(len(missing)):
        ax.text(1.1, y, "n/a: no estimate (report.md says why)", va="center", fontsize=8.5, color="#666666")
    names = [_short(r["instance"]) for r in missing] + [
        "this machine" if r["instance"] == "local" else _short(r["instance"]) for r in shown]
    ax.set_yticks(range(n), names, fontsize=9)
    ax.axvline(1.0, color=COLORS["local"], lw=1.3, ls="--")
    ax.set_xscale("log")
    lo = min([r["speedup_low"] for r in shown if r["speedup_low"] > 0] + [0.5])
    hi = max([r["speedup_high"] for r in shown] + [2.0])
    ax.set_xlim(lo / 1.5, hi * 8)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _times(v)))
    ax.set_xlabel("speedup over this machine (its hours / the instance's hours), log scale; whiskers: low-high "
                  "range; dashed line: 1x")
    ax.set_title(f"Speedup: {_plain(meta.get('title', ''))}", fontsize=10.5)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    handles = [Patch(color=COLORS["estimated"], label="estimated (scaled from this machine)")]
    if any(r["basis"] == "measured" and r["instance"] != "local" for r in shown):
        handles.append(Patch(color=COLORS["measured"], label="measured on that GPU"))
    handles.append(Patch(color=COLORS["local"], label="this machine"))
    ax.legend(handles=handles, loc="lower right", fontsize=8.5, framealpha=0.92)
    return _png(fig)


def _panels(rs: Sequence[Row], ratio: float = 8.0) -> list[list[Row]]:
    """Rows (sorted by epoch total, longest first) cut into groups whose totals stay within ``ratio`` of the
    group's longest, so a 25 s epoch is not drawn on the scale of a 20 min one."""
    def total(r: Row) -> float:
        return float(sum(r["epoch_parts"].values()))

    out: list[list[Row]] = []
    for r in sorted(rs, key=total, reverse=True):
        if out and total(r) * ratio >= total(out[-1][0]):
            out[-1].append(r)
        else:
            out.append([r])
    return out


def _epoch_label(total: float, low: float | None, high: float | None) -> str:
    """An epoch's total seconds, with its low-high range where the row has one: ``111 s [100-125] (2 min)``."""
    def secs(x: float) -> str:
        return f"{x:.3g}" if x < 100 else f"{x:,.0f}"

    span = f" [{secs(low)}-{secs(high)}]" if low is not None and high is not None else ""
    return f"{secs(total)} s{span}" + (f" ({total / 60:.0f} min)" if total >= 100 else "")


def breakdown(rows: Sequence[Row], meta: Mapping[str, Any]) -> bytes:
    """One epoch (mosaic phase) in seconds, stacked: data wait, compute, validation, overhead. Rows are grouped
    into panels of similar length, each on its own seconds axis; this machine gets the first panel."""
    parts = ("data", "compute", "val", "overhead")
    labels = {"data": "data: waiting for batches", "compute": "compute: training steps",
              "val": "validation pass", "overhead": "epoch overhead: checkpoint, metrics"}
    local = rows[0]
    panels = [[local], *_panels([r for r in rows[1:] if r.get("epoch_parts")])]
    heights = [len(p) + 0.6 for p in panels]
    fig = Figure(figsize=(11, 0.42 * sum(heights) + 1.2 + 0.5 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, height_ratios=heights, squeeze=False)[:, 0]
    for ax, group in zip(axes, panels, strict=True):
        rs = group[::-1]  # barh draws from the bottom: the longest epoch ends up at the top of its panel
        left = [0.0] * len(rs)
        for p in parts:
            vals = [float(r["epoch_parts"][p]) for r in rs]
            ax.barh(range(len(rs)), vals, left=left, color=COLORS[p], height=0.62, label=labels[p])
            left = [a + b for a, b in zip(left, vals, strict=True)]
        for y, (t, r) in enumerate(zip(left, rs, strict=True)):
            ax.text(t * 1.01, y, _epoch_label(t, r.get("epoch_seconds_low"), r.get("epoch_seconds_high")),
                    va="center", fontsize=8.5)
        names = [f"this machine: {_plain(r['accelerator'])}" if r["instance"] == "local"
                 else f"{_short(r['instance'])}, {_plain(r['basis'])}" for r in rs]
        ax.set_yticks(range(len(rs)), names, fontsize=9)
        ax.set_ylim(-0.6, len(rs) - 0.4)
        ax.set_xlim(0, max([*left, 1e-9]) * 1.45)  # room for "total s [low-high] (min)" right of the longest bar
        ax.grid(True, axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8.5)
    axes[-1].set_xlabel("seconds per epoch (medians; each panel has its own scale)")
    handles = [Patch(color=COLORS[p], label=labels[p]) for p in parts]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8.5, frameon=False)
    fig.suptitle(f"One epoch (mosaic phase): {_plain(meta.get('title', ''))}", fontsize=10.5)
    return _png(fig)
