"""bench: measure YOLOv8 training on this machine, extrapolate it to a full run and to cloud instances.

Table of contents (one module per concern; only ``probe`` imports torch and ultralytics, only ``plots``
imports matplotlib):

* ``dataset``      synthetic YOLO dataset generator and data.yaml checks
* ``probe``        the measurement: real ultralytics training with device-synchronized clocks
* ``timeline``     turns the probe's event timeline into a :class:`~bench.profile.Profile`
* ``profile``      per-unit costs of a workload on one device (plain data)
* ``extrapolate``  profile -> full-run time with its range (pure)
* ``catalog``      SageMaker instance catalog (shipped data) and price refresh
* ``scaling``      profile on this device -> profile on another accelerator (pure)
* ``cost``         full-run time -> dollars: on-demand, managed spot, storage, transfer (pure)
* ``record``       versioned JSON records: atomic write, load, upgrade, discovery
* ``fingerprint``  hardware and software description of this machine
* ``report``       speedup-and-cost table (markdown, csv, terminal); ``plots`` its PNGs
* ``validate``     prediction error of the probe against a real full run
* ``cli``          the thin command line: ``python -m bench run|report|estimate|prices|validate``
"""

__version__ = "0.1.0"
