"""The probe's parts that need no accelerator: clock/sync discipline, budgeted batch sources, the loss guard,
device resolution and the cuda/mps memory and synchronization paths (faked where this machine has no device)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from bench import probe
from bench.errors import Interrupted, UsageError


def test_recorder_syncs_before_every_clock_read() -> None:
    log: list[str] = []
    t = [0.0]

    def clock() -> float:
        log.append("clock")
        t[0] += 1.0
        return t[0]

    rec = probe.Recorder(sync=lambda: log.append("sync"), clock=clock)
    rec.start()
    rec.mark("a")
    rec.mark("b", 1, 2)
    assert log == ["sync", "clock"] * 3
    assert rec.events == [["a", 1.0, 0, 0], ["b", 2.0, 1, 2]]


class FakeLoader:
    """Like ultralytics' InfiniteDataLoader: a persistent, endless iterator and a length of one epoch."""

    def __init__(self) -> None:
        self.iterator: Any = None
        self.closed = False

    def _get_iterator(self) -> Any:
        def gen() -> Any:
            i = 0
            while True:
                i += 1
                yield {"img": [0] * 4, "i": i}

        return gen()

    def __len__(self) -> int:
        return 3

    def __iter__(self) -> Any:
        if self.iterator is None:
            self.iterator = self._get_iterator()
        for _ in range(len(self)):
            yield next(self.iterator)

    def close(self) -> None:
        self.closed = True


def test_batch_source_endless_until_told_to_stop() -> None:
    src = probe.BatchSource(FakeLoader(), stop=lambda n: n >= 7, endless=True)
    got = [b["i"] for b in src]
    assert got == list(range(1, 8))  # past the epoch length of 3: bounded by stop(), not by len()
    assert len(src) == 3
    src.close()  # other attributes reach the loader
    assert src._loader.closed
    assert [b["i"] for b in src] == list(range(8, 15))  # the next phase continues the same stream


def test_batch_source_one_pass_stops_early_without_fetching() -> None:
    loader = FakeLoader()
    fetched: list[int] = []
    src = probe.BatchSource(loader, stop=lambda n: n >= 2)
    for b in src:
        fetched.append(b["i"])
    assert fetched == [1, 2]
    assert next(loader.iterator)["i"] == 3  # the third batch was never loaded in vain
    assert [b["i"] for b in probe.BatchSource(FakeLoader())] == [1, 2, 3]  # no stop: one epoch


def test_batch_source_counts_images() -> None:
    class Img:
        shape = (5, 3, 64, 64)

    src = probe.BatchSource([{"img": Img()}])
    list(src)
    assert src.last_images == 5


@pytest.mark.parametrize(("losses", "bad"), [
    ([{"box": 1.0, "cls": 2.0}, {"box": 0.9, "cls": 1.8}], None),
    ([{"box": 1.0, "cls": math.nan}], "nan"),
    ([{"box": math.inf, "cls": 1.0}], "inf"),
    ([{"box": 0.0, "cls": 1.0}, {"box": 0.0, "cls": 0.8}], "exactly 0"),
    ([{"box": 0.0, "cls": 1.0}, {"box": 0.1, "cls": 0.8}], None),  # one zero is not "stuck"
    ([], None),
])
def test_loss_guard(losses: list[dict[str, float]], bad: str | None) -> None:
    why = probe.check_losses(losses)
    if bad is None:
        assert why is None
    else:
        assert why is not None and bad in why


def test_resolve_device_here() -> None:
    assert probe.resolve_device("cpu").type == "cpu"
    auto = probe.resolve_device("auto")
    assert auto.type in ("cpu", "cuda", "mps")
    with pytest.raises(UsageError, match="unknown device"):
        probe.resolve_device("gpu")
    with pytest.raises(UsageError, match="must be a whole number >= 0"):
        probe.resolve_device("cuda:x")


