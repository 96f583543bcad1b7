"""results/review.ipynb: stored without outputs, runs top to bottom against a results directory (a rich one built
from the fixtures, and an empty one), shows what it should, never writes itself and never imports torch."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench import review

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "results" / "review.ipynb"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = "20261128T180143Z-cpu-probe-c84d97"
OTHER_MACHINE = "20261129T090000Z-cpu-probe-0e0e0e"
SLOWER = "20261130T090000Z-cpu-probe-5105e5"
INVALID = "20261130T100000Z-cpu-probe-badbad"
VALIDATION = "20261130T120000Z-cpu-validate-7a11d0"
OVERHEAD = "20261130T130000Z-cpu-overhead-0fe4ad"
KERNEL = "bench-review-test"


# --------------------------------------------------------------------------------------------- fixtures


def _scaled(rng: dict[str, float], factor: float) -> dict[str, float]:
    return {k: v * factor for k, v in rng.items()}


def _variant(base: dict[str, Any], run_id: str, created_at: str, factor: float, **over: Any) -> dict[str, Any]:
    rec = copy.deepcopy(base)
    rec.update(run_id=run_id, created_at=created_at, finished_at=created_at,
               seconds_per_epoch=_scaled(rec["seconds_per_epoch"], factor),
               full_run_seconds=_scaled(rec["full_run_seconds"], factor), **over)
    return rec


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def make_results(root: Path) -> Path:
    """The report fixture plus: the same configuration on another machine (half the time), a rerun on the same
    machine 30% slower than the first run's high bound allows, an invalid run, a corrupt file, a validation record,
    an overhead record, and a microbenchmark of the fixture's workload."""
    results = root / "results"
    results.mkdir()
    base = json.loads((FIXTURES / "results" / f"{REAL}.json").read_text(encoding="utf-8"))
    shutil.copy(FIXTURES / "results" / f"{REAL}.json", results)
    other = _variant(base, OTHER_MACHINE, "2026-11-29T09:00:00.000000Z", 0.5, device_name="Intel Xeon")
    other["fingerprint"].update(machine_id="feedfacecafe", cpu_model="Intel Xeon", cpu_logical=16, cpu_affinity=16)
    other["profile"]["device_name"] = "Intel Xeon"
    _write(results / f"{OTHER_MACHINE}.json", other)
    _write(results / f"{SLOWER}.json", _variant(base, SLOWER, "2026-11-30T09:00:00.000000Z", 1.3))
    _write(results / f"{INVALID}.json", _variant(base, INVALID, "2026-11-30T10:00:00.000000Z", 1.0, status="invalid",
                                                 invalid_reason="loss is NaN at epoch 1, batch 3"))
    shutil.copy(FIXTURES / "bad" / "corrupt.json", results)

    vrec = {
        "schema_version": 1, "run_id": VALIDATION, "kind": "validation", "status": "complete",
        "created_at": "2026-11-30T12:00:00.000000Z", "device": "cpu", "device_name": "AMD EPYC",
        "fingerprint": base["fingerprint"],
        "config": {"model": "yolov8n", "imgsz": 320, "batch": 16,
                   "dataset": {"counts": {"train_images": 320, "val_images": 64}}},
        "epochs": 6, "probe_run_ids": ["p"], "full_run_id": "f",
        "predicted_seconds": 319.0, "predicted_low": 287.6, "predicted_high": 350.2, "actual_seconds": 316.7,
        "error_pct": 0.73, "within_range": True, "probe_seconds": 43.4, "probe_share": 0.137,
        "baselines": {"first_epoch_x_n": {"predicted_seconds": 292.0, "cost_seconds": 49.9, "error_pct": -7.8},
                      "mean_first_3_x_n": {"predicted_seconds": 305.7, "cost_seconds": 154.0, "error_pct": -3.5}},
        "terms": {"val_pass": {"predicted_seconds": 2.86, "actual_seconds": 2.87, "error_pct": -0.4},
                  "epoch_fixed": {"predicted_seconds": 0.54, "actual_seconds": 0.30, "error_pct": 84.3}},
        "repeat": {"n": 1, "predictions": [319.0], "median": 319.0, "iqr": 0.0},
        "targets": {"error_within_pct": 5.0, "error_met": True, "probe_share_max": 0.15, "probe_share_met": True,
                    "beats_baselines": True},
        "warnings": [],
        "machine_load": {"probes": [{"seconds": 43.4, "own_pct": 50.2, "other_pct": 1.2, "steal_pct": 0.1}],
                         "full_run": {"seconds": 316.7, "own_pct": 49.8, "other_pct": 23.6, "steal_pct": 0.3},
                         "full_run_epochs": {}},
        "seconds_per_epoch": {"median": 51.9, "low": 48.7, "high": 53.7},
        "full_run_seconds": {"median": 316.7, "low": 316.7, "high": 316.7},
    }
    _write(results / "validation" / f"{VALIDATION}.json", vrec)
    _write(results / "validation" / f"{OVERHEAD}.json", {
        "schema_version": 1, "run_id": OVERHEAD, "kind": "overhead", "status": "complete",
        "created_at": "2026-11-30T13:00:00.000000Z", "device": "cpu", "device_name": "AMD EPYC", "pairs": 2,
        "wall_seconds": {"instrumented": [60.0, 61.0], "bare": [59.8, 60.9]}, "ratio_median": 1.0025,
        "ratio_min": 1.0016, "ratio_max": 1.0033, "ratios": [1.0033, 1.0016], "callback_share_median": 0.0012,
        "overhead_met": True})

    try:
        from bench import microbench
    except ImportError:
        return results
    prof = base["profile"]
    benches = []
    for component, seconds in (("train_step", 12.0), ("loader_batch", 0.25)):  # about the fixture's per-batch times
        extra = {"component": component, "device": "cpu", "device_name": prof["device_name"], "model": prof["model"],
                 "imgsz": prof["imgsz"], "batch": prof["batch"], "workers": 0, "images_per_batch": prof["batch"],
                 "torch_threads": prof["torch_threads"], "seconds_per_image": seconds / prof["batch"]}
        assert set(microbench.EXTRA_INFO_KEYS) <= set(extra), "microbench's extra_info keys changed: update here"
        benches.append({"name": f"test_{component}", "extra_info": extra,
                        "stats": {"median": seconds, "q1": seconds * 0.97, "q3": seconds * 1.03,
                                  "min": seconds * 0.95, "max": seconds * 1.1, "rounds": 5}})
    _write(results / "microbench" / "20261130T140000Z-cpu.json",
           {"datetime": "2026-11-30T14:00:00.000000+00:00", "benchmarks": benches})
    return results


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for a kernel of *this* interpreter: a private kernelspec (CI may lack one, or have one that
    starts another `python`), its runtime and IPython directories in a temporary folder, this checkout first on
    the path."""
    jp = tmp_path_factory.mktemp("jupyter")
    spec = jp / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bench review test", "language": "python"}))
    return {"JUPYTER_PATH": os.pathsep.join([str(jp), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep),
            "JUPYTER_RUNTIME_DIR": str(jp / "runtime"), "IPYTHONDIR": str(jp / "ipython"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def execute(results: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the notebook (read from disk, executed in memory) with BENCH_RESULTS=results; return the executed copy."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv(review.RESULTS_ENV, str(results))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return nb


def texts(nb: Any) -> str:
    """Every text output (streams, plain text, HTML) of the executed notebook, joined."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error", f"{o.get('ename')}: {o.get('evalue')}"
            if o["output_type"] == "stream":
                out.append(o["text"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in o.get("data", {}):
                    out.append(o["data"][mime])
    return "\n".join(out)


def pngs(nb: Any) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# --------------------------------------------------------------------------------------------- tests


def test_stored_without_outputs() -> None:
    raw = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    nbformat.validate(nb)
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert code
    for c in code:
        assert c["outputs"] == [], f"cell {c.get('id')} has outputs: clear them before committing"
        assert c["execution_count"] is None, f"cell {c.get('id')} has an execution count"
    last = code[-1]["source"] if isinstance(code[-1]["source"], str) else "".join(code[-1]["source"])
    assert "'torch' not in sys.modules" in last.replace('"', "'")


def test_runs_against_fixture_results(tmp_path: Path, kernel_env: dict[str, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    results = make_results(tmp_path)
    before = digest(NOTEBOOK)
    nb = execute(results, kernel_env, monkeypatch)
    assert digest(NOTEBOOK) == before, "executing the notebook changed the file on disk"
    text = texts(nb)
    # runs, fingerprints, skipped files, invalid runs
    for run_id in (REAL, OTHER_MACHINE, SLOWER, INVALID):
        assert run_id in text
    assert "feedfacecafe" in text and "51eeb48be65a" in text
    assert "corrupt.json" in text and "not valid JSON" in text
    assert "loss is NaN at epoch 1, batch 3" in text
    # the time breakdown
    assert "epoch_fixed" in text and "no mosaic" in text
    # the report: the newest valid record, a row per instance
    assert f"({SLOWER})" in text
    assert "ml.g4dn.xlarge" in text and "cheapest on-demand:" in text
    assert "excluded invalid run" in text
    # comparisons: the slower rerun is a regression, the other machine is flagged
    assert "regression?" in text
    assert f"regression? {SLOWER} is 1.300" in text
    assert "mixes machines (feedfacecafe vs 51eeb48be65a)" in text  # the newest run of each machine
    # validation and overhead
    assert VALIDATION in text and "first_epoch_x_n" in text and "epoch_fixed" in text
    assert "verdict (paired)" in text and "too few runs" in text  # one validation: no ranking
    assert "one speed: mean |error| %" in text  # the errors at one machine speed, when the runs' records are kept
    assert "floor: mean |error| %" in text  # and the machine's floor for what each method watched
    assert "other CPU % probe/full" in text and "1/24" in text  # the full run shared the machine
    assert OVERHEAD in text and "1.0025 [1.0016-1.0033]" in text
    # microbenchmarks, when the module exists
    try:
        import bench.microbench  # noqa: F401
    except ImportError:
        assert "not part of this version of bench" in text
    else:
        assert "cross-check failed" not in text
        assert "train_step" in text and "loader_batch" in text
    assert pngs(nb) >= 4  # the breakdown chart and the report's three plots
    assert "ok: neither torch nor ultralytics was imported" in text


def test_runs_against_empty_results(tmp_path: Path, kernel_env: dict[str, str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    nb = execute(empty, kernel_env, monkeypatch)
    text = texts(nb)
    for said in ("no runs yet", "no skipped files", "no invalid runs", "no report:", "no two complete runs",
                 "no validation records yet", "no overhead records yet", "ok: neither torch"):
        assert said in text, said
    assert pngs(nb) == 0


# --------------------------------------------------------------------------------------------- helpers


def test_regression_verdict_and_ratio_range() -> None:
    older = (100.0, 90.0, 110.0)
    assert review.verdict((121.0, 111.0, 130.0), older) == "regression?"
    assert review.verdict((115.0, 110.0, 120.0), older) == "within ranges"  # median past the bound, ranges touch
    assert review.verdict((85.0, 80.0, 90.0), older) == "within ranges"
    assert review.verdict((85.0, 80.0, 89.9), older) == "faster?"
    m, lo, hi = review.ratio_range((120.0, 108.0, 132.0), older)
    assert (m, lo, hi) == pytest.approx((1.2, 108 / 110, 132 / 90))


def test_results_dir(tmp_path: Path) -> None:
    assert review.results_dir({review.RESULTS_ENV: str(tmp_path)}) == tmp_path.resolve()
    assert review.results_dir({}, cwd=tmp_path) == tmp_path.resolve()  # nothing there: the folder itself
    (tmp_path / "results").mkdir()
    assert review.results_dir({}, cwd=tmp_path) == tmp_path.resolve() / "results"
    shutil.copy(FIXTURES / "results" / f"{REAL}.json", tmp_path)
    assert review.results_dir({}, cwd=tmp_path) == tmp_path.resolve()  # records here: the notebook's own folder


def test_load_sorts_sources(tmp_path: Path) -> None:
    results = make_results(tmp_path)
    r = review.load(results)
    assert [x["run_id"] for x in r.records] == [REAL, OTHER_MACHINE, SLOWER, INVALID]
    assert [x["run_id"] for x in r.invalid] == [INVALID]
    assert [x["run_id"] for x in r.validation] == [VALIDATION]
    assert [x["run_id"] for x in r.overhead] == [OVERHEAD]
    assert len(r.skipped) == 1 and "corrupt.json" in r.skipped[0]  # the overhead record is not "skipped"
    pairs = review.compare_pairs(r.runs)
    reg, cross = review.regression_pairs(pairs), review.cross_pairs(pairs)
    assert [(p["older"], p["newer"], p["check"]) for _, p in reg.iterrows()] == [(REAL, SLOWER, "regression?")]
    # across machines: the newest run of each machine, not every run of one against every run of the other
    assert [(p["older"], p["newer"]) for _, p in cross.iterrows()] == [(OTHER_MACHINE, SLOWER)]


def test_regression_check_is_a_chain_not_every_pair() -> None:
    base = json.loads((FIXTURES / "results" / f"{REAL}.json").read_text(encoding="utf-8"))
    runs = [_variant(base, f"r{i}", f"2026-11-30T0{i}:00:00.000000Z", f) for i, f in enumerate((1.0, 1.01, 1.3, 1.31))]
    full = _variant(base, "full", "2026-11-30T09:00:00.000000Z", 1.0, kind="full")
    pairs = review.compare_pairs([*runs, full])
    assert [(p["older"], p["newer"], p["check"]) for _, p in pairs.iterrows()] == [
        ("r0", "r1", "within ranges"), ("r1", "r2", "regression?"), ("r2", "r3", "within ranges")]


@pytest.mark.parametrize(("where", "change", "why"), [
    (REAL, {"fingerprint": [1]}, "fingerprint is a list, not a mapping"),
    (REAL, {"summary": [1]}, "summary is a list, not a mapping"),
    (REAL, {"config": {"dataset": {"counts": "x"}}}, "config.dataset.counts is a str, not a mapping"),
    (REAL, {"config": {"model": ["x"]}}, "its model is a list"),
    (VALIDATION, {"warnings": 5}, "warnings is a int, not a list"),
    (VALIDATION, {"terms": [1]}, "terms is a list, not a mapping"),
    (VALIDATION, {"repeat": "x"}, "repeat is a str, not a mapping"),
    (VALIDATION, {"fingerprint": "x"}, "fingerprint is a str, not a mapping"),
    # the names the tables group and sort by (a list there made the run comparison fail: unhashable)
    (REAL, {"device": ["cpu"]}, "device is a list, not text"),
    (REAL, {"kind": {"a": 1}}, "kind is a dict, not text"),
    (REAL, {"device_name": 5}, "device_name is a int, not text"),
    (REAL, {"status": "done"}, "status 'done' is not one of complete, interrupted, invalid"),
    (VALIDATION, {"device": ["cpu"]}, "device is a list, not text"),
    # an overhead record is held to the header of every record: a newer schema, a time that is none
    (OVERHEAD, {"schema_version": 7}, "written by a newer bench (schema 7"),
    (OVERHEAD, {"created_at": "yesterday"}, "created_at 'yesterday' is not an ISO time"),
])
def test_review_leaves_out_records_of_shapes_its_tables_cannot_read(tmp_path: Path, where: str,
                                                                    change: dict[str, object], why: str) -> None:
    """Found by a review: each of these made a notebook cell fail (and every later one with it), where `report`
    passes them over. The record is named in the skipped files; every table the notebook shows is built."""
    from bench import review

    results = make_results(tmp_path)
    path = next(p for p in results.rglob(f"{where}.json"))
    rec = json.loads(path.read_text())
    for k, v in change.items():
        rec[k] = (rec.get(k) or {}) | v if isinstance(v, dict) and isinstance(rec.get(k), dict) else v
    path.write_text(json.dumps(rec))
    R = review.load(results)
    assert any(s == f"{where}: {why}; left out of the review" or (s.startswith(f"{path}: ") and why in s)
               for s in R.skipped), R.skipped
    assert where not in [r["run_id"] for r in [*R.records, *R.validation, *R.overhead]]
    tables = [review.runs_table(R.records), review.fingerprints_table(R.records), review.invalid_table(R.invalid),
              review.probe_parts_table(R.runs), review.epoch_parts_table(R.runs), review.skipped_table(R.skipped),
              review.validation_table(R.validation), review.baselines_table(R.validation),
              review.validation_summary_table(R.validation), review.terms_table(R.validation),
              review.overhead_table(R.overhead)]
    pairs = review.compare_pairs(R.runs)
    tables += [review.regression_pairs(pairs), review.cross_pairs(pairs)]
    assert all(t is not None for t in tables)


def test_review_reads_numbers_no_float_can_hold(tmp_path: Path) -> None:
    """A 400-digit integer in a run's range or an overhead figure: shown as n/a, not an OverflowError."""
    from bench import review

    results = make_results(tmp_path)
    path = next(p for p in results.rglob(f"{REAL}.json"))
    rec = json.loads(path.read_text())
    rec["seconds_per_epoch"] = {"median": 10 ** 400, "low": 1.0, "high": 2.0}
    path.write_text(json.dumps(rec))
    opath = next(p for p in results.rglob(f"{OVERHEAD}.json"))
    o = json.loads(opath.read_text())
    o["callback_share_median"] = 10 ** 400
    opath.write_text(json.dumps(o))
    R = review.load(results)
    runs = review.runs_table(R.records).set_index("run_id")
    assert runs.loc[REAL, "s/epoch [range]"] == "n/a"
    assert pd.isna(runs.loc[REAL, "peak accel GiB"])  # a cpu run has no accelerator memory: n/a, not 0.0 GiB
    assert review.overhead_table(R.overhead) is not None
