"""SageMaker instance catalog: specifications and on-demand *training* prices, shipped as data.

The figures live in ``bench/data/instances.json`` (instances, prices, spot facts per family) and
``bench/data/accelerators.json`` (relative training speed of each accelerator, used by ``bench.scaling``),
not in code. Every price carries its source id (described in the catalog's ``sources`` table), the date it
was read and a confidence; the facts and their original sources are collected in
``bench/data/reference/sagemaker-prices.md`` and ``bench/data/reference/gpu-throughput.md``.

Prices are USD per instance-hour, on-demand, for SageMaker *training* jobs. A report should store the price it
used (prices change; recomputing an old report from today's catalog gives another answer), and print the
catalog date. :func:`refresh_prices` reads current prices from the AWS Price List API (needs credentials and
``boto3``); :func:`save_catalog` writes a catalog atomically so a refreshed copy can be kept and passed back to
:func:`load_catalog`.

This is the only module of the estimate chain that reads files (the two JSON tables); everything else is pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from bench.errors import BenchError, UsageError
from bench.record import read_input, replace_files
from bench.stats import Range, as_number

#: Catalog file format version (1: first version).
CATALOG_SCHEMA = 1

#: Source id stamped on prices read by :func:`refresh_prices`.
PRICE_LIST_SOURCE = "aws-price-list-api"

#: The AWS Price List API is served from us-east-1 (and ap-south-1) whatever region the prices are for.
PRICING_API_REGION = "us-east-1"

_DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")  # ISO date, or year-month for a monthly bill
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")  # us-east-1, eu-west-1, ap-southeast-2 ...
_NAME_RE = re.compile(r"ml\.[A-Za-z0-9][A-Za-z0-9.\-]*")  # ml.g4dn.xlarge, ml.p4d.24xlarge

_NO_CREDENTIALS = ("no AWS credentials configured; the shipped catalog (as of {as_of}) stays in use. "
                   "Configure credentials (aws configure) to refresh prices.")


@dataclass(frozen=True)
class Price:
    """On-demand SageMaker training price of one instance in one region.

    ``usd_per_hour``: USD per instance-hour. ``source``: id into :attr:`Catalog.sources`. ``as_of``: the date the
    figure was read (ISO ``YYYY-MM-DD``, ``YYYY-MM`` for a monthly bill, or ``undated`` when its source has no
    date). ``confidence``: ``high``, ``medium-high``, ``medium`` or ``low``, as the reference grades it, except
    that prices from the 2023 eu-west-1 bill (S3) are graded medium for their age.
    ``derived``: computed (for example with the reference's EC2 consistency rule), not read from a price list.
    """

    usd_per_hour: float
    source: str
    as_of: str
    confidence: str
    derived: bool = False


@dataclass(frozen=True)
class SpotDiscount:
    """Managed-spot saving proxy for a family in a region: a fraction of the on-demand price (0.6 = 60% off).

    No SageMaker spot price list exists; EC2 spot prices are the proxy (bench/data/reference/sagemaker-prices.md).
    """

    discount: Range
    source: str
    basis: str


@dataclass(frozen=True)
class Family:
    """Facts shared by every size of an instance family (g4dn, g5, ...)."""

    name: str
    local_nvme: bool  # True: local NVMe, no separately billed ML storage volume
    spot_discount: dict[str, SpotDiscount] = field(default_factory=dict)  # region -> proxy
    interruption: dict[str, dict[str, str]] = field(default_factory=dict)  # region -> EC2 type -> bucket


@dataclass(frozen=True)
class Instance:
    """One SageMaker training instance type.

    ``accelerator`` is a key into ``accelerators.json`` (None for CPU-only instances);
    ``accelerator_memory_gb`` is the memory of *one* accelerator, in GB as the vendor quotes it;
    ``vcpus`` are hyperthreads;
    ``local_nvme`` True means no separately billed ML storage volume; ``prices`` maps region -> :class:`Price`.
    """

    name: str
    accelerator: str | None
    accelerator_count: int
    accelerator_memory_gb: float
    vcpus: int
    ram_gib: float
    local_nvme: bool
    prices: dict[str, Price]
    family: str

    @property
    def is_gpu(self) -> bool:
        return self.accelerator is not None and self.accelerator_count > 0

    def price(self, region: str) -> Price:
        """The on-demand training price in ``region``; :class:`UsageError` naming the regions that have one."""
        if region in self.prices:
            return self.prices[region]
        dated = {r: p.as_of for r, p in self.prices.items()}
        known = ", ".join(f"{r} ({d})" for r, d in dated.items()) or "none"
        raise UsageError(f"{self.name} has no price for {region} in the catalog; regions with a price (as of): "
                         f"{known}")


@dataclass(frozen=True)
class Accelerator:
    """One row of ``accelerators.json``: speed relative to a T4 with AMP, and peak specifications.

    ``t4_amp_ratio``: convnet training throughput divided by a T4's, both with AMP (for ``kind == "mps"``: the
    ultralytics MPS run in FP32 against the T4 with AMP). ``patterns``/``exclude``: case-insensitive regular
    expressions matched against a torch device name. Units: TFLOPS (dense), GB/s, GiB.
    """

    key: str
    kind: str  # "cuda" | "mps"
    t4_amp_ratio: Range
    basis: str
    fp32_tflops: float | None
    tensor_tflops: float | None
    bandwidth_gb_s: float | None
    memory_gb: float | None
    patterns: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    spec_note: str = ""

    def matches(self, device_name: str) -> bool:
        name = " ".join(device_name.lower().split())
        return (any(re.search(p, name) for p in self.patterns)
                and not any(re.search(p, name) for p in self.exclude))


@dataclass(frozen=True)
class Catalog:
    """The instance catalog: ``as_of`` (date of the newest price list read), instances by name, the ``sources``
    table (id -> {"description", "date"}), per-family facts, and the file it came from (None: the packaged one)."""

    as_of: str
    instances: dict[str, Instance]
    sources: dict[str, dict[str, Any]]
    path: Path | None = None
    families: dict[str, Family] = field(default_factory=dict)

    def get(self, name: str) -> Instance:
        """An instance by name; ``g4dn.xlarge`` is accepted for ``ml.g4dn.xlarge``."""
        key = name.strip().lower()
        key = key if key.startswith("ml.") else f"ml.{key}"
        if key in self.instances:
            return self.instances[key]
        raise UsageError(f"unknown instance {name!r} (catalog as of {self.as_of}); known instances: "
                         f"{', '.join(self.instances)}")

    def regions(self) -> list[str]:
        """Every region at least one instance has a price for, us-east-1 first then alphabetical."""
        found = {r for inst in self.instances.values() for r in inst.prices}
        return sorted(found, key=lambda r: (r != "us-east-1", r))

    def check_region(self, region: str) -> str:
        """``region`` itself if the catalog has prices for it, else :class:`UsageError` listing those it has."""
        if region not in self.regions():
            raise UsageError(f"no prices for region {region!r} in the catalog (as of {self.as_of}); "
                             f"regions with prices: {', '.join(self.regions())}")
        return region

    def spot_discount(self, instance: Instance, region: str) -> SpotDiscount | None:
        """The family's EC2 spot discount proxy in ``region``, or None where the reference gives none."""
        fam = self.families.get(instance.family)
        return fam.spot_discount.get(region) if fam else None

    def interruption_buckets(self, instance: Instance, region: str) -> dict[str, str]:
        """EC2 Spot Instance Advisor buckets known for the family in ``region`` (EC2 type -> bucket)."""
        fam = self.families.get(instance.family)
        return dict(fam.interruption.get(region, {})) if fam else {}


