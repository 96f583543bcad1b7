"""The shipped SageMaker catalog, its loader, display, saving and refresh (fake Price List client, no network)."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.catalog import (
    PRICE_LIST_SOURCE,
    Catalog,
    catalog_to_dict,
    format_catalog,
    load_accelerators,
    load_catalog,
    refresh_prices,
    save_catalog,
)
from bench.errors import UsageError

REQUIRED = ["ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g4dn.12xlarge", "ml.p3.2xlarge", "ml.g5.xlarge",
            "ml.g5.2xlarge", "ml.g6.xlarge", "ml.g6e.xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.m5.xlarge",
            "ml.m5.2xlarge", "ml.c5.4xlarge"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_packaged_catalog_has_every_required_instance(catalog: Catalog) -> None:
    assert catalog.path is None
    assert catalog.as_of == "2026-09-27"
    for name in REQUIRED:
        assert "us-east-1" in catalog.get(name).prices, name


@pytest.mark.parametrize(("name", "accel", "count", "mem", "vcpus", "ram"), [
    # bench/data/reference/sagemaker-prices.md, column "accelerator x count (memory)" and "vCPU / RAM GiB"
    ("ml.g4dn.xlarge", "T4", 1, 16, 4, 16),
    ("ml.g4dn.12xlarge", "T4", 4, 16, 48, 192),  # 64 GB in all = 4 x 16
    ("ml.p3.2xlarge", "V100", 1, 16, 8, 61),
    ("ml.g6e.xlarge", "L40S", 1, 48, 4, 32),
    ("ml.p4d.24xlarge", "A100-40GB", 8, 40, 96, 1152),
    ("ml.p5.48xlarge", "H100", 8, 80, 192, 2048),
    ("ml.c5.4xlarge", None, 0, 0, 16, 32),
])
def test_specifications(catalog: Catalog, name: str, accel: str | None, count: int, mem: float, vcpus: int,
                        ram: float) -> None:
    inst = catalog.get(name)
    assert (inst.accelerator, inst.accelerator_count, inst.accelerator_memory_gb, inst.vcpus, inst.ram_gib) == \
        (accel, count, mem, vcpus, ram)
    assert inst.is_gpu == (accel is not None)


def test_every_price_has_a_known_source_and_a_date(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        for region, price in inst.prices.items():
            assert price.source in catalog.sources, (inst.name, region)
            # a date, or "undated" exactly when its source has none (never the catalog's date borrowed)
            undated = catalog.sources[price.source].get("date") is None
            assert (price.as_of == "undated") if undated else \
                re.match(r"^\d{4}-\d{2}(-\d{2})?$", price.as_of), (inst.name, region, price.as_of)
            assert price.confidence in {"high", "medium-high", "medium", "low"}
            assert not price.derived  # the shipped catalog derives nothing


def _reference_rows() -> list[list[str]]:
    """The rows of the price table in bench/data/reference/sagemaker-prices.md, cells stripped."""
    text = (Path(__file__).parents[1] / "bench/data/reference/sagemaker-prices.md").read_text(encoding="utf-8")
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("| ml.")]


def test_every_price_and_specification_is_the_reference_table(catalog: Catalog) -> None:
    """Each cell of the reference's table against the catalog: a typo in any price, region or size fails here
    (a review found that only us-east-1 and a few other prices were pinned)."""
    rows = _reference_rows()
    assert sorted(r[0] for r in rows) == sorted(catalog.instances)  # 13 instances, none missed either way
    for name, accel, cpu_ram, *prices, grade in rows:
        inst = catalog.get(name)
        vcpus, ram = (float(x) for x in cpu_ram.split("/"))
        count = int(m.group(1)) if (m := re.search(r"x(\d+)", accel)) else 0
        assert (inst.vcpus, inst.ram_gib, inst.accelerator_count) == (vcpus, ram, count), name
        for region, cell in zip(["us-east-1", "us-west-2", "eu-west-1"], prices, strict=True):
            got = inst.prices.get(region)
            if re.fullmatch(r"[\d.]+", cell):
                assert got is not None and got.usd_per_hour == float(cell), (name, region)
                # never graded above the reference's row (the catalog may grade a region's older figure lower)
                order = ["low", "medium", "medium-high", "high"]
                assert order.index(got.confidence) <= order.index(grade.split(";")[1].split()[0]), (name, region)
            else:  # "unknown" or "not offered"
                assert got is None, (name, region, cell)


def test_exact_reference_prices(catalog: Catalog) -> None:
    assert catalog.get("ml.g4dn.xlarge").price("us-east-1").usd_per_hour == 0.7364  # S1
    assert catalog.get("ml.g5.2xlarge").price("us-east-1").usd_per_hour == 1.515  # S2, USE1-Train:ml.g5.2xlarge
    assert catalog.get("ml.g5.2xlarge").price("us-east-1").source == "S2"
    assert catalog.get("ml.p4d.24xlarge").price("us-east-1").usd_per_hour == 25.2513


# Public EC2 on-demand Linux prices in us-east-1 (USD/hour; not in bench/data/reference, used here only as a cross-check
# of the reference's consistency rule: SageMaker = EC2 x 1.40 for g .xlarge, x 1.25 for larger g and p3.2xlarge,
# x 1.20 for m5 and c5). p4d/p5 are left out: their EC2 prices after the 2025 cut are not known here.
EC2_US_EAST_1 = {
    "ml.g4dn.xlarge": (0.526, 1.40),  # 0.526 x 1.40 = 0.7364
    "ml.g4dn.2xlarge": (0.752, 1.25),  # 0.752 x 1.25 = 0.94
    "ml.g4dn.12xlarge": (3.912, 1.25),  # 3.912 x 1.25 = 4.89
    "ml.p3.2xlarge": (3.06, 1.25),  # 3.06 x 1.25 = 3.825
    "ml.g5.xlarge": (1.006, 1.40),  # 1.006 x 1.40 = 1.4084
    "ml.g5.2xlarge": (1.212, 1.25),  # 1.212 x 1.25 = 1.515
    "ml.g6.xlarge": (0.8048, 1.40),  # 0.8048 x 1.40 = 1.1267
    "ml.g6e.xlarge": (1.861, 1.40),  # 1.861 x 1.40 = 2.6054
    "ml.m5.xlarge": (0.192, 1.20),  # 0.192 x 1.20 = 0.2304
    "ml.m5.2xlarge": (0.384, 1.20),  # 0.384 x 1.20 = 0.4608
    "ml.c5.4xlarge": (0.68, 1.20),  # 0.68 x 1.20 = 0.816
}


@pytest.mark.parametrize(("name", "ec2"), EC2_US_EAST_1.items())
def test_consistency_rule_within_two_percent(catalog: Catalog, name: str, ec2: tuple[float, float]) -> None:
    ec2_price, factor = ec2
    assert catalog.get(name).price("us-east-1").usd_per_hour == pytest.approx(ec2_price * factor, rel=0.02)


def test_regional_prices_and_missing_ones(catalog: Catalog) -> None:
    assert catalog.get("ml.g4dn.xlarge").price("eu-west-1").usd_per_hour == 0.822  # S3 bill, Dec 2023
    assert catalog.get("ml.g4dn.xlarge").price("eu-west-1").as_of == "2023-12"
    with pytest.raises(UsageError) as err:
        catalog.get("ml.p3.2xlarge").price("us-west-2")  # "not offered" in us-west-2
    assert str(err.value) == ("ml.p3.2xlarge has no price for us-west-2 in the catalog; regions with a price "
                              "(as of): us-east-1 (undated), eu-west-1 (2023-12)")
    # its us-east-1 source (S5, a copy of the price page) has no date: the price says so, not the catalog's date
    assert catalog.get("ml.p3.2xlarge").price("us-east-1").as_of == "undated"
    assert "us-west-2" not in catalog.get("ml.g6e.xlarge").prices  # "unknown" in the reference: left out


def test_get_accepts_short_names_and_lists_known_ones(catalog: Catalog) -> None:
    assert catalog.get("g4dn.xlarge") is catalog.get("ml.g4dn.xlarge") is catalog.get(" ML.G4DN.XLARGE")
    with pytest.raises(UsageError) as err:
        catalog.get("ml.g4dn.3xlarge")
    msg = str(err.value)
    assert "'ml.g4dn.3xlarge'" in msg and "ml.g4dn.xlarge" in msg and "ml.c5.4xlarge" in msg
    assert "\n" not in msg


def test_regions(catalog: Catalog) -> None:
    assert catalog.regions() == ["us-east-1", "eu-west-1", "us-west-2"]
    assert catalog.check_region("eu-west-1") == "eu-west-1"
    with pytest.raises(UsageError, match="regions with prices: us-east-1, eu-west-1, us-west-2"):
        catalog.check_region("ap-south-1")


def test_family_facts(catalog: Catalog) -> None:
    g4dn = catalog.get("ml.g4dn.xlarge")
    spot = catalog.spot_discount(g4dn, "us-east-1")
    assert spot is not None and (spot.discount.low, spot.discount.high) == (0.62, 0.65)
    assert spot.source in catalog.sources
    assert catalog.spot_discount(catalog.get("ml.g6.xlarge"), "us-east-1") is None  # not in the reference
    assert catalog.interruption_buckets(catalog.get("ml.g5.xlarge"), "us-east-1") == \
        {"g5.2xlarge": "15-20%", "g5.xlarge": "unknown"}
    # local NVMe: g4dn, g5, p4d (reference); others get the billed volume
    nvme = {inst.family for inst in catalog.instances.values() if inst.local_nvme}
    assert nvme == {"g4dn", "g5", "p4d"}


def test_every_accelerator_is_in_the_accelerator_table(catalog: Catalog) -> None:
    table = load_accelerators()
    for inst in catalog.instances.values():
        if inst.accelerator is not None:
            assert table[inst.accelerator].kind == "cuda"


def _one_instance(usd_per_hour: float = 1.0, **spec: Any) -> dict[str, Any]:
    """A catalog of one CPU instance, ``spec`` changed."""
    inst = {"family": "x", "accelerator": None, "accelerator_count": 0, "accelerator_memory_gb": 0, "vcpus": 2,
            "ram_gib": 4, "prices": {"us-east-1": {"usd_per_hour": usd_per_hour, "source": "S1",
                                                   "as_of": "2026-01-01", "confidence": "high"}}} | spec
    return {"schema": 1, "as_of": "2026-01-01", "sources": {"S1": {"url": "https://aws.amazon.com"}},
            "instances": {"ml.x.large": inst}}


@pytest.mark.parametrize(("text", "fragment"), [
    ("{not json", "JSON error at line 1"),
    ('{"schema": 1, "as_of": "2026-01-01", "sources": {}}', "missing field 'instances'"),
    ('{"schema": 99}', "schema 99 is not supported"),
    (json.dumps({"schema": 1, "as_of": "2026-01-01", "sources": {}, "instances": {"ml.x.large": {
        "family": "x", "accelerator": None, "accelerator_count": 0, "accelerator_memory_gb": 0, "vcpus": 2,
        "ram_gib": 4, "prices": {"us-east-1": {"usd_per_hour": 1, "source": "S9", "as_of": "2026-01-01",
                                               "confidence": "high"}}}}}), "price source 'S9' is not in sources"),
    (json.dumps({"schema": 1, "as_of": "yesterday", "sources": {}, "instances": {}}), "as_of must be a date"),
    (json.dumps(_one_instance(usd_per_hour=1e400)), "usd_per_hour inf must be a number > 0"),
    (json.dumps(_one_instance(vcpus=0)), "vcpus must be a whole number from 1 to 10000, got 0"),
    (json.dumps(_one_instance(accelerator="T4", accelerator_count=0)),
     "accelerator_count must be a whole number from 1 to 64, got 0"),
    # found by a review: each loaded, then crashed the report or priced nonsense
    (json.dumps(_one_instance(vcpus=1.5)), "vcpus must be a whole number from 1 to 10000, got 1.5"),
    (json.dumps(_one_instance(accelerator="T4", accelerator_count=1e30)), "accelerator_count must be a whole number"),
    (json.dumps(_one_instance(vcpus=float("inf"))), "vcpus must be a whole number from 1 to 10000, got inf"),
    (json.dumps(_one_instance(ram_gib=-4)), "ram_gib must be a number from 0.5 to under 1e+06, got -4"),
    (json.dumps(_one_instance(ram_gib=float("nan"))), "ram_gib must be a number"),
    (json.dumps(_one_instance(accelerator_memory_gb=10 ** 400)), "accelerator_memory_gb must be a number"),
    (json.dumps(_one_instance(usd_per_hour=10 ** 400)), "a number too large"),
    (json.dumps({**_one_instance(), "as_of": "2026-13-45"}), "as_of must be a date YYYY-MM-DD"),
    (json.dumps({**_one_instance(), "instances": {"ml.x\nlarge": _one_instance()["instances"]["ml.x.large"]}}),
     "names start with 'ml.' and hold letters, digits"),
])
def test_malformed_file_is_one_usage_error_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(text)
    with pytest.raises(UsageError) as err:
        load_catalog(path)
    assert fragment in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the instance catalog"):
        load_catalog(tmp_path / "nope.json")


def test_save_and_load_round_trip(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "sub" / "catalog.json"
    save_catalog(catalog, path)
    again = load_catalog(path)
    assert again.path == path
    assert catalog_to_dict(again) == catalog_to_dict(catalog)
    assert [p.name for p in path.parent.iterdir()] == ["catalog.json"]  # no temporary file left behind


def test_a_catalog_saved_with_the_old_memory_key_still_loads(tmp_path: Path, catalog: Catalog) -> None:
    d = catalog_to_dict(catalog)
    for inst in d["instances"].values():
        inst["accelerator_memory_gib"] = inst.pop("accelerator_memory_gb")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    assert load_catalog(path).get("ml.g5.xlarge").accelerator_memory_gb == 24.0


def test_format_catalog(catalog: Catalog) -> None:
    text = format_catalog(catalog, "eu-west-1")
    lines = text.splitlines()
    assert "region eu-west-1" in lines[0] and "as of 2026-09-27" in lines[0]
    for name in REQUIRED:
        assert name in text
    row = next(line for line in lines if line.startswith("ml.g4dn.xlarge "))
    assert "1 x T4" in row and "0.8220" in row and "S3" in row and "2023-12" in row
    assert "no price" in next(line for line in lines if line.startswith("ml.c5.4xlarge"))
    assert "S3: a real eu-west-1 bill" in text
    with pytest.raises(UsageError):
        format_catalog(catalog, "mars-north-1")


# ------------------------------------------------------------------------------------------- refresh


def price_list_item(name: str, usd: float, usage: str | None = None) -> str:
    """One Price List product as the API returns it: a JSON *string*."""
    return json.dumps({
        "product": {"productFamily": "ML Instance", "sku": "SKU1",
                    "attributes": {"instanceName": name, "usagetype": usage or f"USE1-Train:{name}",
                                   "platoinstancetype": "Training", "regionCode": "us-east-1"}},
        "terms": {"OnDemand": {"SKU1.JRTCKXETXF": {"priceDimensions": {"SKU1.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "Hrs", "pricePerUnit": {"USD": f"{usd:.10f}"}, "description": f"${usd} per hour"}}}}},
    })


class FakePricing:
    """Answers get_products like the Price List API: one product per known instance, two pages for g4dn.xlarge."""

    def __init__(self, prices: dict[str, list[str]]) -> None:
        self.prices = prices
        self.calls: list[dict[str, Any]] = []

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        filters = {f["Field"]: f["Value"] for f in kwargs["Filters"]}
        items = self.prices.get(filters["instanceName"], [])
        if filters["instanceName"] == "ml.g4dn.xlarge" and "NextToken" not in kwargs:
            return {"PriceList": [], "NextToken": "page2", "FormatVersion": "aws_v1"}
        return {"PriceList": items, "FormatVersion": "aws_v1"}


def test_refresh_updates_a_price_and_stamps_source_and_date(catalog: Catalog) -> None:
    fake = FakePricing({"ml.g4dn.xlarge": [price_list_item("ml.g4dn.xlarge", 0.7)],
                        "ml.g5.xlarge": [price_list_item("ml.g5.xlarge", 1.5),
                                         price_list_item("ml.g5.xlarge", 9.0, "USE1-Host:ml.g5.xlarge")]})
    fresh = refresh_prices(catalog, "us-east-1", client=fake, today=date(2026, 11, 28))
    p = fresh.get("ml.g4dn.xlarge").price("us-east-1")
    assert (p.usd_per_hour, p.source, p.as_of, p.confidence) == (0.7, PRICE_LIST_SOURCE, "2026-11-28", "high")
    assert fresh.get("ml.g5.xlarge").price("us-east-1").usd_per_hour == 1.5  # the hosting price was ignored
    assert fresh.get("ml.p3.2xlarge").price("us-east-1") == catalog.get("ml.p3.2xlarge").price("us-east-1")
    assert fresh.get("ml.g4dn.xlarge").price("eu-west-1") == catalog.get("ml.g4dn.xlarge").price("eu-west-1")
    assert fresh.as_of == "2026-11-28" and fresh.sources[PRICE_LIST_SOURCE]["date"] == "2026-11-28"
    assert catalog.get("ml.g4dn.xlarge").price("us-east-1").usd_per_hour == 0.7364  # the input is unchanged
    first = fake.calls[0]
    assert first["ServiceCode"] == "AmazonSageMaker"
    assert {(f["Field"], f["Value"]) for f in first["Filters"]} == {
        ("productFamily", "ML Instance"), ("regionCode", "us-east-1"), ("instanceName", "ml.g4dn.xlarge"),
        ("platoinstancetype", "Training")}
    assert [c.get("NextToken") for c in fake.calls[:2]] == [None, "page2"]  # followed the second page


def test_refresh_adds_a_region(catalog: Catalog, tmp_path: Path) -> None:
    fake = FakePricing({"ml.p3.2xlarge": [price_list_item("ml.p3.2xlarge", 3.9)]})
    fresh = refresh_prices(catalog, "ap-south-1", client=fake, today=date(2026, 11, 28))
    assert fresh.get("ml.p3.2xlarge").price("ap-south-1").usd_per_hour == 3.9
    assert "ap-south-1" in fresh.regions()
    save_catalog(fresh, tmp_path / "c.json")
    assert load_catalog(tmp_path / "c.json").get("p3.2xlarge").price("ap-south-1").source == PRICE_LIST_SOURCE


def test_refresh_with_nothing_found_or_ambiguous(catalog: Catalog) -> None:
    with pytest.raises(UsageError, match="no SageMaker training price"):
        refresh_prices(catalog, "us-east-1", client=FakePricing({}))
    two = FakePricing({"ml.m5.xlarge": [price_list_item("ml.m5.xlarge", 0.23), price_list_item("ml.m5.xlarge", 0.3)]})
    with pytest.raises(UsageError, match=r"2 different training prices for ml\.m5\.xlarge"):
        refresh_prices(catalog, "us-east-1", client=two)
    with pytest.raises(UsageError, match="not an AWS region"):
        refresh_prices(catalog, "Virginia", client=FakePricing({}))


def test_refresh_without_credentials(catalog: Catalog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("boto3")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup: never the network
    with pytest.raises(UsageError) as err:
        refresh_prices(catalog, "us-east-1")
    assert str(err.value) == ("no AWS credentials configured; the shipped catalog (as of 2026-09-27) stays in use. "
                              "Configure credentials (aws configure) to refresh prices.")


def test_refresh_when_the_client_has_no_credentials(catalog: Catalog) -> None:
    botocore_exceptions = pytest.importorskip("botocore.exceptions")

    class NoCreds:
        def get_products(self, **kwargs: Any) -> dict[str, Any]:
            raise botocore_exceptions.NoCredentialsError()

    with pytest.raises(UsageError, match=r"^no AWS credentials configured"):
        refresh_prices(catalog, "us-east-1", client=NoCreds())


def test_refresh_without_boto3(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    with pytest.raises(UsageError, match="boto3 is not installed"):
        refresh_prices(catalog, "us-east-1")


@pytest.mark.parametrize(("change", "words"), [
    (lambda c: c["instances"]["ml.g4dn.xlarge"].update(vcpus="x"),
     "ml.g4dn.xlarge: vcpus must be a whole number from 1 to 10000, got 'x' (in instances.ml.g4dn.xlarge)"),
    (lambda c: c["families"]["g4dn"].update(spot_discount="x"), "(in families.g4dn)"),
    (lambda c: c.update(families="x"), "(in families)"),
    (lambda c: c.update(instances={}), "instances is empty: the catalog lists no instance to price"),
    # found by a review: bool("false") is True, and any confidence was taken
    (lambda c: c["families"]["g4dn"].update(local_nvme="false"), "family g4dn: local_nvme must be true or false"),
    (lambda c: c["instances"]["ml.m5.xlarge"].update(local_nvme=0), "ml.m5.xlarge: local_nvme must be true or false"),
    (lambda c: c["instances"]["ml.m5.xlarge"]["prices"]["us-east-1"].update(confidence="sure"),
     "ml.m5.xlarge us-east-1: confidence must be one of high, medium-high, medium, low, got 'sure'"),
    (lambda c: c["instances"]["ml.m5.xlarge"]["prices"]["us-east-1"].update(derived="no"),
     "derived must be true or false"),
])
def test_a_damaged_catalog_says_where(tmp_path: Path, change: Any, words: str) -> None:
    from importlib import resources

    data = json.loads(resources.files("bench").joinpath("data/instances.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError) as e:
        load_catalog(path)
    assert str(e.value).startswith(f"{path}: not a valid instance catalog: ") and words in str(e.value), str(e.value)


@pytest.mark.parametrize(("change", "words"), [
    (lambda a: a.update(t4_amp_ratio={"median": 0, "low": 0, "high": 0}), "T4: t4_amp_ratio must be above 0"),
    (lambda a: a.update(kind="tpu"), "T4: kind must be cuda or mps, got 'tpu'"),
    (lambda a: a.update(fp32_tflops="fast"), "T4: fp32_tflops must be a number"),
    (lambda a: a.update(memory_gb=-16), "T4: memory_gb must be a number"),
])
def test_a_damaged_accelerator_table_is_refused(tmp_path: Path, change: Any, words: str) -> None:
    """Found by a review: a ratio of 0 loaded and then divided by zero in the scaling; a spec of "fast" loaded."""
    from importlib import resources

    data = json.loads(resources.files("bench").joinpath("data/accelerators.json").read_text(encoding="utf-8"))
    change(data["accelerators"]["T4"])
    path = tmp_path / "accelerators.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="not a valid accelerator table: ") as e:
        load_accelerators(path)
    assert words in str(e.value), str(e.value)


@pytest.mark.parametrize("discount", [(1.5, 1.4, 1.6), (-0.5, -0.6, -0.4), (0.6, 0.5, 1.0)])
def test_a_spot_discount_is_a_fraction_off(tmp_path: Path, discount: tuple[float, float, float]) -> None:
    """A discount of 150% loaded and then broke the report; a negative one priced spot above on-demand."""
    from importlib import resources

    data = json.loads(resources.files("bench").joinpath("data/instances.json").read_text(encoding="utf-8"))
    fam = next(f for f in data["families"].values() if f.get("spot_discount"))
    region = next(iter(fam["spot_discount"]))
    median, low, high = discount
    fam["spot_discount"][region] |= {"median": median, "low": low, "high": high}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="spot_discount must be fractions 0 <= low <= median <= high < 1"):
        load_catalog(path)


def test_whole_numbers_written_as_floats_still_load(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(_one_instance(vcpus=8.0)))
    assert load_catalog(path).instances["ml.x.large"].vcpus == 8


def test_a_catalog_the_machine_refuses_is_exit_1(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operating system refusing the write (here a full disk) is exit 1, as README.md says, not bad input."""
    import errno

    import bench.catalog
    from bench.errors import BenchError

    def full(files: object, **_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bench.catalog, "replace_files", full)
    with pytest.raises(BenchError) as e:
        save_catalog(catalog, Path("/tmp/bench-catalog-never-written.json"))
    assert e.value.exit_code == 1 and not isinstance(e.value, UsageError)
    assert str(e.value) == "/tmp/bench-catalog-never-written.json: cannot write the catalog (No space left on device)"


