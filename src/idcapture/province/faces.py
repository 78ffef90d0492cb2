"""The portrait as the province's second, optional modality.

At ingest every record whose package carries a portrait gets its face embedding: the
128-D descriptor of :func:`idcapture.biometrics.face.compare.face_descriptor` (dlib's
ResNet, the one ``idcapture face compare`` uses), kept in the registry as float32
bytes. Records without a portrait, or whose portrait shows no face, have none.

The search is exact: the squared distance of two embeddings is
``|a|^2 + |b|^2 - 2 a.b``, so every probe is compared with every stored embedding by
blocked matrix products (:func:`near_pairs`, at most ``block x gallery_block`` floats at
a time), no index and no approximation.

Fusion with the thumbs (``docs/integrators/province.md`` gives the arithmetic):

- a cluster found on the thumbs (or the same ID number) gets the face distance and score
  of each pair whose two records have an embedding (:func:`face_evidence`); the thumbs
  still decide. A face that agrees (distance under :data:`SAME_FACE`) says one person
  under two identities; a face that disagrees (at or over :data:`DIFFERENT_FACE`), with
  thumbs that match, says one person's thumbs under two faces: someone capturing for
  another. Both go to review; the face only tells the reviewer which story to check;
- a pair of records whose faces are close enough on their own is a ``face`` match: its
  face score (``-10 log10`` of the modelled face FMR, :func:`face_score`) reaches
  :func:`face_threshold`, the score whose FMR times the province's record pairs is a
  budget of expected false face matches (``face_clusters``, default 1), the thumbs'
  rule with the face's FMR. A cluster held together by face matches alone is a
  *face-only* cluster.

:func:`face_fmr` is the worst of normal distributions fitted to the impostor distances
of real portrait pairs within each group of people (the London Set, both photos made
into a station's portrait, measured by ``benchmarks/bench_province_faces.py``), floored
at :data:`FMR_FLOOR`: a tail extrapolated further than that is not trusted, so above a
certain province size no face-only match is made at all (:func:`face_only_distance`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.compare_parallel import map_in_order
from .registry import Match, Registry

if TYPE_CHECKING:
    from .package import StationPackage

__all__ = [
    "DIFFERENT_FACE",
    "EMBEDDING_DIM",
    "FACE_KIND",
    "FMR_FLOOR",
    "IMPOSTOR_GROUPS",
    "SAME_FACE",
    "FacePair",
    "annotate_clusters",
    "embedding_array",
    "expected_face_false_hits",
    "face_evidence",
    "face_fmr",
    "face_only_distance",
    "face_score",
    "face_threshold",
    "near_pairs",
    "package_embeddings",
    "portrait_embedding",
    "search_faces",
    "thumb_scores",
]

log = logging.getLogger("idcapture.province.faces")
#: the package column naming a record's portrait
PORTRAIT_COLUMN = "photo_file"
#: kind of a match found on the faces alone
FACE_KIND = "face"

#: values in an embedding
EMBEDDING_DIM = 128
#: normals fitted to the impostor distances of portrait pairs within each group of the
#: London Set (both people of a pair in the group; mean, standard deviation), measured
#: by ``benchmarks/bench_province_faces.py``: the descriptor puts two East Asian or two
#: black people closer than two white people, so the worst group decides
IMPOSTOR_GROUPS: dict[str, tuple[float, float]] = {
    "east_asian": (0.659, 0.082),   # 9 people, 144 pairs
    "black": (0.669, 0.092),        # 13 people, 312 pairs
    "west_asian": (0.750, 0.082),   # 10 people, 180 pairs
    "white": (0.803, 0.086),        # 69 people, 9,384 pairs
}
#: the modelled FMR is never taken lower than this (the face score is at most 80)
FMR_FLOOR = 1e-8
#: faces this close are one person as far as the face can tell (the station's
#: portrait-against-card threshold)
SAME_FACE = 0.44
#: faces this far apart are different people as far as the face can tell (no
#: genuine portrait pair of the London Set is this far apart)
DIFFERENT_FACE = 0.60

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FacePair:
    """Two records (record IDs, ``a < b``) whose faces are ``distance`` apart."""

    a: int
    b: int
    distance: float


def portrait_embedding(image: bytes) -> bytes | None:
    """float32 bytes of the face embedding of a portrait image file (JPEG, PNG...), or
    ``None`` when the image cannot be read or shows no face."""
    import cv2

    from ..biometrics.face._models import FaceModelUnavailable
    from ..biometrics.face.compare import face_descriptor
    from ..errors import IdCaptureError
    from ..formats.images import decode_image

    try:
        rgb = decode_image(image, "RGB")
        vec = face_descriptor(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), which="portrait")
    except FaceModelUnavailable:
        raise
    except (IdCaptureError, ValueError):
        return None
    return np.asarray(vec, np.float32).tobytes()


def embedding_array(blobs: Sequence[bytes]) -> FloatArray:
    """Stored embeddings as an ``(n, 128)`` float32 array (read-only)."""
    if not blobs:
        return np.zeros((0, EMBEDDING_DIM), np.float32)
    # a read-only view of one joined buffer: no second copy of the province's faces
    return np.frombuffer(b"".join(blobs), np.float32).reshape(len(blobs), EMBEDDING_DIM)


def _augmented(rows: FloatArray, sq: FloatArray, probe_side: bool) -> FloatArray:
    """Rows extended so that one inner product is a squared distance: a probe ``[a,
    |a|^2, 1]`` times a gallery row ``[-2 b, 1, |b|^2]`` is ``|a - b|^2``."""
    out = np.empty((len(rows), EMBEDDING_DIM + 2), np.float32)
    if probe_side:
        out[:, :EMBEDDING_DIM] = rows
        out[:, EMBEDDING_DIM] = sq
        out[:, EMBEDDING_DIM + 1] = 1.0
    else:
        np.multiply(rows, -2.0, out=out[:, :EMBEDDING_DIM])
        out[:, EMBEDDING_DIM] = 1.0
        out[:, EMBEDDING_DIM + 1] = sq
    return out


def near_pairs(gallery: FloatArray, rids: npt.NDArray[np.int64], probes: npt.NDArray[np.bool_],
               max_distance: float, *, block: int = 2048, gallery_block: int = 16384
               ) -> list[FacePair]:
    """Every pair of rows whose embeddings are at most ``max_distance`` apart and of
    which at least one row is a probe (``probes[i]``), each pair once, exactly.

    The probes are taken ``block`` at a time against ``gallery_block`` gallery rows at a
    time: one matrix product each gives the squared distances (:func:`_augmented`), so
    memory stays at the gallery and one ``block x gallery_block`` float32 block (128 MB
    at the defaults) whatever the province's size. The pairs the float32 product puts
    near the limit are decided on their float64 distance."""
    n = len(gallery)
    if gallery.ndim != 2 or gallery.shape[1] != EMBEDDING_DIM:
        raise ValueError(f"embeddings are {EMBEDDING_DIM} values each")
    if n != len(rids) or n != len(probes):
        raise ValueError("gallery, rids and probes differ in length")
    g = np.ascontiguousarray(gallery, np.float32)
    sq = np.einsum("ij,ij->i", g, g)
    # float32 rounding of |a|^2 + |b|^2 - 2 a.b: well under 1e-5 for embeddings of
    # length about 1; every pair within the slack is checked in float64
    limit = np.float32(max_distance * max_distance + 1e-4)
    rows = np.flatnonzero(probes)
    found: list[FacePair] = []
    d2 = np.empty((min(block, len(rows)), min(gallery_block, n)), np.float32)
    for c in range(0, n, gallery_block):
        right = _augmented(g[c:c + gallery_block], sq[c:c + gallery_block], False).T.copy()
        for s in range(0, len(rows), block):
            pr = rows[s:s + block]
            out = d2[:len(pr), :right.shape[1]]
            np.matmul(_augmented(g[pr], sq[pr], True), right, out=out)
            i, j = np.nonzero(out <= limit)
            j = j + c
            # each pair once: against another probe, only the lower row probes it
            keep = (~probes[j]) | (j < pr[i])
            a, b = pr[i[keep]], j[keep]
            dist = np.linalg.norm(g[a].astype(np.float64) - g[b], axis=1)
            ok = dist <= max_distance
            for x, y, dd in zip(rids[a[ok]], rids[b[ok]], dist[ok], strict=True):
                found.append(FacePair(int(min(x, y)), int(max(x, y)), float(dd)))
    found.sort(key=lambda f: (f.a, f.b))
    return found


_NORMAL = NormalDist()


def face_fmr(distance: float) -> float:
    """Modelled chance that two different people's portraits are ``distance`` apart or
    closer: the highest of the groups' fitted normals (:data:`IMPOSTOR_GROUPS`),
    floored at :data:`FMR_FLOOR`."""
    worst = max(_NORMAL.cdf((distance - m) / s) for m, s in IMPOSTOR_GROUPS.values())
    return max(FMR_FLOOR, worst)


def face_score(distance: float) -> float:
    """``-10 log10`` of :func:`face_fmr`, on the thumbs' scale (at most 80)."""
    return round(-10.0 * math.log10(face_fmr(distance)), 1)