def test_mps_and_cuda_paths_with_fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    calls: list[str] = []
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append("mps"))
    monkeypatch.setattr(torch.mps, "driver_allocated_memory", lambda: 3 * 2**30)
    mps = probe.Device("mps", "mps", None, "Apple M4 Pro")
    probe.make_sync(mps)()
    assert calls == ["mps"]
    mem = probe.MemoryPeak(mps)
    mem.sample()
    assert mem.accelerator_bytes == 3 * 2**30 and "driver_allocated" in mem.accelerator_kind

    monkeypatch.setattr(torch.cuda, "synchronize", lambda i=None: calls.append(f"cuda{i}"))
    # each counter answers for its own GPU: reading GPU 0's for a run on GPU 1 would read 0
    monkeypatch.setattr(torch.cuda, "max_memory_reserved", lambda i=None: 5 * 2**30 if i == 1 else 0)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda i=None: calls.append(f"reset{i}"))
    cuda = probe.Device("1", "cuda", 1, "NVIDIA T4")
    probe.make_sync(cuda)()
    mem = probe.MemoryPeak(cuda)
    assert mem.to_dict() == {"peak_host_rss_bytes": None, "peak_accelerator_bytes": None,
                             "accelerator_measure": None}  # never sampled: not measured, not 0
    mem.reset()
    mem.sample()
    assert calls[-2:] == ["cuda1", "reset1"]
    assert mem.to_dict()["peak_accelerator_bytes"] == 5 * 2**30
    assert mem.to_dict()["peak_host_rss_bytes"] > 0
    assert probe.make_sync(probe.Device("cpu", "cpu", None, "x"))() is None


def test_mps_unavailable_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(UsageError) as e:
        probe.resolve_device("mps")
    assert "MPS is not available" in str(e.value) and "available: cpu" in str(e.value)


# ------------------------------------------------------------------ a stop request that was swallowed is acted on
def test_a_pending_stop_request_is_raised_at_the_next_event() -> None:
    from bench.errors import Interrupted, clear_signal, note_signal, pending_signal

    rec = probe.Recorder(sync=lambda: None)
    rec.start()
    try:
        note_signal(15)  # the handler's own exception was swallowed (e.g. inside a weakref callback)
        with pytest.raises(Interrupted) as e:
            rec.mark("batch_end")
        assert e.value.signum == 15
        note_signal(2)
        with pytest.raises(KeyboardInterrupt):
            rec.mark("batch_end")
        assert pending_signal() == 2  # kept until the run has acted on it
    finally:
        clear_signal()
    rec.mark("batch_end")
    assert [ev[0] for ev in rec.events] == ["batch_end"]  # only the event after clearing was recorded


def test_swallowed_stop_requests_print_no_traceback() -> None:
    from types import SimpleNamespace

    from bench.cli import _quiet_interrupts
    from bench.errors import Interrupted

    seen: list[BaseException] = []
    hook = _quiet_interrupts(lambda u: seen.append(u.exc_value))
    for exc in (KeyboardInterrupt(), Interrupted(15), ValueError("real")):
        hook(SimpleNamespace(exc_value=exc))
    assert [type(x) for x in seen] == [ValueError]  # only the real error is reported


def test_main_leaves_no_stop_request_behind(capsys: pytest.CaptureFixture[str]) -> None:
    import signal
    import sys

    from bench.cli import main
    from bench.errors import note_signal, pending_signal

    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), sys.unraisablehook)
    note_signal(2)
    assert main(["prices"]) == 0
    capsys.readouterr()
    assert pending_signal() is None
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), sys.unraisablehook) == before


def test_a_ctrl_c_swallowed_by_a_weakref_callback_still_stops_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    """The failure seen in the kill tests: SIGINT landed while the garbage collector ran a weakref callback,
    CPython printed 'Exception ignored ... KeyboardInterrupt' with a traceback, and the run went on to finish."""
    import os
    import signal
    import sys
    import time
    import weakref

    from bench.cli import _on_signal, _quiet_interrupts
    from bench.errors import clear_signal, pending_signal

    old, old_hook = signal.signal(signal.SIGINT, _on_signal), sys.unraisablehook
    sys.unraisablehook = _quiet_interrupts(old_hook)
    try:
        class Obj:
            pass

        def callback(_: object) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, inside the callback: its exception is swallowed

        o = Obj()
        ref = weakref.ref(o, callback)
        del o
        assert ref() is None
        assert pending_signal() == signal.SIGINT  # the request survived
        with pytest.raises(KeyboardInterrupt):  # and the training's next event acts on it
            probe.Recorder(sync=lambda: None).mark("batch_end")
    finally:
        signal.signal(signal.SIGINT, old)
        sys.unraisablehook = old_hook
        clear_signal()
    assert "Traceback" not in capsys.readouterr().err