def test_every_cited_reference_note_is_in_the_repository() -> None:
    """Found by a review: the sources were cited as shared/reference/*.md, a folder outside the repository, so a
    user could not check one figure. Every note the code, the data and the README cite is now in the clone."""
    import re

    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8") for p in (*root.joinpath("bench").rglob("*.py"),
                                                      *root.joinpath("bench", "data").glob("*.json"),
                                                      root / "README.md")]
    cited = {m for t in texts for m in re.findall(r"bench/data/reference/[\w.-]+\.md", t)}
    assert {"bench/data/reference/sagemaker-prices.md", "bench/data/reference/gpu-throughput.md"} <= cited
    assert [c for c in sorted(cited) if not (root / c).is_file()] == []
    assert not any("shared/reference" in t for t in texts)


def test_every_spot_discount_of_the_catalog_is_a_range(catalog: Catalog) -> None:
    """The reference gives most spot discounts as "about X%": a point would make a spot cost look more certain
    than its source (found by a review, 2026-12-03); each is widened by 3 points each way, the span of its one
    range (g4dn us-east-1 62-65%)."""
    seen = 0
    for fam in catalog.families.values():
        for region, sd in fam.spot_discount.items():
            d = sd.discount
            assert d.low < d.median < d.high, (fam, region)
            assert d.high - d.low == pytest.approx(0.06) or (d.low, d.high) == (0.62, 0.65), (fam, region)
            seen += 1
    assert seen == 5