# --------------------------------------------------------------------------------------------- loading


def _read_json(path: Path | None, packaged: str, what: str) -> tuple[Any, str]:
    where = str(path) if path is not None else f"bench/{packaged} (packaged)"
    try:
        text = read_input(path).decode("utf-8") if path is not None else \
            resources.files("bench").joinpath(packaged).read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{where}: cannot read the {what} ({e.strerror or e})") from e
    except UnicodeDecodeError as e:
        raise UsageError(f"{where}: not a valid {what}: not UTF-8 text (byte {e.start})") from e
    try:
        return json.loads(text), where
    except json.JSONDecodeError as e:
        raise UsageError(f"{where}: not a valid {what}: JSON error at line {e.lineno}: {e.msg}") from e
    except RecursionError:
        raise UsageError(f"{where}: not a valid {what}: nested too deeply to read") from None


#: a price whose source carries no date says so rather than borrowing the catalog's date
UNDATED = "undated"


def _as_date(value: Any, what: str, undated_ok: bool = False) -> str:
    if undated_ok and value == UNDATED:
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value) or not _real_date(value):
        raise ValueError(f"{what}: as_of must be a date YYYY-MM-DD (or YYYY-MM)"
                         + (f" or {UNDATED!r}" if undated_ok else "") + f", got {value!r}")
    return value