def test_deadlines_wait_out_the_warm_up_then_move_the_later_phases() -> None:
    budget = 90.0
    d = probe.Deadlines(budget, batch=16)
    assert d.at("train0") == pytest.approx(0.45 * budget) and d.at("final") == pytest.approx(budget)
    # mosaic batches of a 640 px probe on a 2-core CPU (compute, seconds): still falling at 40.5 s
    comp = [22.3, 16.7, 14.9, 12.6, 12.4, 10.0, 10.1, 11.1, 10.5]
    ends = [sum(comp[:k + 1]) + 5.0 for k in range(len(comp))]  # 5 s of setup first
    calls: list[int] = []

    def batches(k: int) -> Any:
        def read() -> list[tuple[float, float, int, int]]:
            calls.append(k)
            return [(0.0, c, 16, 1 if i == 0 else 0) for i, c in enumerate(comp[:k])]
        return read

    assert not d.done("train0", 3, ends[2], batches(3)) and calls == []  # under the minimum: no need to look
    assert not d.done("train0", 4, ends[3], batches(4))  # past the deadline, but warming up
    assert d.extended_from == pytest.approx(ends[3])
    assert [d.done("train0", k, ends[k - 1], batches(k)) for k in range(5, 10)] == [False] * 4 + [True]
    assert d.extension == pytest.approx(ends[8] - ends[3])  # 52.7 s more: five batches
    for phase in ("val0", "train1", "val1", "final"):
        assert d.at(phase) == pytest.approx(probe.PHASE_DEADLINES[phase] * budget + d.extension)
    assert not d.done("val0", 1, d.at("val0") - 0.1, list) and d.done("val0", 1, d.at("val0"), list)

    # a warm-up that never ends stops at the limit: WARMUP_EXTENSION x the budget past the deadline
    e = probe.Deadlines(budget, batch=16)
    falling = lambda: [(0.0, c, 16, 0) for c in (30.0, 20.0, 18.0, 16.0, 14.0, 12.0)]  # noqa: E731
    assert not e.done("train0", 6, 100.0, falling)
    limit = 0.45 * budget + probe.WARMUP_EXTENSION * budget
    assert not e.done("train0", 7, limit - 1.0, falling) and e.done("train0", 8, limit, falling)
    assert e.extension == pytest.approx(limit - 100.0)
    # a steady phase ends at its deadline and moves nothing
    f = probe.Deadlines(budget, batch=16)
    steady = lambda: [(0.0, c, 16, 0) for c in (5.0, 2.1, 2.0, 1.9, 2.2, 2.0)]  # noqa: E731
    assert f.done("train0", 6, 41.0, steady) and f.extension == 0.0 and f.at("val0") == pytest.approx(49.5)


def test_gc_pauses_times_full_collections_only() -> None:
    import gc

    from bench.probe import GcPauses, Recorder

    ticks = iter(range(100))
    rec = Recorder(sync=lambda: None, clock=lambda: float(next(ticks)))
    rec.start()  # t0 = 0
    with GcPauses(rec) as pauses:
        gc.collect(0)
        gc.collect(1)
        assert pauses.pauses == []  # younger generations: not timed
        gc.collect()
        assert len(pauses.pauses) == 1 and pauses.pauses[0][1] == 1.0  # one clock tick from start to stop
    assert pauses._callback not in gc.callbacks  # removed on the way out
    gc.collect()
    assert len(pauses.pauses) == 1


def test_collections_ultralytics_schedules_are_steady_cost_not_one_offs() -> None:
    """ultralytics' _clear_memory runs gc.collect() at every epoch boundary on MPS: those recur, so GcPauses
    leaves them in the boundary's cost; a collection outside it is still timed, also after an exception."""
    import gc

    from bench.probe import GcPauses, Recorder

    ticks = iter(range(100))
    rec = Recorder(sync=lambda: None, clock=lambda: float(next(ticks)))
    rec.start()

    def clear_memory(threshold: float | None = None) -> str:
        gc.collect()
        gc.collect()
        return f"cleared {threshold}"

    def failing() -> None:
        gc.collect()
        raise RuntimeError("boom")

    with GcPauses(rec) as pauses:
        wrapped = pauses.scheduled(clear_memory)
        assert wrapped(None) == "cleared None" and pauses.pauses == []
        with pytest.raises(RuntimeError):
            pauses.scheduled(failing)()
        assert pauses.pauses == []
        gc.collect()  # the depth went back to 0: an unscheduled collection is timed again
        assert len(pauses.pauses) == 1


