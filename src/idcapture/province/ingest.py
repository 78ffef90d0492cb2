"""Ingest of station export packages into the province registry.

Each package is verified and opened (:func:`.package.open_package`), its thumbs' ISO/IEC
19794-2 templates read from ``templates/`` (extracted from the thumb image only where a
template is missing, on every core) and its records written in one transaction. A
package already in the registry (same SHA-256) changes nothing; a refused package is
reported with its problems and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..biometrics.finger.compare_parallel import map_in_order
from ..formats import iso19794_2
from .archive import archive_package
from .faces import package_embeddings
from .package import (
    THUMBS,
    PackageRefused,
    StationPackage,
    open_package,
    package_sha256,
    template_member,
)
from .registry import Registry, Thumb

#: resolution of exported thumb images (the stations capture at 500 ppi)
EXPORT_PPI = 500

__all__ = ["EXPORT_PPI", "IngestResult", "ingest", "ingest_package", "thumb_template"]

log = logging.getLogger("idcapture.province.ingest")


@dataclass
class IngestResult:
    """What happened to one package: ``status`` ingested, already-ingested or refused."""

    package: str
    status: str
    station_id: str = ""
    sha256: str = ""
    records: int = 0
    superseded: int = 0
    extracted: int = 0
    #: records whose portrait gave a face embedding
    faces: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def thumb_template(image: bytes) -> bytes:
    """ISO/IEC 19794-2 bytes of the template extracted from a thumb image file."""
    from ..biometrics.finger import extract
    from ..formats.images import decode_image

    return iso19794_2.template_record(extract(decode_image(image, "L"), ppi=EXPORT_PPI))


def _thumbs(pkg: StationPackage, jobs: int) -> tuple[list[dict[str, Thumb]], int]:
    out: list[dict[str, Thumb]] = []
    todo: list[tuple[int, str, str]] = []
    for i, rec in enumerate(pkg.records):
        have: dict[str, Thumb] = {}
        for t in THUMBS:
            member = template_member(rec.registration_number, t)
            if pkg.has(member):
                have[t] = (pkg.read(member), "package", None)
            elif t in rec.thumb_files:
                todo.append((i, t, rec.thumb_files[t]))
        out.append(have)
    extracted = map_in_order(thumb_template, [pkg.read(f) for _i, _t, f in todo], jobs)
    for (i, t, _f), tpl in zip(todo, extracted, strict=True):
        out[i][t] = (tpl, "extracted", None)
    return out, len(todo)


def ingest_package(registry: Registry, path: str | Path, passphrase: str | None = None,
                   jobs: int = 0, faces: bool = False) -> IngestResult:
    """Ingest one package; refused packages come back with ``status`` ``refused``.
    With ``faces`` (off by default: 0.2-0.7 s of CPU a portrait), each portrait's face
    embedding is stored too (:mod:`.faces`)."""
    p = Path(path)
    if not p.is_file():
        return IngestResult(p.name, "refused", problems=["package file not found"])
    sha = package_sha256(p)
    if registry.has_package(sha):
        return IngestResult(p.name, "already-ingested", sha256=sha)
    try:
        with open_package(p, passphrase) as pkg:
            if not registry.station_known(pkg.station_id):
                raise PackageRefused(p.name, [
                    f"station {pkg.station_id[:64]!r} is not one of the province's stations "
                    "(idcapture province stations add)"], "package-station")
            thumbs, extracted = _thumbs(pkg, jobs)
            embeddings = package_embeddings(pkg, jobs) if faces else []
            archive_package(registry.path, pkg.sha256, p)
            added, superseded = registry.add_package(
                sha256=pkg.sha256, name=p.name, station_id=pkg.station_id,
                created_at=pkg.created_at,
                records=[(r.fields, t) for r, t in zip(pkg.records, thumbs, strict=True)],
                faces=embeddings)
            station = pkg.station_id
    except PackageRefused as exc:
        log.warning("package %s refused: %s", p.name, "; ".join(exc.problems))
        return IngestResult(p.name, "refused", sha256=sha, problems=exc.problems)
    log.info("package %s: %d records, %d superseded", p.name, added, superseded)
    return IngestResult(p.name, "ingested", station, sha, added, superseded, extracted,
                        sum(1 for e in embeddings if e is not None))


def ingest(registry: Registry, paths: Sequence[str | Path], passphrase: str | None = None,
           jobs: int = 0, report: Callable[[IngestResult], None] | None = None,
           faces: bool = False) -> list[IngestResult]:
    """Ingest packages in order; ``report`` is called after each one is committed."""
    out = []
    for p in paths:
        r = ingest_package(registry, p, passphrase, jobs, faces)
        if report is not None:
            report(r)
        out.append(r)
    return out