def _real_date(value: str) -> bool:
    """Is ``value`` (YYYY-MM-DD or YYYY-MM) a date the calendar has (not 2026-13-45)?"""
    import datetime as dt

    try:
        dt.date.fromisoformat(value if len(value) > 7 else value + "-01")
    except ValueError:
        return False
    return True


def _whole(d: Mapping[str, Any], key: str, least: int, most: int, name: str) -> int:
    """``d[key]`` as a whole number from ``least`` to ``most`` (1.5 vCPUs, Infinity or 1e30 GPUs are not)."""
    v = d[key]
    whole = isinstance(v, int) or (isinstance(v, float) and v.is_integer())  # 8.0 is 8; inf and nan are not
    if isinstance(v, bool) or not whole or not least <= v <= most:
        raise ValueError(f"{name}: {key} must be a whole number from {least} to {most}, got {v!r}"[:160])
    return int(v)


def _amount(d: Mapping[str, Any], key: str, least: float, most: float, name: str) -> float:
    """``d[key]`` as a finite number from ``least`` to under ``most``."""
    v = d[key]
    x = as_number(v, least, most)
    if x is None:
        raise ValueError(f"{name}: {key} must be a number from {least:g} to under {most:g}, got {v!r}"[:160])
    return x


def _range(d: Mapping[str, Any]) -> Range:
    return Range(float(d["median"]), float(d["low"]), float(d["high"]))


def _flag(d: Mapping[str, Any], key: str, name: str, default: bool | None = None) -> bool:
    """``d[key]`` as a JSON true or false (the text "false" is not false)."""
    v = d[key] if default is None else d.get(key, default)
    if not isinstance(v, bool):
        raise ValueError(f"{name}: {key} must be true or false, got {v!r}"[:160])
    return v


#: A price's confidence, as the reference grades it.
CONFIDENCES = ("high", "medium-high", "medium", "low")


def _parse_catalog(data: Any, path: Path | None, at: list[str] | None = None) -> Catalog:
    """The catalog in ``data``; ``at`` follows the part being read, so that an error can say where it is."""
    at = at if at is not None else []
    at[:] = ["the top level"]
    if not isinstance(data, dict):
        raise ValueError("top level must be an object")
    if data.get("schema") != CATALOG_SCHEMA:
        raise ValueError(f"schema {data.get('schema')!r} is not supported (expected {CATALOG_SCHEMA})")
    raw_sources = data["sources"]
    at[:] = ["sources"]
    sources = {str(k): dict(v) for k, v in raw_sources.items()}
    families: dict[str, Family] = {}
    at[:] = ["families"]
    for fname, f in data.get("families", {}).items():
        at[:] = [f"families.{fname}" if str(fname).isprintable() else f"families.{fname!r}"]
        spot = {}
        for region, s in f.get("spot_discount", {}).items():
            if s["source"] not in sources:
                raise ValueError(f"family {fname}: spot source {s['source']!r} is not in sources")
            r = _range(s)
            if not 0 <= r.low <= r.median <= r.high < 1:
                raise ValueError(f"family {fname} {region}: spot_discount must be fractions 0 <= low <= median <= "
                                 f"high < 1 (0.65 is 65% off on-demand), got {r.low:g}, {r.median:g}, {r.high:g}")
            spot[region] = SpotDiscount(r, str(s["source"]), str(s.get("basis", "")))
        buckets = {region: {ec2: str(b["bucket"]) for ec2, b in types.items()}
                   for region, types in f.get("interruption", {}).items()}
        families[fname] = Family(fname, _flag(f, "local_nvme", f"family {fname}"), spot, buckets)
    instances: dict[str, Instance] = {}
    raw_instances = data["instances"]
    at[:] = ["instances"]
    for name, d in raw_instances.items():
        at[:] = [f"instances.{name}" if name.isprintable() else f"instances.{name!r}"]
        if not _NAME_RE.fullmatch(name):
            raise ValueError(f"instance {name!r}: names start with 'ml.' and hold letters, digits, '.' and '-' "
                             "(ml.g4dn.xlarge)")
        fam = str(d["family"])
        prices = {}
        for region, p in d["prices"].items():
            if not _REGION_RE.match(region):
                raise ValueError(f"{name}: {region!r} is not a region code")
            if p["source"] not in sources:
                raise ValueError(f"{name} {region}: price source {p['source']!r} is not in sources")
            usd = float(p["usd_per_hour"])
            if not 0 < usd < 1e6:  # NaN and infinity fail too
                raise ValueError(f"{name} {region}: usd_per_hour {usd:g} must be a number > 0 and < 1e6")
            if p["confidence"] not in CONFIDENCES:
                raise ValueError(f"{name} {region}: confidence must be one of {', '.join(CONFIDENCES)}, "
                                 f"got {p['confidence']!r}"[:160])
            prices[region] = Price(usd, str(p["source"]), _as_date(p["as_of"], f"{name} {region}", undated_ok=True),
                                   str(p["confidence"]), _flag(p, "derived", f"{name} {region}", False))
        local_nvme = _flag(d, "local_nvme", name, families[fam].local_nvme if fam in families else False)
        accel = d["accelerator"]
        vcpus = _whole(d, "vcpus", 1, 10_000, name)
        count = _whole(d, "accelerator_count", 0 if accel is None else 1, 0 if accel is None else 64, name)
        memory = _amount({"accelerator_memory_gb": _memory_gb(d)}, "accelerator_memory_gb", 0, 1e5, name)
        instances[name] = Instance(
            name=name, accelerator=None if accel is None else str(accel),
            accelerator_count=count, accelerator_memory_gb=memory,
            vcpus=vcpus, ram_gib=_amount(d, "ram_gib", 0.5, 1e6, name), local_nvme=bool(local_nvme), prices=prices,
            family=fam)
    at[:] = ["the top level"]
    as_of = _as_date(data["as_of"], "catalog")
    if not instances:
        at[:] = ["instances"]
        raise ValueError("instances is empty: the catalog lists no instance to price")
    return Catalog(as_of=as_of, instances=instances, sources=sources, path=path,
                   families=families)