def test_memory_peak_counts_the_workers_own_memory_once_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a review: a worker's RSS counts every page it shares with this process (a fork), so eight workers
    added gigabytes that do not exist. Their private memory is read instead, once (it walks their page tables)."""
    import multiprocessing
    import time

    import psutil

    walks = []
    real_children = psutil.Process.children

    def counting_children(self: psutil.Process, recursive: bool = False) -> list[psutil.Process]:
        walks.append(recursive)
        return real_children(self, recursive=recursive)

    monkeypatch.setattr(psutil.Process, "children", counting_children)
    ballast = bytearray(200 * 2**20)  # 200 MiB this process holds, which a fork shares until it writes
    worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
    worker.start()
    try:
        time.sleep(0.3)
        mem = probe.MemoryPeak(probe.Device("cpu", "cpu", None, "x"))
        for _ in range(25):
            mem.sample()
        assert walks == []  # nothing between timed steps walks the workers
        own = psutil.Process().memory_info().rss
        child = psutil.Process(worker.pid).memory_info()
        assert child.rss > 100 * 2**20  # the fork's RSS shows the shared ballast...
        mem.sample(children=True)
        assert walks == [True]
        # ...its own memory does not: the peak is this process plus a few MiB, not plus the child's RSS
        assert own <= mem.host_rss_bytes < own + 0.5 * child.rss
    finally:
        worker.kill()
        worker.join()
        del ballast


def test_out_of_memory_is_one_line_that_says_what_to_change() -> None:
    cfg = probe.TrainConfig(model="yolov8m", imgsz=640, batch=32)
    cuda_oom = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.75 GiB total capacity)\nmore")
    assert probe.failure_message(cuda_oom, "cuda", cfg) == (
        "cuda out of memory at batch 32 (yolov8m 640px): this workload does not fit this device; try --batch 16")
    mps_oom = RuntimeError("MPS backend out of memory (MPS allocated: 17.00 GB, other allocations: 1.2 GB)")
    one = probe.TrainConfig(batch=1)
    assert probe.failure_message(mps_oom, "mps", one).endswith("try --batch 1 or a smaller --imgsz")
    other = ValueError("a bad label\nsecond line")
    assert probe.failure_message(other, "cpu", cfg) == "ValueError: a bad label"
    assert probe.failure_message(ValueError(), "cpu", cfg) == "ValueError"
    # every image of a split rejected when ultralytics decoded it: the line says why, not the private cache's path
    none = RuntimeError("No valid images found in /r/runs/x/data/labels/train.cache. Images with incorrectly "
                        "formatted labels are ignored. See https://docs.ultralytics.com/datasets for dataset guide.")
    assert probe.failure_message(none, "cpu", cfg).startswith("ultralytics found no usable image in a split")
    # cuBLAS failing to allocate its workspace is running out of memory too (ultralytics treats it so)
    cublas = RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`")
    assert probe.failure_message(cublas, "cuda", cfg).startswith("cuda out of memory at batch 32")
    # an operator MPS lacks: torch's one long line ends with the hint, which a cut at 300 characters lost
    missing = NotImplementedError(
        "The operator 'aten::_linalg_solve_ex.result' is not currently implemented for the MPS device. If you want "
        "this op to be considered for addition please comment on https://github.com/pytorch/pytorch/issues/141287 "
        "and mention use-case, that resulted in missing op as well as commit hash 2236df1770800ffea5697b11b0bb0d910b2e"
        "59e1. As a temporary fix, you can set the environment variable `PYTORCH_ENABLE_MPS_FALLBACK=1` to use the "
        "CPU as a fallback for this op. WARNING: this will be slower than running natively on MPS.")
    line = probe.failure_message(missing, "mps", cfg)
    assert line.startswith("mps cannot run aten::_linalg_solve_ex.result (not implemented for MPS in torch ")
    assert "use --device cpu, or set PYTORCH_ENABLE_MPS_FALLBACK=1" in line and "\n" not in line


def test_the_fingerprint_records_the_mps_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from bench.fingerprint import collect_torch

    fake = types.SimpleNamespace(get_num_threads=lambda: 4, version=types.SimpleNamespace(cuda=None),
                                 cuda=types.SimpleNamespace(is_available=lambda: False),
                                 backends=types.SimpleNamespace(mps=types.SimpleNamespace(is_available=lambda: True)))
    monkeypatch.delenv("PYTORCH_ENABLE_MPS_FALLBACK", raising=False)
    assert collect_torch(fake)["mps_fallback"] is None and collect_torch(fake)["mps_available"] is True
    monkeypatch.setenv("PYTORCH_ENABLE_MPS_FALLBACK", "1")
    assert collect_torch(fake)["mps_fallback"] == "1"


def test_the_fingerprint_records_a_cuda_driver_and_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from bench.fingerprint import collect_torch

    props = types.SimpleNamespace(name="Tesla T4", total_memory=16 * 2**30, major=7, minor=5,
                                  multi_processor_count=40)
    fake = types.SimpleNamespace(
        get_num_threads=lambda: 4, version=types.SimpleNamespace(cuda="12.4"),
        cuda=types.SimpleNamespace(is_available=lambda: True, device_count=lambda: 1,
                                   get_device_properties=lambda i: props),
        backends=types.SimpleNamespace(cudnn=types.SimpleNamespace(version=lambda: 90100),
                                       mps=types.SimpleNamespace(is_available=lambda: False)),
        _C=types.SimpleNamespace(_cuda_getDriverVersion=lambda: 12040))
    fp = collect_torch(fake)
    assert fp["gpus"] == [{"name": "Tesla T4", "memory_bytes": 16 * 2**30, "capability": "7.5",
                           "multiprocessors": 40}]
    assert fp["cuda_driver"] == "12.4" and fp["cudnn"] == 90100


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "150000 100000\n", "memory.max": "4294967296\n"},
     {"cgroup_cpus": 1.5, "cgroup_memory_bytes": 4294967296}),  # cgroup v2: 1.5 CPUs, 4 GiB
    ({"cpu.max": "max 100000\n", "memory.max": "max\n"}, {}),  # v2 without limits
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n",
      "memory/memory.limit_in_bytes": "8589934592\n"}, {"cgroup_cpus": 2.0, "cgroup_memory_bytes": 8589934592}),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n",
      "memory/memory.limit_in_bytes": "9223372036854771712\n"}, {}),  # v1 without limits
    ({}, {}),  # no cgroup files: nothing, no error
])
def test_the_fingerprint_records_the_container_limits(tmp_path: Path, files: dict[str, str],
                                                      expected: dict[str, object]) -> None:
    """A container's CPU quota and memory limit, which os.cpu_count and the total RAM do not show (review,
    2026-12-08)."""
    from bench.fingerprint import collect_container

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert collect_container(tmp_path) == expected


@pytest.mark.parametrize(("device_type", "name", "allowed"), [
    ("cuda", "Tesla T4", True), ("cuda", "NVIDIA A10G", True), ("cuda", "NVIDIA H200", True),
    ("cuda", "NVIDIA GeForce GTX 1660 Ti", False), ("cuda", "NVIDIA T1000 8GB", False), ("cuda", "Tesla K40m", False),
    ("cuda", "Quadro T2000", False), ("mps", "Apple M4 Pro", False), ("cpu", "AMD EPYC", False)])
def test_amp_follows_ultralytics_without_its_download(device_type: str, name: str, allowed: bool) -> None:
    """The offline AMP check keeps ultralytics' name blocklist: on those GPUs a real run trains in FP32, so the
    probe must time FP32 too."""
    from bench.offline import amp_allowed

    assert amp_allowed(device_type, name) is allowed


def test_a_stop_request_waits_for_the_checkpoint_to_be_whole(tmp_path: Path) -> None:
    """SIGTERM arriving while ultralytics writes last.pt is held until the write is done, then delivered."""
    import os
    import signal

    seen: list[int] = []
    old = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(os.path.getsize(ckpt)))
    ckpt = tmp_path / "last.pt"

    def save_model() -> str:
        with open(ckpt, "wb") as f:
            f.write(b"x" * 1000)
            os.kill(os.getpid(), signal.SIGTERM)  # lands mid-write
            f.write(b"y" * 1000)
        return "saved"

    try:
        assert probe._whole(save_model)() == "saved"
        assert seen == [2000]  # delivered once the file was whole, not before
    finally:
        signal.signal(signal.SIGTERM, old)


def test_the_probe_builds_the_optimizer_the_full_run_would_get(tmp_path: Path) -> None:
    """ultralytics' optimizer=auto picks MuSGD above 10,000 iterations of max(batch, nbs) images, else AdamW; the
    probe's mirror of 256 images and 3 epochs would always give AdamW."""
    from types import SimpleNamespace

    def choose(train_images: int, epochs: int, batch: int = 16, loader: Any = None) -> tuple[int, str]:
        seen: dict[str, Any] = {}

        def build_optimizer(model: Any = None, name: str = "auto", lr: float = 0.001, momentum: float = 0.9,
                            decay: float = 1e-5, iterations: float = 1e5) -> str:
            seen["iterations"] = iterations
            return "MuSGD" if iterations > 10000 else "AdamW"  # ultralytics' rule for name="auto"

        tr = SimpleNamespace(batch_size=batch, args=SimpleNamespace(nbs=64), build_optimizer=build_optimizer,
                             train_loader=loader)
        probe._optimizer_as_full_run(tr, train_images, epochs)
        # as ultralytics' _setup_train calls it, with the probe's own 256 images x 3 epochs: ceil(256 / 64) x 3 = 12
        name = tr.build_optimizer(model=None, name="auto", lr=0.01, momentum=0.937, decay=5e-4, iterations=12)
        return seen["iterations"], name

    assert choose(4195, 50) == (66 * 50, "AdamW")  # the reference job: ceil(4195 / 64) = 66
    assert choose(12_800, 50) == (200 * 50, "AdamW")  # 10,000 exactly is not above it
    assert choose(12_801, 50) == (201 * 50, "MuSGD")
    assert choose(4195, 50, batch=128) == (33 * 50, "AdamW")  # max(batch, nbs) images per iteration
    # ultralytics left 8 of the mirror's 64 images out as corrupt: the full run will leave out the same share,
    # round(12,801 x 56/64) = 11,201 images, ceil(11,201 / 64) = 176 iterations an epoch
    mirror = tmp_path / "images" / "train"
    mirror.mkdir(parents=True)
    for i in range(64):
        (mirror / f"{i:06d}.jpg").write_bytes(b"x")
    kept = SimpleNamespace(dataset=SimpleNamespace(im_files=[str(mirror / f"{i:06d}.jpg") for i in range(56)]))
    assert choose(12_801, 50, loader=kept) == (176 * 50, "AdamW")


