"""Hardware scaling: profile on this device -> estimated profile on a SageMaker instance. Numbers worked by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.catalog import Accelerator, Catalog, Instance, load_accelerators, load_catalog
from bench.extrapolate import estimate_run
from bench.profile import Phase, Profile
from bench.scaling import (
    T4_EFFECTIVE_TFLOPS,
    YOLOV3_SPP_GFLOPS_416,
    NoEstimate,
    ScaledProfile,
    ScalingParams,
    _split_step,
    accelerator_key,
    hardware_distance,
    loader_workers,
    local_bottleneck,
    scale_profile,
    ultralytics_threads,
)
from bench.stats import Range

ONE = Range.exact(1.0)
#: Every uncertain factor exact, so the worked numbers below are exact too.
EXACT = ScalingParams(cpu_speed_ratio=ONE, worker_efficiency=ONE, multi_gpu_efficiency=ONE,
                      cpu_thread_efficiency=Range.exact(0.5), t4_effective_tflops=Range.exact(4.0),
                      amp_speedup=Range.exact(2.0), min_step_seconds=Range.exact(0.0))


def pm5(x: float) -> Range:
    return Range(x, 0.95 * x, 1.05 * x)


def make_profile(device_type: str = "cpu", device_name: str = "AMD EPYC", *, exact: bool = False,
                 **overrides: object) -> Profile:
    """The brief's example CPU profile: yolov8n, 640 px, batch 16, 4195 train / 400 val images."""
    r = Range.exact if exact else pm5
    p = Profile(
        device_type=device_type, device_name=device_name, precision="amp" if device_type == "cuda" else "fp32",
        model="yolov8n", imgsz=640, batch=16, val_batch=32, workers=0, host_cpus=2,
        train_images=4195, val_images=400,
        mosaic=Phase(r(0.25), r(10.4), 40), plain=Phase(r(0.15), r(9.3), 40),
        val_data_seconds_per_batch=r(0.2), val_compute_seconds_per_batch=r(6.3),
        val_fixed_seconds=r(0.5), epoch_fixed_seconds=r(0.6), setup_seconds=6.0, warmup_excess_seconds=18.0,
        torch_threads=1, gflops=8.7)
    return replace(p, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def accels() -> dict[str, Accelerator]:
    return load_accelerators()


def scaled(result: ScaledProfile | NoEstimate) -> ScaledProfile:
    assert isinstance(result, ScaledProfile), result
    return result


# ------------------------------------------------------------------------------------------- recognition


@pytest.mark.parametrize(("name", "key"), [
    ("Tesla T4", "T4"),
    ("NVIDIA T4", "T4"),
    ("Tesla V100-SXM2-16GB", "V100"),
    ("Tesla V100-PCIE-32GB", "V100"),
    ("NVIDIA A10G", "A10G"),
    ("NVIDIA L4", "L4"),
    ("NVIDIA L40S", "L40S"),  # not L4
    ("NVIDIA A100-SXM4-40GB", "A100-40GB"),
    ("NVIDIA A100-PCIE-40GB", "A100-40GB"),
    ("NVIDIA H100 80GB HBM3", "H100"),
    ("NVIDIA H200", "H200"),
    ("Apple M4 Pro", "Apple-MPS"),
    ("NVIDIA A100-SXM4-80GB", None),  # not in the table (other memory, other bandwidth)
    ("NVIDIA H100 PCIe", None),  # the table's H100 figures are for SXM
    ("NVIDIA GeForce RTX 4090", None),
    ("AMD EPYC 7B13", None),
    ("NVIDIA A10", None),  # the A10G's stand-in, not itself in the table
])
def test_accelerator_key_on_real_device_names(name: str, key: str | None, accels: dict[str, Accelerator]) -> None:
    assert accelerator_key(name, accels) == key
    assert accelerator_key(name) == key  # packaged table by default
    assert sum(a.matches(name) for a in accels.values()) == (0 if key is None else 1)  # never ambiguous


def test_accelerator_table_matches_the_reference(accels: dict[str, Accelerator]) -> None:
    t4 = accels["T4"].t4_amp_ratio
    assert (t4.median, t4.low, t4.high) == (1.0, 1.0, 1.0)
    # V100: 122 / 41 = 2.98 (YOLOv3-SPP) and 3382 / 1198 = 2.82 (ResNet-50 AMP) both lie inside the range
    v100 = accels["V100"].t4_amp_ratio
    assert (v100.median, v100.low, v100.high) == (2.9, 2.8, 3.0)
    assert v100.low <= 3382 / 1198 <= v100.high and v100.low <= 122 / 41 <= v100.high
    assert accels["A10G"].t4_amp_ratio.low == 1.7 and accels["A10G"].t4_amp_ratio.median == 2.2
    assert (accels["L4"].t4_amp_ratio.low, accels["L4"].t4_amp_ratio.high) == (1.3, 2.0)
    assert (accels["A100-40GB"].t4_amp_ratio.low, accels["A100-40GB"].t4_amp_ratio.high) == (4.9, 5.8)
    assert accels["H200"].t4_amp_ratio == accels["H100"].t4_amp_ratio
    assert (accels["Apple-MPS"].t4_amp_ratio.low, accels["Apple-MPS"].t4_amp_ratio.high) == (0.15, 0.5)
    for a in accels.values():
        assert a.basis


def test_flops_anchor_derivation() -> None:
    # 141.5 GFLOPs at 608 px x (416/608)^2 = 66.24 GFLOPs at 416; 41 img/s x 3 x 66.24 = 8147 GFLOP/s
    gflops_416, t4_tflops = YOLOV3_SPP_GFLOPS_416, T4_EFFECTIVE_TFLOPS
    assert gflops_416 == pytest.approx(66.24, abs=0.01)
    assert t4_tflops == pytest.approx(8.147, abs=0.001)
    d = ScalingParams().t4_effective_tflops
    assert (d.low, d.high) == pytest.approx((0.3 * 8.147, 8.147), abs=0.001)
    assert d.median == pytest.approx(0.55 * 8.147, abs=0.001)  # 4.481 TFLOP/s: what a T4 row's compute rests on


@pytest.mark.parametrize(("device_type", "device_name", "instance", "distance"), [
    ("cuda", "Tesla T4", "ml.g4dn.xlarge", "same"),
    ("cuda", "NVIDIA H200", "ml.g4dn.xlarge", "near"),
    ("cuda", "NVIDIA H100 80GB HBM3", "ml.p5.48xlarge", "same"),
    ("mps", "Apple M4 Pro", "ml.g5.xlarge", "far"),
    ("cpu", "AMD EPYC", "ml.g5.xlarge", "farthest"),
    ("cpu", "AMD EPYC", "ml.m5.xlarge", "cpu"),
    ("mps", "Apple M4 Pro", "ml.m5.xlarge", "none"),
    ("cuda", "Tesla T4", "ml.c5.4xlarge", "none"),
])
def test_hardware_distance(catalog: Catalog, device_type: str, device_name: str, instance: str,
                           distance: str) -> None:
    p = make_profile(device_type, device_name)
    assert hardware_distance(p, catalog.get(instance)) == distance


@pytest.mark.parametrize(("vcpus", "gpus", "requested", "batches", "workers"), [
    (4, 1, 8, 263, 4),  # ml.g4dn.xlarge: min(4 // 1, 8)
    (8, 1, 8, 263, 8),
    (48, 4, 8, 263, 8),  # ml.g4dn.12xlarge: min(48 // 4, 8)
    (96, 8, 16, 13, 12),  # p4d validation: min(96 // 8, 16, 13 batches)
    (4, 1, 8, 1, 0),  # a single batch runs in-process
    (4, 1, 8, 1.2, 2),  # ceil(1.2) = 2 batches
])
def test_loader_workers(vcpus: int, gpus: int, requested: int, batches: float, workers: int) -> None:
    assert loader_workers(vcpus, gpus, requested, batches) == workers


@pytest.mark.parametrize(("cpus", "threads"), [(1, 1), (2, 1), (4, 3), (8, 7), (16, 8), (192, 8)])
def test_ultralytics_threads(cpus: int, threads: int) -> None:
    assert ultralytics_threads(cpus) == threads


@pytest.mark.parametrize(("compute", "data"), [
    (Range(1.0, 0.9, 1.1), Range(0.5, 0.4, 0.6)),  # compute-bound: no wait
    (Range(0.5, 0.4, 0.6), Range(1.0, 0.9, 1.1)),  # data-bound
    (Range(1.0, 0.5, 1.5), Range(1.0, 0.9, 1.1)),  # crossing: wait's raw bounds would not bracket its median
    (Range(1.0, 0.99, 1.01), Range(0.9, 0.2, 3.0)),
])
def test_split_step_sums_to_the_max_and_stays_ordered(compute: Range, data: Range) -> None:
    comp, wait = _split_step(compute, data)  # Range() itself checks low <= median <= high
    assert comp.median == compute.median
    assert wait.median == pytest.approx(max(0.0, data.median - compute.median))
    for bound in ("median", "low", "high"):
        total = getattr(comp, bound) + getattr(wait, bound)
        assert total == pytest.approx(max(getattr(compute, bound), getattr(data, bound)))
    assert wait.low >= 0 and comp.low >= 0


# ------------------------------------------------------------------------------------------- CUDA targets


def test_cuda_to_cuda_ratio(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile("cuda", "Tesla T4", exact=True, workers=8, host_cpus=16,
                       mosaic=Phase(Range.exact(0.0), Range.exact(0.3), 40))
    s = scaled(scale_profile(src, catalog.get("ml.p3.2xlarge"), accels, EXACT))
    c = s.profile.mosaic.compute_seconds_per_batch
    # 0.3 s on a T4 (1.0) -> V100 2.9 (2.8-3.0): 0.3/2.9 = 0.10345, low 0.3/3.0 = 0.1, high 0.3/2.8 = 0.10714
    assert (c.median, c.low, c.high) == pytest.approx((0.10345, 0.1, 0.10714), abs=5e-6)
    assert s.distance == "near" and s.systematic == 0.15 and s.profile.precision == "amp"


def test_same_accelerator_is_unchanged(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile("cuda", "NVIDIA H100 80GB HBM3", exact=True, workers=8, host_cpus=16)
    s = scaled(scale_profile(src, catalog.get("ml.p5.48xlarge"), accels, EXACT))
    # 8 GPUs, efficiency 1: 10.4 / 8 = 1.3 s per step, exactly (ratio H100/H100 = 1, not 9/11..11/9)
    assert s.profile.mosaic.compute_seconds_per_batch == Range.exact(10.4 / 8)
    assert s.distance == "same" and s.systematic == 0.10


def test_fp32_cuda_source_gets_the_amp_factor(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile("cuda", "Tesla T4", exact=True, workers=8, host_cpus=16, precision="fp32",
                       mosaic=Phase(Range.exact(0.0), Range.exact(0.3), 40))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.2xlarge"), accels, EXACT))
    assert s.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(0.3 / 2.0)  # amp_speedup 2


def test_mps_source(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile("mps", "Apple M4 Pro", exact=True, mosaic=Phase(Range.exact(0.01), Range.exact(1.0), 40))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.2xlarge"), accels, EXACT))
    c = s.profile.mosaic.compute_seconds_per_batch
    # MPS 0.3 (0.15-0.5) x T4 -> T4: 1.0 s x 0.3 = 0.3, low 0.15, high 0.5
    assert (c.median, c.low, c.high) == pytest.approx((0.3, 0.15, 0.5))
    assert s.distance == "far" and s.systematic == 0.20
    assert any("weak evidence" in n for n in s.notes)


def test_cpu_source_flops_anchor(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile(exact=True)
    s = scaled(scale_profile(src, catalog.get("ml.g5.2xlarge"), accels, EXACT))
    # T4: 3 x 8.7 GFLOPs x 16 images / 4000 GFLOP/s = 0.1044 s; A10G 2.2 (1.7-2.3): 0.04745 (0.04539-0.06141)
    c = s.profile.mosaic.compute_seconds_per_batch
    assert (c.median, c.low, c.high) == pytest.approx((0.1044 / 2.2, 0.1044 / 2.3, 0.1044 / 1.7))
    assert s.profile.plain.compute_seconds_per_batch == c  # same FLOPs with or without mosaic
    # validation: forward only, 8.7 x 32 / 4000 = 0.0696 s on a T4
    assert s.profile.val_compute_seconds_per_batch.median == pytest.approx(0.0696 / 2.2)
    assert s.distance == "farthest" and s.systematic == 0.25


def test_cpu_source_without_gflops(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    result = scale_profile(make_profile(gflops=None), catalog.get("ml.g4dn.xlarge"), accels)
    assert isinstance(result, NoEstimate) and "GFLOPs" in result.reason


@pytest.mark.parametrize("source", ["cpu", "mps", "cuda"])
def test_faster_accelerator_never_slower(source: str, accels: dict[str, Accelerator]) -> None:
    name = {"cpu": "AMD EPYC", "mps": "Apple M2 Pro", "cuda": "Tesla T4"}[source]
    src = make_profile(source, name, workers=8 if source == "cuda" else 0, host_cpus=16)
    previous = None
    for ratio in (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0):
        table = {**accels, "X": replace(accels["T4"], key="X", t4_amp_ratio=Range(ratio, 0.9 * ratio, 1.1 * ratio),
                                        patterns=("^x$",))}
        inst = Instance("ml.x.xlarge", "X", 1, 16, 64, 64, True, {}, "x")
        s = scaled(scale_profile(src, inst, table))
        c = s.profile.mosaic.compute_seconds_per_batch
        step = c + s.profile.mosaic.data_seconds_per_batch
        if previous is not None:
            for bound in ("median", "low", "high"):
                assert getattr(c, bound) <= getattr(previous[0], bound) + 1e-12
                assert getattr(step, bound) <= getattr(previous[1], bound) + 1e-12
        previous = (c, step)


def test_data_bound_on_a_4_vcpu_instance(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile(exact=True, mosaic=Phase(Range.exact(5.0), Range.exact(10.0), 40))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.xlarge"), accels, EXACT))
    # 4 workers (4 vCPU), efficiency 1, same core speed: data term 5.0 / 4 = 1.25 s per batch;
    # compute 3 x 8.7 x 16 / 4000 = 0.1044 s; the step is the data term
    assert s.bottleneck == "data"
    ph = s.profile.mosaic
    assert ph.compute_seconds_per_batch.median == pytest.approx(0.1044)
    assert ph.data_seconds_per_batch.median == pytest.approx(1.25 - 0.1044)
    assert ph.seconds_per_batch.median == pytest.approx(1.25)
    dl = s.profile.data_load_seconds_per_batch
    assert dl is not None and (dl.median, dl.low, dl.high) == pytest.approx((1.25, 1.25, 1.25))
    assert s.profile.workers == 4 and s.profile.host_cpus == 4


def test_loader_and_gpu_within_10_percent_are_balanced(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    # compute 3 x 8.7 x 16 / 4000 = 0.1044 s on the T4; 4 workers: a data term of 4 x loader per batch
    for loader, expected in ((0.1044 * 1.05, "balanced"), (0.1044 * 0.95, "balanced"), (0.1044 * 1.15, "data"),
                             (0.1044 * 0.85, "compute")):
        src = make_profile(exact=True, mosaic=Phase(Range.exact(4 * loader), Range.exact(10.0), 40))
        s = scaled(scale_profile(src, catalog.get("ml.g4dn.xlarge"), accels, EXACT))
        assert s.bottleneck == expected, loader


def test_compute_bound_and_the_defaults_widen(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile()
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.2xlarge"), accels))
    # data: 0.25 x 1.0 / (8 workers x 0.7) = 0.04464 s < compute 3 x 8.7 x 16 / 4481 = 0.0932 s
    assert s.bottleneck == "compute"
    assert s.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(3 * 8.7 * 16 / 4481.3, rel=1e-4)
    assert s.profile.data_load_seconds_per_batch is not None
    assert s.profile.data_load_seconds_per_batch.median == pytest.approx(0.25 / (8 * 0.7))
    assert s.profile.mosaic.data_seconds_per_batch.median == 0.0
    assert s.profile.mosaic.compute_seconds_per_batch.rel_width > src.mosaic.compute_seconds_per_batch.rel_width


def test_multi_gpu_efficiency(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile("cuda", "Tesla T4", exact=True, workers=8, host_cpus=16,
                       mosaic=Phase(Range.exact(0.0), Range.exact(0.4), 40))
    params = replace(EXACT, multi_gpu_efficiency=Range.exact(0.8))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.12xlarge"), accels, params))
    # 4 T4 at 0.8 efficiency: 0.4 / (4 x 0.8) = 0.125 s per step; 8 workers per GPU (48 // 4 = 12, capped at 8)
    assert s.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(0.125)
    assert s.profile.workers == 8
    assert any("4 images per GPU" in n for n in s.notes)
    default = scaled(scale_profile(src, catalog.get("ml.g4dn.12xlarge"), accels))
    c = default.profile.mosaic.compute_seconds_per_batch  # efficiency 0.75 (0.5-0.9)
    assert (c.median, c.low, c.high) == pytest.approx((0.4 / 3.0, 0.4 / 3.6, 0.4 / 2.0))


def test_cuda_source_data_from_the_wait(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    # a T4 host with 8 workers waited 0.1 s per batch on 0.2 s of compute: data-bound, its loader needed 0.3 s
    # per batch with 8 workers = 2.4 worker-seconds; on ml.g4dn.xlarge (4 workers): 2.4 / 4 = 0.6 s per batch
    src = make_profile("cuda", "Tesla T4", exact=True, workers=8, host_cpus=16,
                       mosaic=Phase(Range.exact(0.1), Range.exact(0.2), 40))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.xlarge"), accels, EXACT))
    dl = s.profile.data_load_seconds_per_batch
    assert dl is not None and (dl.median, dl.low, dl.high) == pytest.approx((0.6, 0.6, 0.6))
    assert s.bottleneck == "data" and s.profile.mosaic.seconds_per_batch.median == pytest.approx(0.6)
    # with a measured loader time it is used instead: 0.05 s x 8 workers / 4 workers = 0.1 s
    measured = replace(src, data_load_seconds_per_batch=Range.exact(0.05))
    s2 = scaled(scale_profile(measured, catalog.get("ml.g4dn.xlarge"), accels, EXACT))
    dl2 = s2.profile.data_load_seconds_per_batch
    assert dl2 is not None and dl2.median == pytest.approx(0.1) and dl2.high == pytest.approx(0.1)
    assert s2.bottleneck == "compute"


def test_cuda_source_without_workers_loaded_in_series(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    # workers=0 on the T4 host: the 0.5 s wait is the whole serial cost; 4 workers on ml.g4dn.xlarge: 0.125 s
    src = make_profile("cuda", "Tesla T4", exact=True, workers=0, host_cpus=16,
                       mosaic=Phase(Range.exact(0.5), Range.exact(0.2), 40))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.xlarge"), accels, EXACT))
    dl = s.profile.data_load_seconds_per_batch
    assert dl is not None and dl.median == pytest.approx(0.125)


def test_per_step_floor_on_large_gpus(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    s = scaled(scale_profile(make_profile(), catalog.get("ml.p5.48xlarge"), accels))
    assert s.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(0.015)
    assert any("floor" in n for n in s.notes)


def test_unknown_source_gpu(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    result = scale_profile(make_profile("cuda", "NVIDIA GeForce RTX 4090"), catalog.get("ml.g5.xlarge"), accels)
    assert isinstance(result, NoEstimate) and "not in accelerators.json" in result.reason


# ------------------------------------------------------------------------------------------- CPU targets


def test_cpu_to_cpu_thread_scaling(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile(exact=True)
    s = scaled(scale_profile(src, catalog.get("ml.m5.2xlarge"), accels, EXACT))
    # 8 vCPU -> 7 threads; 1 + 6 x 0.5 = 4 cores' worth vs 1 on the source: 10.4 / 4 = 2.6 s per batch
    assert s.profile.torch_threads == 7
    assert s.profile.mosaic.compute_seconds_per_batch == Range.exact(2.6)
    assert s.profile.mosaic.data_seconds_per_batch == Range.exact(0.25)  # data stays serial
    assert s.profile.val_compute_seconds_per_batch == Range.exact(6.3 / 4)
    assert s.distance == "cpu" and s.profile.device_type == "cpu" and s.profile.workers == 0


def test_cpu_to_cpu_default_ranges(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    s = scaled(scale_profile(make_profile(exact=True), catalog.get("ml.m5.xlarge"), accels))
    c = s.profile.mosaic.compute_seconds_per_batch
    # 4 vCPU -> 3 threads; efficiency 0.7 (0.5-0.9): 1 + 2e = 2.4 (2.0-2.8); core speed 1.0 (0.7-1.3)
    assert (c.median, c.low, c.high) == pytest.approx((10.4 / 2.4, 10.4 / 2.8 * 0.7, 10.4 / 2.0 * 1.3))


def test_cpu_source_with_unknown_threads(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    src = make_profile(exact=True, torch_threads=0, host_cpus=4)  # ultralytics' default there: 3 threads
    s = scaled(scale_profile(src, catalog.get("ml.m5.xlarge"), accels, EXACT))  # also 3 threads: unchanged
    assert s.profile.mosaic.compute_seconds_per_batch == Range.exact(10.4)
    assert any("assumed" in n for n in s.notes)


@pytest.mark.parametrize(("device_type", "name"), [("mps", "Apple M4 Pro"), ("cuda", "Tesla T4")])
def test_no_cpu_target_from_an_accelerator(catalog: Catalog, accels: dict[str, Accelerator], device_type: str,
                                           name: str) -> None:
    result = scale_profile(make_profile(device_type, name), catalog.get("ml.c5.4xlarge"), accels)
    assert isinstance(result, NoEstimate)
    assert "CPU measurements only" in result.reason and result.instance == "ml.c5.4xlarge"


# ------------------------------------------------------------------------------------------- the whole chain


def test_estimate_widens_with_distance(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    inst = catalog.get("ml.g4dn.xlarge")
    widths = {}
    for device_type, name in (("cuda", "NVIDIA A10G"), ("mps", "Apple M1 Pro"), ("cpu", "AMD EPYC")):
        src = make_profile(device_type, name, workers=8 if device_type == "cuda" else 0, host_cpus=16)
        s = scaled(scale_profile(src, inst, accels))
        widths[s.distance] = estimate_run(s.profile, systematic=s.systematic).full_run_seconds.rel_width
    assert widths["near"] < widths["far"] < widths["farthest"]


def test_example_profile_on_g4dn_xlarge(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    s = scaled(scale_profile(make_profile(), catalog.get("ml.g4dn.xlarge"), accels))
    hours = estimate_run(s.profile, 50, 10, s.systematic).full_run_seconds.scale(1 / 3600)
    local = estimate_run(make_profile(), 50, 10).full_run_seconds.scale(1 / 3600)
    # 24 s of one-offs + 50 x (262.19 batches x 0.093187 s + val 1.393 s + boundary 0.6 s) + final val 1.393 s
    assert hours.median * 3600 == pytest.approx(24 + 50 * (262.1875 * 0.0931873 + 1.39286 + 0.6) + 1.39286, rel=1e-4)
    assert hours.low > 0  # about 0.37 h against about 39 h here
    assert local.median / hours.median > 50


@pytest.mark.parametrize(("mosaic", "device_type", "data_load", "expected"), [
    (Phase(Range.exact(0.25), Range.exact(10.4), 4), "cpu", None, "compute"),
    (Phase(Range.exact(2.0), Range.exact(1.0), 4), "cpu", None, "data"),
    (Phase(Range.exact(0.05), Range.exact(0.2), 4), "cuda", None, "data"),  # waited 25% of compute
    (Phase(Range.exact(0.001), Range.exact(0.2), 4), "cuda", None, "compute"),
    (Phase(Range.exact(0.0), Range.exact(0.2), 4), "cuda", Range.exact(0.3), "data"),
])
def test_local_bottleneck(mosaic: Phase, device_type: str, data_load: Range | None, expected: str) -> None:
    p = make_profile(device_type, "Tesla T4", mosaic=mosaic, data_load_seconds_per_batch=data_load)
    assert local_bottleneck(p) == expected


def test_data_term_by_hand(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    g4_12 = catalog.get("ml.g4dn.12xlarge")  # 48 vCPUs, 4 GPUs
    # 4 GPUs, 8 workers each: the 0.25 s serial data of a batch over 32 loaders
    s = scaled(scale_profile(make_profile(exact=True), g4_12, accels, EXACT))
    assert s.profile.data_load_seconds_per_batch.median == pytest.approx(0.25 / 32)
    # one batch per rank: no workers, each rank loads its own batch in-process: split over the 4 ranks only
    s = scaled(scale_profile(make_profile(exact=True, train_images=16), g4_12, accels, EXACT))
    assert s.profile.workers == 0 and s.profile.data_load_seconds_per_batch.median == pytest.approx(0.25 / 4)
    # the instance's cores 2x slower than this machine's: 5.0 s x 2 over g4dn.xlarge's 4 workers
    src = make_profile(exact=True, mosaic=Phase(Range.exact(5.0), Range.exact(10.0), 40))
    slower = replace(EXACT, cpu_speed_ratio=Range.exact(2.0))
    s = scaled(scale_profile(src, catalog.get("ml.g4dn.xlarge"), accels, slower))
    assert s.profile.data_load_seconds_per_batch.median == pytest.approx(2.5)
    # validation: 48 vCPUs / 4 GPUs = 12 per GPU, min(12, 2 x 8, 13 batches) = 12 workers: a 2 s serial val batch
    # takes 2 / (12 x 4) = 0.0417 s, above its 8.7 x 32 / 4000 / 4 = 0.0174 s of compute
    s = scaled(scale_profile(make_profile(exact=True, val_data_seconds_per_batch=Range.exact(2.0)), g4_12, accels,
                             EXACT))
    val_step = s.profile.val_data_seconds_per_batch.median + s.profile.val_compute_seconds_per_batch.median
    assert val_step == pytest.approx(2.0 / 48)
    assert any("12 for validation" in n for n in s.notes)


def test_cpu_target_scales_data_and_fixed_costs_by_core_speed(catalog: Catalog,
                                                             accels: dict[str, Accelerator]) -> None:
    s = scaled(scale_profile(make_profile(exact=True), catalog.get("ml.m5.xlarge"), accels,
                             replace(EXACT, cpu_speed_ratio=Range.exact(1.5))))
    assert s.profile.mosaic.data_seconds_per_batch.median == pytest.approx(0.25 * 1.5)
    assert s.profile.epoch_fixed_seconds.median == pytest.approx(0.6 * 1.5)


def test_step_floor_applies_to_both_phases(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    s = scaled(scale_profile(make_profile(), catalog.get("ml.p5.48xlarge"), accels))
    assert s.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(0.015)
    assert s.profile.plain.compute_seconds_per_batch.median == pytest.approx(0.015)


def test_the_warm_up_of_the_first_batches_scales_as_the_compute_does(catalog: Catalog,
                                                                      accels: dict[str, Accelerator]) -> None:
    """Found by a review (2026-12-03): a CPU probe's whole warm-up (16 s in the default probe, mostly its first
    batches' CPU compute) went into every GPU estimate as CPU-side work. Its device part (the first batches'
    compute above the steady state) now scales as the compute does; the rest (boundary, collections, plots) stays
    CPU-side work, x the per-core ratio. A record without the split (before 2026-12-03) keeps the old rule."""
    params = ScalingParams()
    r = params.cpu_speed_ratio.median
    t4 = catalog.get("ml.g4dn.xlarge")
    old = scaled(scale_profile(make_profile(), t4, accels, params)).profile
    assert old.warmup_excess_seconds == pytest.approx(18.0 * r) and old.warmup_device_seconds == 0.0
    split = make_profile(warmup_device_seconds=12.0)
    new = scaled(scale_profile(split, t4, accels, params)).profile
    factor = new.mosaic.compute_seconds_per_batch.median / split.mosaic.compute_seconds_per_batch.median
    assert 0 < factor < 0.05  # a T4 step against a 2-core CPU's 10.4 s
    assert new.warmup_device_seconds == pytest.approx(12.0 * factor)
    assert new.warmup_excess_seconds == pytest.approx(6.0 * r + 12.0 * factor)
    cpu = scaled(scale_profile(split, catalog.get("ml.m5.xlarge"), accels, params)).profile
    # a CPU target (found by a review, 2026-12-08: the device part moved with the per-core ratio only): 1 -> 3 torch
    # threads at 0.7 of a core each, x 1 / (1 + 2 x 0.7) = 0.41667 as the compute; 6 + 12 x 0.41667 = 11.0 s
    cf = cpu.mosaic.compute_seconds_per_batch.median / split.mosaic.compute_seconds_per_batch.median
    assert r == 1.0 and cf == pytest.approx(1 / 2.4)
    assert cpu.warmup_excess_seconds == pytest.approx(11.0) and cpu.warmup_device_seconds == pytest.approx(5.0)


# --- found by a review (2026-12-08): cases no test checked --------------------------------------------------------


def _t4_source(wait: float, **over: object) -> Profile:
    """A T4 host with 16 CPUs and 8 workers, 0.1 s of compute per batch, ``wait`` of data wait per batch."""
    x = Range.exact
    return make_profile("cuda", "Tesla T4", exact=True, workers=8, host_cpus=16,
                        mosaic=Phase(x(wait), x(0.1), 40), plain=Phase(x(wait), x(0.1), 40),
                        val_data_seconds_per_batch=x(0.0), val_compute_seconds_per_batch=x(0.1), **over)


def test_the_estimate_does_not_jump_at_the_data_bound_threshold(catalog: Catalog,
                                                              accels: dict[str, Accelerator]) -> None:
    """A wait of 4.9% of compute gave 0.40 h on ml.g4dn.xlarge and one of 5.1% gave 0.81 h: the loader time's
    median jumped from the wait to compute + wait. It now moves there as the wait nears the threshold (5%)."""
    t4 = catalog.get("ml.g4dn.xlarge")  # 4 vCPU: 4 loader workers against the source's 8

    def step(wait: float) -> float:
        return scaled(scale_profile(_t4_source(wait), t4, accels, EXACT)).profile.mosaic.seconds_per_batch.median

    # no wait: loader time 0 (median), compute sets the step: 0.1 s
    assert step(0.0) == pytest.approx(0.1)
    # 2.5% (half the threshold): loader time 0.0025 + 0.5 x 0.1 = 0.0525 s per batch with 8 workers = 0.42 s of one
    # worker; 4 workers: 0.105 s > 0.1 s compute, so data sets the step
    assert step(0.0025) == pytest.approx(0.0525 * 8 / 4)
    # either side of the threshold: (0.1 + 0.0049) x 2 = 0.2098 against (0.1 + 0.0051) x 2 = 0.2102
    assert step(0.0049) == pytest.approx((0.0049 + 0.049 / 0.05 * 0.1) * 2)
    assert step(0.0051) == pytest.approx((0.1 + 0.0051) * 2)
    assert abs(step(0.0051) - step(0.0049)) < 0.005


def test_the_source_validation_workers_come_from_the_record(catalog: Catalog,
                                                            accels: dict[str, Accelerator]) -> None:
    """A probe validates 4 batches, so its validation loader had 4 workers; the rule for the full set (2 x 8
    capped by 16 CPUs and 13 batches) said 13, and the validation data term came out 13 / 4 = 3.25x too slow."""
    x = Range.exact
    g4 = catalog.get("ml.g4dn.2xlarge")  # 8 vCPU: 8 validation workers
    src = replace(_t4_source(0.0), val_data_seconds_per_batch=x(0.05), val_compute_seconds_per_batch=x(0.1))
    recorded = scaled(scale_profile(replace(src, val_workers=4), g4, accels, EXACT))
    # data-bound validation (wait 50% of compute): 0.15 s per batch x 4 workers / 8 = 0.075 s < 0.1 s compute
    assert recorded.profile.val_data_seconds_per_batch.median == pytest.approx(0.0)
    assert recorded.profile.val_compute_seconds_per_batch.median == pytest.approx(0.1)
    assert any("x 4 source workers" in n for n in recorded.notes)
    old = scaled(scale_profile(src, g4, accels, EXACT))  # a record without val_workers: the rule, 13
    assert any("x 13 source workers" in n for n in old.notes)
    assert old.profile.val_data_seconds_per_batch.median + old.profile.val_compute_seconds_per_batch.median == \
        pytest.approx(0.15 * 13 / 8)
    # a one-batch validation set ran its loader in series: the wait is the whole loading cost, / 8 workers
    serial = scaled(scale_profile(replace(src, val_workers=0), g4, accels, EXACT))
    assert serial.profile.val_data_seconds_per_batch.median + serial.profile.val_compute_seconds_per_batch.median \
        == pytest.approx(0.1)


def test_gpu_sources_scale_each_phase_and_validation(catalog: Catalog, accels: dict[str, Accelerator]) -> None:
    """CUDA -> CUDA: every compute term x (source / target in T4 units); the no-mosaic phase keeps its own data.
    MPS -> CUDA: x 0.3 / target. FP32 on the source: / the AMP speed-up, bounds crossed conservatively."""
    x = Range.exact
    src = replace(_t4_source(0.0), plain=Phase(x(0.0), x(0.08), 40), val_compute_seconds_per_batch=x(0.06))
    v100 = scaled(scale_profile(src, catalog.get("ml.p3.2xlarge"), accels, EXACT)).profile
    assert v100.mosaic.compute_seconds_per_batch.median == pytest.approx(0.1 / 2.9)
    assert v100.plain.compute_seconds_per_batch.median == pytest.approx(0.08 / 2.9)
    assert v100.val_compute_seconds_per_batch.median == pytest.approx(0.06 / 2.9)
    # V100 2.9 (2.8-3.0): the fast bound divides by 3.0, the slow one by 2.8
    assert (v100.mosaic.compute_seconds_per_batch.low, v100.mosaic.compute_seconds_per_batch.high) == \
        pytest.approx((0.1 / 3.0, 0.1 / 2.8))
    fp32 = scaled(scale_profile(replace(src, precision="fp32"), catalog.get("ml.p3.2xlarge"), accels,
                                replace(EXACT, amp_speedup=Range(2.0, 1.5, 2.5)))).profile.mosaic
    # / the AMP speed-up 2.0 (1.5-2.5): fast bound 0.1 / 3.0 / 2.5, slow bound 0.1 / 2.8 / 1.5
    assert (fp32.compute_seconds_per_batch.median, fp32.compute_seconds_per_batch.low,
            fp32.compute_seconds_per_batch.high) == pytest.approx((0.1 / 2.9 / 2, 0.1 / 7.5, 0.1 / 4.2))
    mps = make_profile("mps", "Apple M4 Pro", exact=True, val_compute_seconds_per_batch=x(6.0))
    on_t4 = scaled(scale_profile(mps, catalog.get("ml.g4dn.xlarge"), accels, EXACT)).profile
    assert on_t4.mosaic.compute_seconds_per_batch.median == pytest.approx(10.4 * 0.3)
    assert on_t4.plain.compute_seconds_per_batch.median == pytest.approx(9.3 * 0.3)
    assert on_t4.val_compute_seconds_per_batch.median == pytest.approx(6.0 * 0.3)
    # the no-mosaic phase keeps its own data wait: 0.15 s per batch in series on a 2-core source, / 4 workers
    assert on_t4.plain.data_seconds_per_batch.median + on_t4.plain.compute_seconds_per_batch.median == \
        pytest.approx(max(9.3 * 0.3, 0.15 / 4))


def test_both_phases_carry_the_systematic_margin() -> None:
    """estimate_run widens every epoch by the margin, the no-mosaic ones too, and handles close_mosaic >= epochs."""
    p = make_profile(exact=True)
    bare, wide = estimate_run(p, 10, 10, systematic=0.0), estimate_run(p, 10, 10, systematic=0.2)
    assert bare.seconds_per_epoch_plain.low == bare.seconds_per_epoch_plain.high  # exact inputs: no spread
    assert wide.seconds_per_epoch_plain.low == pytest.approx(0.8 * bare.seconds_per_epoch_plain.median)
    assert wide.seconds_per_epoch_plain.high == pytest.approx(1.2 * bare.seconds_per_epoch_plain.median)
    assert wide.full_run_seconds.high == pytest.approx(1.2 * bare.full_run_seconds.median)
    # all 10 epochs without mosaic (close_mosaic 10 or 30 alike): 10 plain epochs + the final evaluation
    assert estimate_run(p, 10, 30, systematic=0.0).full_run_seconds == bare.full_run_seconds
    plain_epoch = 262.1875 * (0.15 + 9.3) + (400 / 32) * (0.2 + 6.3) + 0.5 + 0.6
    assert bare.seconds_per_epoch_plain.median == pytest.approx(plain_epoch)