def _memory_gb(d: dict[str, Any]) -> Any:
    """An instance's accelerator memory; catalogs saved before 2026-11-29 named it ``accelerator_memory_gib``."""
    return d["accelerator_memory_gb"] if "accelerator_memory_gb" in d or "accelerator_memory_gib" not in d \
        else d["accelerator_memory_gib"]


def load_catalog(path: Path | None = None) -> Catalog:
    """Load the catalog: the packaged ``bench/data/instances.json`` by default, or a user-supplied file (for
    example one written by :func:`save_catalog` after a refresh). A malformed file -> one-line :class:`UsageError`.
    """
    path = Path(path) if path is not None else None
    data, where = _read_json(path, "data/instances.json", "instance catalog")
    at: list[str] = []
    try:
        return _parse_catalog(data, path, at)
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as e:
        detail = f"missing field {e}" if isinstance(e, KeyError) else (
            f"a number too large ({e})" if isinstance(e, ArithmeticError) else str(e))
        raise UsageError(f"{where}: not a valid instance catalog: {detail} (in {at[0] if at else 'the file'})") \
            from e


def load_accelerators(path: Path | None = None) -> dict[str, Accelerator]:
    """Load ``bench/data/accelerators.json`` (or ``path``): accelerator key -> :class:`Accelerator`."""
    path = Path(path) if path is not None else None
    data, where = _read_json(path, "data/accelerators.json", "accelerator table")
    try:
        out = {}
        for key, a in data["accelerators"].items():
            if a["kind"] not in ("cuda", "mps"):
                raise ValueError(f"{key}: kind must be cuda or mps, got {a['kind']!r}"[:160])
            ratio = _range(a["t4_amp_ratio"])
            if not 0 < ratio.low <= ratio.high < 1e6:
                raise ValueError(f"{key}: t4_amp_ratio must be above 0 (a T4 is 1), got {ratio.low:g} to "
                                 f"{ratio.high:g}")
            spec = {k: (None if a.get(k) is None else _amount(a, k, 1e-6, 1e9, str(key)))
                    for k in ("fp32_tflops", "tensor_tflops", "bandwidth_gb_s")}
            memory = a.get("memory_gb", a.get("memory_gib"))
            out[str(key)] = Accelerator(
                key=str(key), kind=str(a["kind"]), t4_amp_ratio=ratio, basis=str(a["basis"]),
                fp32_tflops=spec["fp32_tflops"], tensor_tflops=spec["tensor_tflops"],
                bandwidth_gb_s=spec["bandwidth_gb_s"],
                memory_gb=None if memory is None else _amount({"memory_gb": memory}, "memory_gb", 1e-6, 1e9, str(key)),
                patterns=tuple(a["patterns"]), exclude=tuple(a.get("exclude", ())), spec_note=a.get("spec_note", ""))
            for p in (*out[key].patterns, *out[key].exclude):
                re.compile(p)
        return out
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, re.error) as e:
        detail = f"missing field {e}" if isinstance(e, KeyError) else str(e)
        raise UsageError(f"{where}: not a valid accelerator table: {detail}") from e