def test_own_time_leaves_out_the_wait_for_the_device() -> None:
    """On cuda and mps each clock read first waits for the device's queued work (the backward pass before the
    optimizer step, the whole batch before batch_end): that is the training's time, not the harness's. A fake
    device whose synchronization waits 50 ms: the waits go to ``Recorder.sync_seconds``, not to the own time."""
    import time as _time

    from bench.probe import BatchSource, OwnTime, Recorder, _self_timed, _time_optimizer_steps

    rec = Recorder(sync=lambda: _time.sleep(0.05))
    rec.start()
    own = OwnTime(rec)
    callback = _self_timed(lambda tr: rec.mark("batch_end"), own)
    callback(None)
    callback(None)
    assert rec.sync_seconds >= 0.1 and len(rec.events) == 2
    assert 0 < own.seconds < 0.01  # two marks: their clock reads, not the 2 x 50 ms of waiting

    class Trainer:
        def optimizer_step(self) -> None:
            _time.sleep(0.02)

    tr, state = Trainer(), {}  # type: ignore[var-annotated]
    before, waited = own.seconds, rec.sync_seconds
    _time_optimizer_steps(tr, rec, state, own)
    tr.optimizer_step()
    assert rec.sync_seconds - waited >= 0.1  # a wait before the step and one after it
    # the step's time: from after the first wait to after the second, which waits for the step's own device work
    assert 0.07 <= state["opt_seconds"] < 0.2
    assert 0 < own.seconds - before < 0.01
    before = own.seconds
    assert len(list(BatchSource(FakeLoader(), stop=lambda n: rec.now() < 0 or n >= 2, own=own))) == 2
    assert 0 < own.seconds - before < 0.01  # three deadline checks, each waiting 50 ms for the device
    # without a recorder (the decode counter's own, in older callers) nothing is taken out
    plain = OwnTime()
    with plain.span():
        _time.sleep(0.02)
    assert plain.seconds >= 0.02


