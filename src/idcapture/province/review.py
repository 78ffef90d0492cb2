"""What a reviewer sees of a cluster, and the decisions exported for the schools.

:func:`cluster_view` gathers a cluster's records (station, school, registration number,
name, masked ID number, which images the archived package holds) and its evidence
(thumb scores, fused score, same ID, the face's distance and score where both records
have a portrait's embedding). :func:`export_decisions` writes the current
decisions as an .xlsx workbook, one row per record of each decided cluster, every cell
a neutralised text cell (:mod:`idcapture.formats.cells`), so that the schools can act on
them. The review page itself is :mod:`idcapture.web.review`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..formats.atomic import atomic_write
from ..privacy import mask_id_number
from .faces import FACE_KIND
from .registry import DECISIONS, Decision, Registry

__all__ = ["IMAGE_KINDS", "ClusterView", "MemberView", "cluster_view", "display_kinds",
           "export_decisions", "image_member"]

#: images a reviewer is shown per record, with the export column naming their file
IMAGE_KINDS = {"photo": "photo_file", "right_thumb": "right_thumb_file",
               "left_thumb": "left_thumb_file"}

_HEADERS = ("簇 cluster", "决定 decision", "备注 note", "审核人 reviewer", "时间 decided at",
            "考点 station", "学校 school", "报名号 registration no.", "姓名 name",
            "身份证号 ID number")


@dataclass
class MemberView:
    """One record of a cluster, as the review page shows it."""

    rid: int
    station_id: str
    school: str
    registration_number: str
    name: str
    id_masked: str
    current: bool
    images: dict[str, bool] = field(default_factory=dict)
    #: the face's evidence of this record's closest pair in the cluster (face distance,
    #: score and verdict; :func:`.faces.face_evidence`), None without portraits
    face: dict[str, Any] | None = None


@dataclass
class ClusterView:
    """A cluster with its records, evidence and current decision."""

    cluster: int
    kinds: list[str]
    members: list[MemberView]
    evidence: list[dict[str, Any]]
    decision: Decision | None


def image_member(registry: Registry, rid: int, kind: str) -> tuple[str, str] | None:
    """(package SHA-256, member name) of a record's image of ``kind``, or ``None``."""
    column = IMAGE_KINDS.get(kind)
    if column is None:
        return None
    member = registry.record_fields(rid).get(column, "")
    if not member:
        return None
    return registry.record(rid).package_sha256, member


def display_kinds(kinds: list[str]) -> list[str]:
    """A cluster's kinds as the page names them: a cluster held together by face matches
    alone is ``face-only``."""
    return ["face-only"] if list(kinds) == [FACE_KIND] else list(kinds)


def _closest_face(evidence: list[dict[str, Any]], rid: int) -> dict[str, Any] | None:
    faces = [e for e in evidence if "face_distance" in e and rid in e.get("records", ())]
    if not faces:
        return None
    best = min(faces, key=lambda e: e["face_distance"])
    return {k: best[k] for k in ("face_distance", "face_score", "face")}


def cluster_view(registry: Registry, cid: int) -> ClusterView | None:
    """The cluster ``cid`` as a reviewer sees it, or ``None`` when there is none."""
    c = registry.cluster(cid)
    if c is None:
        return None
    members = []
    for rid in c["members"]:
        row = registry.record(rid)
        fields = registry.record_fields(rid)
        members.append(MemberView(
            rid, row.station_id, fields.get("school_name") or row.school,
            row.registration_number, fields.get("name", ""), mask_id_number(row.id_number),
            row.current, {k: bool(fields.get(col)) for k, col in IMAGE_KINDS.items()},
            _closest_face(c["evidence"], rid)))
    evidence = [{k: v for k, v in e.items() if k != "id_number"} for e in c["evidence"]]
    return ClusterView(cid, display_kinds(c["kinds"]), members, evidence,
                       registry.decision_for(c["members"]))


def export_decisions(registry: Registry, out: str | Path) -> int:
    """Write the current decisions to the workbook ``out``; returns the rows written."""
    import io

    from openpyxl import Workbook

    from ..formats.cells import text_cells

    clusters = {tuple(c["members"]): c["cluster"] for c in registry.clusters()}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审核结果 decisions")
    ws.append(text_cells(ws, _HEADERS))
    rows = 0
    for d in sorted(registry.decisions(), key=lambda d: (DECISIONS.index(d.decision),
                                                          d.members)):
        cid = clusters.get(d.members)
        for rid in d.members:
            row = registry.record(rid)
            fields = registry.record_fields(rid)
            ws.append(text_cells(ws, (
                "" if cid is None else str(cid), d.decision, d.note, d.reviewer,
                d.decided_at, row.station_id, fields.get("school_name") or row.school,
                row.registration_number, fields.get("name", ""), row.id_number)))
            rows += 1
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write(Path(out), buf.getvalue())
    return rows
