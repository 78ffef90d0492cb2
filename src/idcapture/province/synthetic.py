"""A synthetic province: station export packages with planted cross-school duplicates.

``synth_province(out, students=N, duplicates=K, stations=S)`` spreads ``N`` made-up
students over ``S`` schools (one station each) and plants ``K`` duplicates, cycling
through three kinds:

``biometric``
    a student's two thumbs, each a new rendered impression of the same synthetic finger,
    under another ID number at another school;
``same-id``
    a student's ID number registered again at another school (other fingers);
``shared-thumb``
    a person capturing for another: a record under another ID number at another school
    whose right thumb is a new impression of the student's right thumb and whose left
    thumb is someone else's.

Planted duplicates and their originals are rendered (:mod:`idcapture.synth.fingerprints`)
and extracted, and their packages carry the thumb images (PNG) and the templates. The
bulk students are template-level (:func:`idcapture.synth.templates.individual_template`):
every bulk thumb has a flow field of its own (the master generator's pattern class,
singular points and smoothly turned flow, without growing ridges) and minutiae drawn
along it, and the packages carry only the ISO/IEC 19794-2 templates, since rendering
100,000 fingers is too slow. ``truth.json`` lists every planted pair as (station,
registration number).

With a folder of identity-labelled photos (``faces``), students get portraits
(:mod:`.synthetic_faces`): the two records of a ``biometric`` or ``same-id`` duplicate
two photos of one person, those of a ``shared-thumb`` duplicate two people, and
``face_duplicates`` more duplicates of kind ``face`` are planted: two photos of one
person under two ID numbers at two schools, with other fingers.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..biometrics.finger import extract
from ..biometrics.finger.compare_parallel import map_in_order
from ..biometrics.finger.template import FingerTemplate
from ..errors import ConfigError
from ..formats import iso19794_2
from ..formats.export_xlsx import DEFAULT_PROFILE, write_workbook
from ..formats.images import encode_png
from ..synth.fingerprints import generate_master, make_impression
from ..synth.students import sample_students
from ..synth.templates import individual_template
from .faces import FACE_KIND
from .package import PACKAGE_FORMAT, THUMBS, template_member
from .synthetic_faces import give_portraits

__all__ = ["DUPLICATE_KINDS", "SyntheticProvince", "synth_province"]

DUPLICATE_KINDS = ("biometric", "same-id", "shared-thumb")
#: bulk thumbs made per task: each chunk has its own seed, so the province does not
#: depend on the number of processes
_BULK_CHUNK = 2_000


@dataclass
class SyntheticProvince:
    """Where the packages went and what was planted."""

    packages: list[Path]
    truth: Path
    students: int
    planted: dict[str, int]


@dataclass
class _Student:
    row: dict[str, str]
    station: int
    thumbs: dict[str, FingerTemplate]
    images: dict[str, np.ndarray]
    portrait: bytes | None = None


def _school(p: _Student) -> None:
    p.row["school_code"] = f"{4401060001 + p.station}"
    p.row["school_name"] = f"示范中学{p.station + 1}"


def _rendered(seed: int) -> list[tuple[FingerTemplate, np.ndarray]]:
    """Two impressions (extracted templates and images) of synthetic finger ``seed``."""
    master = generate_master(seed)
    out = []
    for impression in (1, 2):
        imp = make_impression(master, seed=seed * 7 + impression)
        out.append((extract(imp.image, ppi=imp.ppi), imp.image))
    return out


def _bulk(task: tuple[int, int, int]) -> list[FingerTemplate]:
    """``count`` template-level thumbs, each of its own flow field, for chunk ``chunk``."""
    seed, chunk, count = task
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(chunk), 0xB01C]))
    return [individual_template(rng) for _ in range(count)]


def synth_province(out: str | Path, *, students: int, duplicates: int, stations: int,
                   seed: int = 1, kinds: dict[str, int] | None = None,
                   jobs: int = 0, faces: str | Path | None = None,
                   face_duplicates: int = 0) -> SyntheticProvince:
    """Write ``stations`` packages and ``truth.json`` into directory ``out``.

    ``kinds`` gives the number of planted duplicates of each kind (then ``duplicates``
    is their total); by default the kinds cycle. The planted fingers are rendered on
    ``jobs`` processes (0: every core). With ``faces`` (a folder of identity-labelled
    photos, :mod:`.synthetic_faces`) students get portraits and ``face_duplicates``
    more duplicates are planted on the face alone (:func:`.synthetic_faces.give_portraits`)."""
    plan = _plan(duplicates, kinds)
    if face_duplicates and faces is None:
        raise ConfigError("face duplicates need a folder of photos (faces)", "bad-province")
    plan += [FACE_KIND] * max(0, face_duplicates)
    duplicates = len(plan)
    if stations < 2 or students < 2 * max(1, duplicates) or duplicates < 0:
        raise ConfigError("a synthetic province needs >= 2 stations and at least two "
                          "students per planted duplicate", "bad-province")
    rows = sample_students(students + duplicates, seed=seed, schools=stations)
    base, extra = rows[:students], rows[students:]
    per = -(-students // stations)
    people = [_Student(r, i // per, {}, {}) for i, r in enumerate(base)]
    for p in people:
        _school(p)
    # planted originals are spread over the province, one every students/K
    step = max(1, students // max(1, duplicates))
    planted: list[dict[str, Any]] = []
    dups: list[_Student] = []
    render: list[tuple[_Student, _Student, str, int]] = []
    for k, kind in enumerate(plan):
        orig = people[k * step]
        other = (orig.station + 1 + k % (stations - 1)) % stations
        row = dict(extra[k])
        dup = _Student(row, other, {}, {})
        _school(dup)
        if kind == "same-id":
            row.update({f: orig.row[f] for f in ("id_number", "name", "sex", "student_no")})
        elif kind != FACE_KIND:
            shared = THUMBS if kind == "biometric" else THUMBS[:1]
            for j, t in enumerate(shared):
                render.append((orig, dup, t, seed * 1_000_003 + k * 2 + j))
        planted.append({"kind": kind, "original": orig, "duplicate": dup})
        dups.append(dup)
    done = map_in_order(_rendered, [fseed for *_x, fseed in render], jobs)
    for (orig, dup, t, _s), (first, second) in zip(render, done, strict=True):
        orig.thumbs[t], orig.images[t] = first
        dup.thumbs[t], dup.images[t] = second
    everyone = people + dups
    if faces is not None:
        give_portraits(faces, [(d["kind"], d["original"], d["duplicate"]) for d in planted],
                       people, seed)
    bare = [(p, t) for p in everyone for t in THUMBS if t not in p.thumbs]
    tasks = [(seed, c, min(_BULK_CHUNK, len(bare) - c * _BULK_CHUNK))
             for c in range(-(-len(bare) // _BULK_CHUNK))]
    made = [t for chunk in map_in_order(_bulk, tasks, jobs) for t in chunk]
    for (p, t), template in zip(bare, made, strict=True):
        p.thumbs[t] = template
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    regs: dict[int, str] = {}
    packages = []
    for s in range(stations):
        members = [p for p in everyone if p.station == s]
        for n, p in enumerate(members, start=1):
            regs[id(p)] = f"26{s + 1:02d}{n:06d}"
        path = out / f"station-{s + 1:02d}.zip"
        _write_package(path, f"ST{s + 1:02d}", members, regs)
        packages.append(path)
    truth = {"students": len(everyone), "stations": stations,
             "planted": [{"kind": d["kind"],
                          "records": [[f"ST{d[w].station + 1:02d}", regs[id(d[w])]]
                                      for w in ("original", "duplicate")]}
                         for d in planted]}
    truth_path = out / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=2, sort_keys=True), encoding="utf-8")
    counts = {k: sum(1 for d in planted if d["kind"] == k)
              for k in (*DUPLICATE_KINDS, *((FACE_KIND,) if face_duplicates else ()))}
    return SyntheticProvince(packages, truth_path, len(everyone), counts)


def _plan(duplicates: int, kinds: dict[str, int] | None) -> list[str]:
    """The kind of each planted duplicate, the kinds interleaved."""
    if kinds is None:
        return [DUPLICATE_KINDS[k % len(DUPLICATE_KINDS)] for k in range(duplicates)]
    bad = set(kinds) - set(DUPLICATE_KINDS)
    if bad or any(v < 0 for v in kinds.values()):
        raise ConfigError(f"planted duplicate kinds are {', '.join(DUPLICATE_KINDS)}, "
                          "each with a count >= 0", "bad-province")
    left = {k: kinds.get(k, 0) for k in DUPLICATE_KINDS}
    out: list[str] = []
    while any(left.values()):
        for k in DUPLICATE_KINDS:
            if left[k]:
                out.append(k)
                left[k] -= 1
    return out


def _write_package(path: Path, station_id: str, members: list[_Student],
                   regs: dict[int, str]) -> None:
    files: dict[str, bytes] = {}
    rows = []
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for p in members:
        reg = regs[id(p)]
        row = dict(p.row, registration_number=reg, station_id=station_id, captured_at=now,
                   check_summary="通过")
        if p.portrait is not None:
            row["photo_file"] = f"photos/{reg}.jpg"
            files[row["photo_file"]] = p.portrait
        for t in THUMBS:
            files[template_member(reg, t)] = iso19794_2.template_record(p.thumbs[t])
            if t in p.images:
                name = f"fingers/{reg}_{t}.png"
                files[name] = encode_png(p.images[t], ppi=500)
                row[f"{t}_file"] = name
        rows.append(row)
    buf = io.BytesIO()
    write_workbook(buf, DEFAULT_PROFILE, rows)
    files["export.xlsx"] = buf.getvalue()
    files["export-report.json"] = json.dumps(
        {"exported": len(rows), "left_out": [], "station_id": station_id,
         "synthetic": True}, sort_keys=True).encode("utf-8")
    manifest = {"format": PACKAGE_FORMAT, "version": 1, "created_at": now,
                "station_id": station_id, "profile": DEFAULT_PROFILE.name,
                "records": len(rows),
                "files": {n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                          for n, b in files.items()}}
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for n, b in files.items():
            zf.writestr(n, b)
    tmp.replace(path)