# --------------------------------------------------------------------------------------------- saving


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """The JSON document of ``catalog`` (the format :func:`load_catalog` reads)."""
    def rng(r: Range) -> dict[str, float]:
        return r.to_dict()

    families = {
        f.name: {
            "local_nvme": f.local_nvme,
            "spot_discount": {reg: {**rng(s.discount), "source": s.source, "basis": s.basis}
                              for reg, s in f.spot_discount.items()},
            "interruption": {reg: {ec2: {"bucket": b} for ec2, b in types.items()}
                             for reg, types in f.interruption.items()},
        }
        for f in catalog.families.values()
    }
    instances = {}
    for inst in catalog.instances.values():
        prices: dict[str, Any] = {}
        for region, p in inst.prices.items():
            prices[region] = {"usd_per_hour": p.usd_per_hour, "source": p.source, "as_of": p.as_of,
                              "confidence": p.confidence}
            if p.derived:
                prices[region]["derived"] = True
        instances[inst.name] = {
            "family": inst.family, "accelerator": inst.accelerator, "accelerator_count": inst.accelerator_count,
            "accelerator_memory_gb": inst.accelerator_memory_gb, "vcpus": inst.vcpus, "ram_gib": inst.ram_gib,
            "local_nvme": inst.local_nvme, "prices": prices,
        }
    return {"schema": CATALOG_SCHEMA, "as_of": catalog.as_of, "sources": catalog.sources, "families": families,
            "instances": instances}


def save_catalog(catalog: Catalog, path: Path) -> None:
    """Write ``catalog`` as JSON to ``path`` atomically (:func:`bench.record.replace_files`)."""
    path = Path(path)
    try:
        replace_files({path: json.dumps(catalog_to_dict(catalog), indent=2) + "\n"})
    except OSError as e:
        raise BenchError(f"{path}: cannot write the catalog ({e.strerror or e})") from e  # the machine's refusal: 1


# --------------------------------------------------------------------------------------------- display


def format_catalog(catalog: Catalog, region: str) -> str:
    """A text table of the catalog's instances and their price in ``region`` (for ``bench prices``)."""
    catalog.check_region(region)
    origin = str(catalog.path) if catalog.path is not None else "packaged"
    lines = [f"SageMaker training instances, on-demand USD per instance-hour, region {region} "
             f"(catalog as of {catalog.as_of}, {origin})"]
    header = ("instance", "accelerator", "GB/accel", "vCPU", "RAM GiB", "USD/h", "source", "as of", "confidence")
    rows: list[tuple[str, ...]] = [header]
    used: list[str] = []
    for inst in catalog.instances.values():
        accel = f"{inst.accelerator_count} x {inst.accelerator}" if inst.is_gpu else "-"
        mem = f"{inst.accelerator_memory_gb:g}" if inst.is_gpu else "-"
        p = inst.prices.get(region)
        if p is None:
            price: tuple[str, ...] = ("-", "no price", "", "")
        else:
            price = (f"{p.usd_per_hour:.4f}" + ("*" if p.derived else ""), p.source, p.as_of, p.confidence)
            if p.source not in used:
                used.append(p.source)
        rows.append((inst.name, accel, mem, str(inst.vcpus), f"{inst.ram_gib:g}", *price))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {2, 3, 4, 5}
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    if any(p.derived for inst in catalog.instances.values() for r, p in inst.prices.items() if r == region):
        lines.append("* derived from the EC2 price with the reference's consistency rule, not read from a price list")
    lines.append("sources:")
    for sid in used:
        s = catalog.sources.get(sid, {})
        lines.append(f"  {sid}: {s.get('description', '?')} ({s.get('date') or 'undated'})")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- refresh


def _pricing_client(catalog: Catalog) -> Any:
    """A boto3 Price List client, or UsageError when boto3 or credentials are missing (checked before any call)."""
    try:
        import boto3
    except ImportError as e:
        raise UsageError(f"boto3 is not installed (pip install 'bench[aws]'); the shipped catalog (as of "
                         f"{catalog.as_of}) stays in use.") from e
    session = boto3.Session()
    if session.get_credentials() is None:
        raise UsageError(_NO_CREDENTIALS.format(as_of=catalog.as_of))
    return session.client("pricing", region_name=PRICING_API_REGION)


