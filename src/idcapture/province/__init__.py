"""The province side: ingest of station export packages, the province registry and the
cross-school checks.

    from idcapture.province import Registry, ingest, dedup
    with Registry("registry/") as reg:
        results = ingest(reg, ["station-01.zip", "station-02.zip"])
        report = dedup(reg)                # incremental; dedup(reg, full=True) re-checks all
        clusters = reg.clusters()

See ``docs/integrators/province.md``.
"""

from .dedup import DedupReport, dedup, expected_false_hits, fused_threshold, record_pairs
from .ingest import IngestResult, ingest, ingest_package
from .package import PackageRefused, StationPackage, open_package
from .registry import Registry

__all__ = [
    "DedupReport",
    "IngestResult",
    "PackageRefused",
    "Registry",
    "StationPackage",
    "dedup",
    "expected_false_hits",
    "fused_threshold",
    "ingest",
    "ingest_package",
    "open_package",
    "record_pairs",
]