def face_threshold(students: int, face_clusters: float = 1.0) -> float:
    """Face score whose expected false matches over a province of ``students`` are
    ``face_clusters``: ``-10 log10(face_clusters / pairs)``, the thumbs' rule with the
    face's FMR."""
    pairs = max(1, students * (students - 1) // 2)
    return -10.0 * math.log10(min(1.0, face_clusters / pairs))


def face_only_distance(students: int, face_clusters: float = 1.0) -> float:
    """The largest face distance whose :func:`face_score` reaches :func:`face_threshold`;
    ``-inf`` when that score is beyond the model's floor (no face-only match can
    be trusted at that size and budget)."""
    t = face_threshold(students, face_clusters)
    fmr = 10.0 ** (-t / 10.0)
    if fmr < FMR_FLOOR:
        return -math.inf
    if fmr >= 1.0:
        return math.inf
    z = _NORMAL.inv_cdf(fmr)
    return max(0.0, min(m + s * z for m, s in IMPOSTOR_GROUPS.values()))


def expected_face_false_hits(students: int, distance: float) -> float:
    """Expected face matches between different people over a province of ``students``
    at ``distance``: record pairs times :func:`face_fmr`."""
    return students * (students - 1) / 2 * face_fmr(distance)


def _verdict(distance: float) -> str:
    if distance < SAME_FACE:
        return "same"
    if distance >= DIFFERENT_FACE:
        return "different"
    return "unclear"


def face_evidence(distance: float) -> dict[str, Any]:
    """The face's part of a pair's evidence: distance, score and verdict
    (``same``, ``unclear``, ``different``)."""
    return {"face_distance": round(distance, 4), "face_score": face_score(distance),
            "face": _verdict(distance)}


def pair_distances(embeddings: dict[int, FloatArray],
                   pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Face distance of each pair whose two records have an embedding."""
    out = {}
    for a, b in pairs:
        if a in embeddings and b in embeddings:
            out[(a, b)] = float(np.linalg.norm(embeddings[a].astype(np.float64)
                                               - embeddings[b]))
    return out


def package_embeddings(pkg: StationPackage, jobs: int = 0) -> list[bytes | None]:
    """The face embedding of each record of an opened package (``None`` where there is
    no portrait or no face in it), computed on ``jobs`` processes. Without the face
    models installed (the ``face`` extra) no embedding is made, and a warning says so."""
    from ..biometrics.face._models import FaceModelUnavailable

    todo = [(i, str(r.fields.get(PORTRAIT_COLUMN, ""))) for i, r in enumerate(pkg.records)]
    todo = [(i, m) for i, m in todo if m and pkg.has(m)]
    out: list[bytes | None] = [None] * len(pkg.records)
    if not todo:
        return out
    try:
        made = map_in_order(portrait_embedding, [pkg.read(m) for _i, m in todo], jobs)
    except FaceModelUnavailable as exc:
        log.warning("portraits not embedded: %s", exc)
        return out
    for (i, _m), e in zip(todo, made, strict=True):
        out[i] = e
    unread = sum(1 for e in made if e is None)
    if unread:
        log.warning("package %s: %d of %d portraits gave no face embedding (no face "
                    "found, or not an image)", pkg.name, unread, len(todo))
    return out


def search_faces(registry: Registry, after: int = 0, face_clusters: float = 1.0
                 ) -> list[Match]:
    """``face`` matches of the current records with ``rid > after`` (all of them when
    ``after`` is 0) against every current record: the pairs within
    :func:`face_only_distance` of the province's current size. Earlier face matches that
    no longer reach :func:`face_threshold` (the province has grown) are dropped."""
    rows = registry.faces()
    n = registry.count(current_only=True)
    registry.drop_matches(FACE_KIND, below=face_threshold(max(2, n), face_clusters))
    max_distance = face_only_distance(max(2, n), face_clusters)
    if len(rows) < 2 or not max_distance >= 0.0:
        return []
    rids = np.asarray([r for r, _e in rows], np.int64)
    gallery = embedding_array([e for _r, e in rows])
    del rows
    pairs = near_pairs(gallery, rids, rids > after, max_distance)
    thumbs = thumb_scores(registry, [(p.a, p.b) for p in pairs])
    out = []
    for p in pairs:
        evidence = face_evidence(p.distance)
        scores = thumbs.get((p.a, p.b), {})
        if scores:
            evidence.update(thumbs=scores, fused=round(sum(scores.values()), 2))
        out.append(Match(p.a, p.b, FACE_KIND, face_score(p.distance), evidence))
    return out


def thumb_scores(registry: Registry, pairs: Sequence[tuple[int, int]]
                 ) -> dict[tuple[int, int], dict[str, float]]:
    """Each thumb's comparator score for pairs of records (the thumbs both records
    have): what a face-only pair's thumbs say; chance scores mean another person's
    thumbs (a twin, a look-alike, or someone giving thumbs for the registration)."""
    from ..biometrics.finger.compare import compare, prepare
    from ..formats import iso19794_2
    from .prepared import unpack

    rids = {r for ab in pairs for r in ab}
    templates = registry.thumb_templates(rids)
    # the forms dedup stored (exactly what prepare gives); prepared here only where none is
    prepared: dict[tuple[int, str], Any] = {
        (rid, pos): unpack(form) for rid, pos, form in registry.prepared_thumbs(rids)}

    def get(rid: int, pos: str) -> Any:
        if (rid, pos) not in prepared:
            data = templates[rid][pos]
            prepared[(rid, pos)] = prepare(iso19794_2.read(data).to_templates()[0])
        return prepared[(rid, pos)]

    out: dict[tuple[int, int], dict[str, float]] = {}
    for a, b in pairs:
        common = sorted(set(templates.get(a, {})) & set(templates.get(b, {})))
        # compare is symmetric (the mean of both directions): one call a thumb
        out[(a, b)] = {pos: round(compare(get(a, pos), get(b, pos)), 2) for pos in common}
    return out


def annotate_clusters(registry: Registry,
                      clusters: list[tuple[list[int], list[str], list[dict[str, Any]]]]
                      ) -> int:
    """Add the face's evidence (:func:`face_evidence`) to every pair of the clusters'
    evidence whose two records have an embedding; returns the pairs annotated."""
    wanted = {r for members, _k, _e in clusters for r in members}
    embeddings = {rid: np.frombuffer(e, np.float32)
                  for rid, e in registry.faces(rids=wanted)}
    done = 0
    for _members, _kinds, evidence in clusters:
        for e in evidence:
            if e.get("kind") == FACE_KIND:
                continue
            a, b = e["records"]
            dist = pair_distances(embeddings, [(a, b)]).get((a, b))
            if dist is not None:
                e.update(face_evidence(dist))
                done += 1
    return done