def test_own_time_counts_the_wrappers_not_what_they_wrap() -> None:
    """callback_seconds is the harness's overhead: besides its callbacks, the time of its wrappers around
    ultralytics' code (batch sources and their deadline checks, the optimizer-step and memory-clearing timers, the
    decode counter, the gc callback), without the wrapped work itself."""
    import gc
    import time as _time

    from bench.probe import BatchSource, DecodeCounter, GcPauses, OwnTime, Recorder, _time_optimizer_steps, _timed_calls

    own = OwnTime()
    rec = Recorder(sync=lambda: None)
    rec.start()

    def slow_stop(n: int) -> bool:  # a deadline check is the harness's own work
        _time.sleep(0.02)
        return n >= 2

    class SlowLoader(FakeLoader):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for b in super().__iter__():
                _time.sleep(0.05)  # loading a batch is ultralytics' work, not the harness's
                yield b

    assert len(list(BatchSource(SlowLoader(), stop=slow_stop, own=own))) == 2
    assert 0.06 <= own.seconds < 0.1  # three checks of 20 ms; none of the 2 x 50 ms of loading

    before = own.seconds
    calls: list[list[float]] = []
    timed = _timed_calls(lambda: _time.sleep(0.05), rec, calls, own)
    timed()
    assert len(calls) == 1 and calls[0][1] >= 0.05
    assert 0 < own.seconds - before < 0.01

    class Trainer:
        def optimizer_step(self) -> str:
            _time.sleep(0.05)
            return "stepped"

    tr, state = Trainer(), {}  # type: ignore[var-annotated]
    before = own.seconds
    _time_optimizer_steps(tr, rec, state, own)
    assert tr.optimizer_step() == "stepped" and state["opt_seconds"] >= 0.05
    assert 0 < own.seconds - before < 0.01

    class Dataset:
        def __init__(self) -> None:
            self.ims = [None, "cached"]

        def load_image(self, i: int) -> str:
            _time.sleep(0.05)
            return f"image {i}"

    ds = Dataset()
    counter = DecodeCounter(own)
    assert counter.attach(ds)
    before = own.seconds
    assert ds.load_image(0) == "image 0" and ds.load_image(1) == "image 1"
    assert counter.misses == 1 and counter.seconds >= 0.05
    assert 0 < own.seconds - before < 0.01

    before = own.seconds
    with GcPauses(rec, own):
        gc.collect()
    assert own.seconds > before  # its callback ran (start and stop of a full collection)