def _aws_errors() -> tuple[type[BaseException], ...]:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return ()
    return (BotoCoreError, ClientError)


def price_list_filters(instance_name: str, region: str) -> list[dict[str, str]]:
    """The get_products filters for one instance's on-demand *training* price
    (bench/data/reference/sagemaker-prices.md)."""
    return [
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_name},
        {"Type": "TERM_MATCH", "Field": "platoinstancetype", "Value": "Training"},
    ]


def _on_demand_usd(product: Mapping[str, Any], instance_name: str) -> list[float]:
    """Hourly USD prices in one Price List product (terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD)."""
    attrs = product.get("product", {}).get("attributes", {})
    usage = str(attrs.get("usagetype", ""))
    if usage and ("Train" not in usage or "Spot" in usage):
        return []  # defensive: the filter should already have removed hosting, notebook and spot products
    name = attrs.get("instanceName") or attrs.get("instanceType")
    if name and name != instance_name:
        return []
    out = []
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            if str(dim.get("unit", "Hrs")).lower() not in {"hrs", "hours", "hour"}:
                continue
            usd = float(dim["pricePerUnit"]["USD"])
            if usd > 0:
                out.append(usd)
    return out


def _fetch_price(client: Any, instance_name: str, region: str, errors: tuple[type[BaseException], ...],
                 as_of: str) -> float | None:
    found: set[float] = set()
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ServiceCode": "AmazonSageMaker", "FormatVersion": "aws_v1", "MaxResults": 100,
                                  "Filters": price_list_filters(instance_name, region)}
        if token:
            kwargs["NextToken"] = token
        try:
            response = client.get_products(**kwargs)
        except errors as e:
            if type(e).__name__ == "NoCredentialsError":
                raise UsageError(_NO_CREDENTIALS.format(as_of=as_of)) from e
            raise UsageError(f"AWS Price List API failed ({e}); the shipped catalog (as of {as_of}) stays in use. "
                             f"The credentials need the pricing:GetProducts permission.") from e
        for item in response.get("PriceList", []):
            try:
                product = json.loads(item) if isinstance(item, str) else item
                found.update(_on_demand_usd(product, instance_name))
            except (ValueError, ArithmeticError, KeyError, TypeError, AttributeError) as e:
                raise UsageError(f"AWS Price List API: unreadable product for {instance_name} ({e})") from e
        token = response.get("NextToken")
        if not token:
            break
    if len(found) > 1:
        raise UsageError(f"AWS Price List API returned {len(found)} different training prices for {instance_name} "
                         f"in {region} ({', '.join(f'{x:g}' for x in sorted(found))}); the catalog was not changed")
    return found.pop() if found else None


def refresh_prices(catalog: Catalog, region: str, *, client: Any = None, today: date | None = None) -> Catalog:
    """A copy of ``catalog`` with every instance's on-demand training price in ``region`` read from the AWS
    Price List API (``boto3`` pricing client in us-east-1, ``get_products`` paginated).

    Updated prices get source ``aws-price-list-api``, confidence ``high`` and ``as_of`` = ``today`` (injected for
    tests; default: the current date), which also becomes the catalog date. Instances the API does not list in
    ``region`` keep their shipped price and date. ``client``: an object with ``get_products(**kwargs)`` (tests pass
    a fake; None: a real client, after checking that boto3 and credentials exist, before any network call).
    """
    if not _REGION_RE.match(region):
        raise UsageError(f"{region!r} is not an AWS region code (for example us-east-1)")
    if client is None:
        client = _pricing_client(catalog)
    stamp = (today or date.today()).isoformat()
    errors = _aws_errors()
    instances: dict[str, Instance] = {}
    updated = 0
    for name, inst in catalog.instances.items():
        usd = _fetch_price(client, name, region, errors, catalog.as_of)
        if usd is None:
            instances[name] = inst
            continue
        instances[name] = replace(inst, prices={**inst.prices, region: Price(usd, PRICE_LIST_SOURCE, stamp, "high")})
        updated += 1
    if not updated:
        raise UsageError(f"the AWS Price List API returned no SageMaker training price for any catalog instance in "
                         f"{region}; the shipped catalog (as of {catalog.as_of}) stays in use")
    sources = {**catalog.sources, PRICE_LIST_SOURCE: {
        "description": "AWS Price List API (get_products, ServiceCode AmazonSageMaker, on-demand training)",
        "date": stamp}}
    return replace(catalog, as_of=stamp, instances=instances, sources=sources)
