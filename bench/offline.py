"""Keep ultralytics offline and out of the user's home. Call :func:`prepare` before importing ultralytics.

Every network access ultralytics 8.4 makes during train()/val() and the switch that stops it
(bench/data/reference/ultralytics-notes.md):

* online check at import, PyPI update check, analytics events  -> ``YOLO_OFFLINE=1``
* font download (check_font, called by every dataset check)    -> a TTF at $YOLO_CONFIG_DIR/Ultralytics/
* AMP check on CUDA (downloads yolo26n.pt)                      -> :func:`patch_amp_check` (AMP stays on)
* package auto-install                                          -> ``YOLO_AUTOINSTALL=False``
* dataset download (``download:`` key)                          -> we always pass a checked, local data.yaml
* weights by name                                               -> models are built from ``*.yaml`` (random weights)
* integrations (Platform, MLflow, DVC, ClearML, Comet, W&B...)  -> :func:`quiet_integrations`, no API key
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

#: Font names ultralytics asks for (check_font): ASCII class names use the first, others the second.
FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")


def _bundled_font() -> Path | None:
    """DejaVuSans from matplotlib (a core dependency): any TTF satisfies ultralytics' font check."""
    try:
        import matplotlib

        p = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        return p if p.exists() else None
    except Exception:  # pragma: no cover - matplotlib is a dependency
        return None


def private_matplotlib_dir() -> str | None:
    """Point matplotlib's cache (its font list) at a private folder in the temporary directory when nothing says
    where it goes (``MPLCONFIGDIR``) and matplotlib is not imported yet, so that a report or the notebook writes
    nothing in the user's home (``bench.plots`` and ``bench.review``, which the notebook imports before pyplot,
    call it at import; ``bench run`` puts it under its own config folder, :func:`prepare`). The folder
    is ``bench-matplotlib-<uid>``, made with mode 0700; one that is not this user's own folder is not used (then
    matplotlib picks its default). Returns the folder set, or None."""
    import stat
    import sys
    import tempfile

    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return None
    uid = os.getuid() if hasattr(os, "getuid") else None
    d = Path(tempfile.gettempdir()) / f"bench-matplotlib-{uid if uid is not None else 'user'}"
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st = d.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid) or st.st_mode & 0o022:
        return None
    os.environ["MPLCONFIGDIR"] = str(d)
    return str(d)


#: ultralytics' integrations (utils/callbacks/base.py ``add_integration_callbacks``): each one whose setting is True
#: and whose package is installed is added to every trainer, and none asks YOLO_OFFLINE: MLflow, DVC, ClearML,
#: Comet, Ray Tune, TensorBoard, W&B log or upload the run; ``sync`` sends analytics events; the Platform callback
#: streams metrics and uploads checkpoints whenever an API key is set (``ULTRALYTICS_API_KEY`` or ``api_key``).
QUIET_SETTINGS = {"sync": False, "api_key": "", "clearml": False, "comet": False, "dvc": False, "mlflow": False,
                  "raytune": False, "tensorboard": False, "wandb": False}


def threads_as_ultralytics() -> None:
    """``import ultralytics`` sets ``OMP_NUM_THREADS=1`` when it is unset, and torch reads it when it loads: bench
    imports torch first (to check --device), so it sets it the same way, or a CUDA run would use more intra-op
    threads than ``yolo train`` does (cpu and mps runs have their threads set by ultralytics' select_device)."""
    if not os.environ.get("OMP_NUM_THREADS"):
        os.environ["OMP_NUM_THREADS"] = "1"


def prepare(config_dir: Path) -> dict[str, str]:
    """Set the environment so that importing and training with ultralytics touches no network and writes its
    settings under ``config_dir`` (not the user's home). Returns the variables it set, for the record.

    Must run before ``import ultralytics``: its settings path and online flag are read at import. An Ultralytics
    API key in the environment is removed (the Platform callback would upload the run); :func:`quiet_integrations`
    turns off the rest once ultralytics is imported. matplotlib's cache goes under ``config_dir`` too, unless
    ``MPLCONFIGDIR`` says where."""
    config_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "YOLO_OFFLINE": "1",
        "YOLO_AUTOINSTALL": "False",
        "YOLO_CONFIG_DIR": str(config_dir),
        "YOLO_VERBOSE": os.environ.get("YOLO_VERBOSE", "False"),
        "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR") or str(config_dir / "matplotlib"),
    }
    os.environ.update(env)
    os.environ.pop("ULTRALYTICS_API_KEY", None)
    fonts = config_dir / "Ultralytics"
    fonts.mkdir(parents=True, exist_ok=True)
    src = _bundled_font()
    if src is not None:
        for name in FONT_NAMES:
            dst = fonts / name
            if not dst.exists():
                tmp = dst.with_name(f".{name}.{os.getpid()}.tmp")
                try:
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, dst)
                except OSError as e:  # name where it was going (a full disk), not the font it came from
                    tmp.unlink(missing_ok=True)
                    raise OSError(e.errno, e.strerror, str(dst)) from None
                except BaseException:  # a stop request mid-copy: no half-written file left behind
                    tmp.unlink(missing_ok=True)
                    raise
    return env


def quiet_integrations() -> None:
    """Turn off every ultralytics integration that could log or upload the run (:data:`QUIET_SETTINGS`), in the
    settings under bench's own config folder (:func:`prepare`; the user's own settings file is not touched). Read
    per trainer, so call it after ``import ultralytics`` and before the trainer is built."""
    from ultralytics.utils import SETTINGS

    if any(SETTINGS.get(k) != v for k, v in QUIET_SETTINGS.items()):
        SETTINGS.update(QUIET_SETTINGS)


#: GPUs on which ultralytics turns AMP off by name before any test (utils/checks.py ``check_amp``, 8.4.x): their
#: FP16 results can be wrong. A real run on them trains in FP32, so the probe must too.
AMP_BLOCKLIST = re.compile(r"(nvidia|geforce|quadro|tesla).*?(1660|1650|1630|t400|t550|t600|t1000|t1200|t2000|k40m)",
                           re.IGNORECASE)


def amp_allowed(device_type: str, device_name: str) -> bool:
    """What ultralytics' AMP check decides without its download: off on cpu and mps and on the GPUs it blocks by
    name, on for other CUDA GPUs (its numeric FP16-vs-FP32 test, which needs yolo26n.pt, is left out; our loss
    guard marks a run with NaN/inf/zero losses invalid, which catches the failure that test looks for)."""
    return device_type not in {"cpu", "mps"} and not AMP_BLOCKLIST.search(device_name)


def patch_amp_check() -> None:
    """Replace ultralytics' AMP check, which downloads weights, by :func:`amp_allowed`."""
    import ultralytics.engine.trainer as trainer_module

    def check_amp_offline(model: object) -> bool:
        try:
            device = next(model.parameters()).device  # type: ignore[attr-defined]
        except Exception:
            return False
        if device.type != "cuda":
            return False
        import torch

        return amp_allowed("cuda", torch.cuda.get_device_name(device))

    trainer_module.check_amp = check_amp_offline