def test_a_signal_sent_while_other_threads_run_is_still_held() -> None:
    """A signal sent to the process goes to any thread that does not block it; held with pthread_sigmask in the
    main thread only, Python ran its handler mid-block. It waits for the block's end whoever receives it."""
    import os
    import signal
    import threading
    import time as _time

    from bench.errors import deferred_signals

    seen: list[str] = []
    state = {"phase": "before"}
    old = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(state["phase"]))
    try:
        with deferred_signals():
            state["phase"] = "inside"
            sender = threading.Thread(target=lambda: os.kill(os.getpid(), signal.SIGTERM))
            sender.start()
            sender.join()
            for _ in range(100):  # Python bytecode runs: a pending handler would run here
                _time.sleep(0.001)
            state["phase"] = "after"
        assert seen == ["after"]  # delivered once, right after the block
    finally:
        signal.signal(signal.SIGTERM, old)


def test_a_full_disk_while_copying_the_font_names_the_destination(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from bench import offline

    if offline._bundled_font() is None:
        pytest.skip("matplotlib's DejaVuSans.ttf is not installed")

    def full(src: object, dst: Path) -> None:
        Path(dst).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(src))

    monkeypatch.setattr(offline.shutil, "copyfile", full)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # prepare() sets YOLO_* variables: keep them local
    with pytest.raises(OSError) as e:
        offline.prepare(tmp_path / "cfg")
    assert e.value.filename == str(tmp_path / "cfg" / "Ultralytics" / "Arial.ttf") and e.value.errno == errno.ENOSPC
    assert list((tmp_path / "cfg" / "Ultralytics").iterdir()) == []  # the half-written copy is gone


@pytest.mark.parametrize("stop", [KeyboardInterrupt, lambda: Interrupted(15)])
def test_a_stop_while_copying_the_font_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           stop: Any) -> None:
    """SIGINT or SIGTERM landing in the font copy (about 3 s into a run): the stop goes on, and no temporary file is
    left in results/ (test_kill_at_a_random_moment asserts there is none)."""
    import os

    from bench import offline

    if offline._bundled_font() is None:
        pytest.skip("matplotlib's DejaVuSans.ttf is not installed")

    def cut(src: object, dst: Path) -> None:
        Path(dst).write_bytes(b"half")
        raise stop()

    monkeypatch.setattr(offline.shutil, "copyfile", cut)
    monkeypatch.setattr(os, "environ", dict(os.environ))
    with pytest.raises((KeyboardInterrupt, Interrupted)):
        offline.prepare(tmp_path / "cfg")
    assert list((tmp_path / "cfg" / "Ultralytics").iterdir()) == []


@pytest.mark.parametrize(("device_type", "fallback", "warned"), [
    ("mps", "1", True), ("mps", None, False), ("mps", "0", False), ("cpu", "1", False)])
def test_an_mps_run_with_the_cpu_fallback_says_so(tmp_path: Path, device_type: str, fallback: str | None,
                                                   warned: bool) -> None:
    """With PYTORCH_ENABLE_MPS_FALLBACK set, an operator MPS lacks runs on the CPU: the record warns that its
    times are not MPS alone (the fingerprint holds the variable)."""
    from bench import run
    from bench.dataset import DatasetInfo

    res = probe.RunResult(events=[], losses=[], memory={}, wall_seconds=1.0, trainer_epochs=1, plain_from_epoch=1,
                          workers_used=0, amp_used=False, torch_threads=1, gflops=None, val_batch=4, save_dir="x")
    info = DatasetInfo(yaml_path=tmp_path / "d.yaml", root=tmp_path, names=("a",), train_images=(tmp_path / "a.jpg",),
                       val_images=(tmp_path / "b.jpg",), test_images=(), train_bytes=1, val_bytes=1, test_bytes=0)
    rec = run.assemble(run.RunOptions(results=tmp_path), device_type=device_type, device_name="Apple M4 Pro",
                       run_id="r", created="2026-12-03T00:00:00Z", info=info, res=res,
                       fp={"mps_fallback": fallback, "machine_id": None}, kind="probe")
    assert any("PYTORCH_ENABLE_MPS_FALLBACK is set" in w for w in rec["warnings"]) == warned


def test_a_held_warm_up_is_judged_again_as_the_batches_grow_by_a_sixteenth(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a review: judging the warm-up reads every batch so far, between two batches (in the measured data
    wait), and it ran at every batch of the extension: quadratic in a fast GPU's thousands of batches (5 ms a check
    at 2,000). Now every batch under 32, then when the count has grown by a sixteenth; the time limit still holds."""
    import itertools

    import bench.timeline

    monkeypatch.setattr(bench.timeline, "warming_up", lambda batches, **_: len(batches) > 0)  # never steady
    d = probe.Deadlines(90.0, batch=16)
    reads: list[int] = []

    def falling(n: int) -> Any:
        def read() -> list[tuple[float, float, int, int]]:
            reads.append(n)
            return [(0.0, 2.0, 16, 0)] * n
        return read

    t = d.at("train0")
    assert not any(d.done("train0", n, t + n * 1e-3, falling(n)) for n in range(4, 2001))
    assert reads[:28] == list(range(4, 32))  # every batch while there are few
    assert all(b - a == max(1, a // 16) for a, b in itertools.pairwise(reads))
    assert len(reads) == 101  # 28 under 32, then 73 as the count grows by a sixteenth: against 1,997
    limit = t + probe.WARMUP_EXTENSION * 90.0
    assert d.done("train0", 2001, limit, falling(2001))  # the limit ends it whatever the last judgement
