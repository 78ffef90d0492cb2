"""The demonstration run by ``idcapture demo``: a school's capture day on the simulators.

In a fresh folder it

1. writes a sample school roster of 40 made-up students (valid ID numbers) as
   ``roster.xlsx``, creates a station store and imports the roster;
2. registers every student (exam registration numbers from the station's pattern);
3. runs a capture session per student on the in-process simulators, opened through
   the device registry: the ID reader is given each student's card (its chip photo a
   102x126 BMP made from the face shipped with idcapture, decoded by the simulated
   reader), the camera shows that face in front of a wall, so portraits are taken
   automatically and compared with the card photo, and the fingerprint sensor is given
   each student's synthetic thumbs, whose minutiae templates are stored in the record.
   The run includes a card that is not on the roster (refused), a student standing too
   far back and one looking aside (guided, then taken), a poor first fingerprint
   (retried), a card whose name differs from the roster (the operator accepts it,
   recorded), a second impression of one student's thumb given by another student
   (caught by the fingerprint comparator) and two absent students;
4. prints the check report and exports the Excel package, which it verifies.

With ``finger_algorithm`` (``idcapture demo --finger-algorithm idfpr:``) the station also
runs the ``card-fingerprint`` check: every card carries templates of its holder's thumbs
(made by that algorithm from another impression), except one card that carries no
fingerprints (not applicable); one student presents an absent student's thumb, which
fails, is retried, and the operator rejects the capture.

It takes well under two minutes. Nothing personal is printed unmasked.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from . import open_camera, open_fingerprint_sensor, open_id_reader
from .errors import ConfigError
from .formats.record_files import save
from .formats.roster import write_roster
from .idnumbers import make_citizen_id
from .privacy import mask_id_number
from .record import Check, CheckOutcome, DocumentKind, IdentityDocument, Sex
from .station import StationConfig, Store, import_roster, register_students
from .station.checking import CheckReport, check_station
from .station.export import ExportReport, VerifyReport, export_package, verify_package
from .station.runner import Devices, Policy, run_capture
from .station.session import CaptureSession, Prompt, SessionState
from .station.steps import Steps
from .synth.students import sample_students

if TYPE_CHECKING:
    from .devices.finger_algorithm import FingerAlgorithm
    from .sim.camera.scene import FaceSource

log = logging.getLogger("idcapture.demo")

__all__ = ["DemoResult", "card_photo_bmp", "finger_check_summary", "run_demo"]

STUDENTS = 40
POOR_FINGER = 3        # this student's first right-thumb impression is too wet
NAME_MISMATCH = 5      # this student's card spells the name differently
DUPLICATE_OF = 2       # another impression of this student's right thumb is given by
DUPLICATE_BY = 9       # this student, as the left thumb
ABSENT = (38, 39)      # these two miss the capture day
#: with a finger algorithm: this student presents absent student 38's right thumb
#: (refused after the attempts), and this one's card carries no fingerprints
CARD_IMPOSTOR = 11
CARD_NO_PRINTS = 12
#: students whose first camera frame needs guidance: (scene, amount) before a good one
GUIDED = {6: ("too-far", 0.6), 14: ("yaw", 1.0)}
CARD_PHOTO_PROFILE = "ga461-358x441"   # the card photo's framing, scaled to the chip's size
CHIP_PHOTO_SIZE = (102, 126)


@dataclass
class DemoResult:
    """Where the demo wrote its outputs, and what it found."""

    folder: Path
    store: Path
    roster: Path
    package: Path
    record_path: Path
    saved: int
    refused: int
    check: CheckReport
    export: ExportReport
    verify: VerifyReport


def _card(row: dict[str, str], today: _dt.date, photo: bytes) -> IdentityDocument:
    n = row["id_number"]
    doc = IdentityDocument(
        kind=DocumentKind.RESIDENT_ID, id_number=n, name=row["name"],
        sex=Sex.MALE if row["sex"] == "男" else Sex.FEMALE, ethnicity_code=None,
        ethnicity=row["ethnicity"], birth_date=_dt.date(int(n[6:10]), int(n[10:12]),
                                                         int(n[12:14])),
        address="广东省广州市天河区示范路1号", issuing_authority="广州市公安局天河分局",
        valid_from=today - _dt.timedelta(days=400), valid_until=today + _dt.timedelta(days=3250))
    doc.photo = doc.add_blob(photo, "image/bmp", *CHIP_PHOTO_SIZE)
    return doc


def _thumbs(index: int) -> dict[str, np.ndarray]:
    """One student's thumbs: ``right`` and ``left``, plus a too-wet right-thumb impression
    (``wet``) for the poor-finger student and a second good right-thumb impression
    (``again``) for the student whose thumb is given again by another."""
    from .synth.fingerprints import generate_master, make_impression

    right = generate_master(1000 + 2 * index)
    left = generate_master(1001 + 2 * index)
    out = {"right": make_impression(right, seed=index, style="good").image,
           "left": make_impression(left, seed=index, style="good").image}
    if index == POOR_FINGER:
        out["wet"] = make_impression(right, seed=index + 500, style="wet").image
    if index == DUPLICATE_OF:
        out["again"] = make_impression(right, seed=index + 900, style="good").image
    return out


def _card_block(alg: FingerAlgorithm, index: int) -> bytes:
    """The fingerprint block of student ``index``'s card: templates of both thumbs, made by
    ``alg`` from impressions other than those presented at the station."""
    from .devices.finger_algorithm import fit_window
    from .synth.fingerprints import generate_master, make_impression

    out = b""
    for code, seed in ((11, 1000 + 2 * index), (16, 1001 + 2 * index)):
        image = make_impression(generate_master(seed), seed=index + 300, style="good").image
        out += alg.extract(fit_window(image, alg.image_shape), code)
    return out


def _other_thumb(index: int, impressions: int) -> list[np.ndarray]:
    """``impressions`` impressions of student ``index``'s right thumb."""
    from .synth.fingerprints import generate_master, make_impression

    master = generate_master(1000 + 2 * index)
    return [make_impression(master, seed=index + 600 + i, style="good").image
            for i in range(impressions)]


def finger_check_summary(checks: list[Check]) -> list[str]:
    """Lines summing up the ``finger-duplicate`` checks of the saved records: how many
    passed, and the highest score of a passing check against each threshold (the margin
    by which distinct students stayed apart)."""
    if not checks:
        return ["fingerprint duplicate checks: none made"]
    counts = {o: sum(c.outcome is o for c in checks) for o in CheckOutcome}
    method = checks[0].details.get("method", "?")
    out = [f"fingerprint duplicate checks ({method}): {len(checks)} thumbs, "
           f"{counts[CheckOutcome.PASSED]} passed, {counts[CheckOutcome.FAILED]} failed, "
           f"{counts[CheckOutcome.NOT_CHECKED]} not checked"]
    passed = [c.details for c in checks if c.outcome is CheckOutcome.PASSED]
    same = [float(d["same_session_score"]) for d in passed if "same_session_score" in d]
    if same:
        thr = min(float(d["same_session_threshold"]) for d in passed
                  if "same_session_threshold" in d)
        out.append(f"   student's two thumbs compared {len(same)} times: highest score "
                   f"{max(same):.0f} (threshold {thr:.0f})")
    searched = [d for d in passed if d.get("searched")]
    if searched:
        top = max(searched, key=lambda d: float(d["best_score"]) - float(d["threshold"]))
        out.append(f"   {len(searched)} searches of the thumbs enrolled before (up to "
                   f"{max(int(d['searched']) for d in searched)}): highest score "
                   f"{max(float(d['best_score']) for d in searched):.0f}, closest to its "
                   f"threshold {float(top['best_score']):.0f} vs {float(top['threshold']):.0f}")
    return out


def card_photo_bmp(face: FaceSource) -> bytes:
    """A chip photo of ``face``: framed like the card photo (GA 461), resized to 102x126
    and stored as a 24-bit BMP, as a reader's photo decoder gives it."""
    from .biometrics.face import analyze_face, framing_box, get_profile, make_portrait
    from .formats.images import encode_bmp
    from .sim.camera.scene import render_scene

    size = (640, 480)
    fb = framing_box(get_profile(CARD_PHOTO_PROFILE), size)
    frame = render_scene("good", face, size, target_ied=fb.target_ied,
                         eye_point=(fb.centre_x, fb.eye_line_y))
    analysis = analyze_face(frame)
    if analysis.landmarks is None:
        raise ConfigError("the demo face is not found in its own card-photo scene")
    portrait = make_portrait(frame, analysis.landmarks, CARD_PHOTO_PROFILE)
    chip = cv2.resize(portrait.image, CHIP_PHOTO_SIZE, interpolation=cv2.INTER_AREA)
    return encode_bmp(np.ascontiguousarray(chip[:, :, ::-1]))  # BGR -> RGB


def run_demo(out_dir: Path, *, reader: str = "sim:id-reader?card=none&poll=0.005",
             camera: str = "sim:camera?fps=0",
             sensor: str = "sim:fingerprint?finger=none&poll=0.005",
             say: Callable[[str], object] | None = print,
             finger_algorithm: str | None = None) -> DemoResult:
    """Run the whole story in ``out_dir`` (created; must not hold a station already).

    The three addresses must open simulators: the demo places cards, plays camera
    scenes and queues finger images on them. ``finger_algorithm``: the address of the
    algorithm of the ``card-fingerprint`` check (``None``: the check is not run).
    """
    from .sim.camera.scene import SceneScript, SceneStep, demo_face_path, load_face_source

    emit: Callable[[str], object] = say if say is not None else (lambda _m: None)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    today = _dt.date.today()
    rows = sample_students(STUDENTS, seed=2025)
    roster = write_roster(out_dir / "roster.xlsx", rows, title="广州市示范中学 高一年级学生名单")
    emit(f"1. roster: {len(rows)} made-up students written to {roster.name}")

    cfg = StationConfig(station_id="demo-station-01", year=today.year, region="440106")
    store = Store.create(out_dir / "station", {"config": cfg.to_json()})
    try:
        rep = import_roster(store, roster, operator="demo-operator")
        emit(f"   imported: {rep.added} students, {rep.rejected_rows} rows rejected")
        reg = register_students(store, operator="demo-operator")
        first = min(reg.new.values())
        emit(f"2. registration: {len(reg.new)} numbers allocated ({first} ...)")

        emit("3. capture session on the simulators")
        face = load_face_source(demo_face_path())
        photo = card_photo_bmp(face)
        # the default steps: the finger duplicate check is the minutiae comparator, so a
        # second impression of an enrolled thumb is caught
        steps = Steps()
        card_fp: list[Check] = []
        fp_rejected = 0
        finger_checks: list[Check] = []
        saved = refused = 0
        # the synthetic thumbs are made ahead on a worker thread while captures run
        # (their filtering releases the GIL)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="idcapture-demo-thumbs")
        thumbs = {i: pool.submit(_thumbs, i) for i in range(STUDENTS) if i not in ABSENT}
        pool.shutdown(wait=False)
        with contextlib.ExitStack() as stack:
            stack.callback(lambda: [t.cancel() for t in thumbs.values()])
            r = stack.enter_context(open_id_reader(reader))
            c = stack.enter_context(open_camera(camera))
            f = stack.enter_context(open_fingerprint_sensor(sensor))
            from .sim.camera.driver import SimCamera
            from .sim.finger.driver import SimFingerprintSensor
            from .sim.sam.driver import SimIdReader

            if not (isinstance(r, SimIdReader) and isinstance(c, SimCamera)
                    and isinstance(f, SimFingerprintSensor)):
                raise ConfigError("the demo runs on the simulators (sim:id-reader, "
                                  "sim:camera, sim:fingerprint)")
            devices = Devices(r, c, f)
            policy = Policy(accept_mismatch=True, note="student confirmed; card spelling",
                            manual_portrait=True, keep_low_quality=False)
            alg: FingerAlgorithm | None = None
            if finger_algorithm and finger_algorithm != "none":
                from .station.card_fingerprint import open_checker

                checker = open_checker(finger_algorithm)
                stack.callback(checker.algorithm.close)
                alg = checker.algorithm
                steps.card_fingerprint = checker
                emit(f"   card-fingerprint check with {finger_algorithm} (threshold "
                     f"{checker.threshold:.2f}, {checker.attempts} impressions)")
            stranger = dict(rows[0], id_number=make_citizen_id("440104", _dt.date(2008, 6, 1),
                                                               17), name="赵某某", sex="男")
            order: list[tuple[str, dict[str, str], int]] = [("stranger", stranger, -1)]
            order += [("student", row, i) for i, row in enumerate(rows) if i not in ABSENT]
            for kind, row, i in order:
                card = _card(row, today, photo)
                if alg is not None and i >= 0 and i != CARD_NO_PRINTS:
                    card.raw_blocks["fingerprint"] = card.add_blob(
                        _card_block(alg, i), "application/octet-stream")
                if i == NAME_MISMATCH:
                    card.name = row["name"][0] + "小" + row["name"][1:]
                r.remove_card()
                r.card_present()
                r.place_card(card)
                scenes = [SceneStep("good", 1)]
                if i in GUIDED:
                    scene, amount = GUIDED[i]
                    scenes.insert(0, SceneStep(scene, 1, amount))
                c.play(SceneScript(scenes), face)
                if alg is not None and i == CARD_IMPOSTOR:
                    for image in _other_thumb(ABSENT[0], steps.card_fingerprint.attempts
                                              if steps.card_fingerprint else 1):
                        f.queue_outcome(image)
                elif i >= 0:
                    prints = thumbs[i].result()
                    if i == POOR_FINGER:
                        f.queue_outcome(prints["wet"])
                    f.queue_outcome(prints["right"])
                    f.queue_outcome(thumbs[DUPLICATE_OF].result()["again"]
                                    if i == DUPLICATE_BY else prints["left"])
                session = CaptureSession.start(store, "demo-operator", steps)
                notes: list[str] = []

                def note(p: Prompt, notes: list[str] = notes) -> None:
                    if p.code in ("finger-retry", "card-roster-mismatch", "duplicate-finger",
                                  "not-on-roster", "portrait-retry", "card-fingerprint-retry",
                                  "card-fingerprint-decision"):
                        notes.append(f"{p.code}: {p.message}")

                last = run_capture(session, devices, policy=policy, timeout=5.0,
                                   on_prompt=note)
                who = f"{kind} {mask_id_number(row['id_number'])}"
                fp = session.record.check("card-fingerprint")
                if fp is not None:
                    card_fp.append(fp)
                    if i in (CARD_IMPOSTOR, CARD_NO_PRINTS) or \
                            fp.outcome is not CheckOutcome.PASSED:
                        notes.append(f"card-fingerprint: {fp.outcome.value}: {fp.message}")
                if last.state is SessionState.SAVED:
                    finger_checks += [c for c in session.record.checks
                                      if c.name.startswith("finger-duplicate:")]
                    saved += 1
                    failed = last.details.get("failed_checks", [])
                    if notes or failed:
                        emit(f"   {who}: saved" + (f", failed checks {failed}" if failed
                                                   else ""))
                        for n in notes:
                            emit(f"      {n}")
                else:
                    refused += 1
                    emit(f"   {who}: {last.state.value}: {last.message}")
                    for n in notes:
                        if n.startswith("card-fingerprint"):
                            emit(f"      {n}")
                    fp_rejected += last.code == "card-fingerprint-rejected"
            emit(f"   {saved} records saved, {refused} card refused, {len(ABSENT)} students "
                 "absent")
            for line in finger_check_summary(finger_checks):
                emit("   " + line)
            if card_fp or fp_rejected:
                counts = {o.value: sum(ch.outcome is o for ch in card_fp) for o in CheckOutcome}
                counts["rejected by the operator"] = fp_rejected
                emit(f"   card-fingerprint checks: {len(card_fp) + fp_rejected} students, "
                     + ", ".join(f"{n} {k}" for k, n in counts.items() if n))

        check = check_station(store)
        emit("4. check report")
        for line in check.lines():
            emit("   " + line)

        package = out_dir / "export" / f"export-{cfg.station_id}.zip"
        export = export_package(store, package, operator="demo-operator")
        emit(f"5. export: {export.exported} students in {package.relative_to(out_dir)}; "
             f"{len(export.left_out)} left out:")
        for lo in export.left_out:
            emit(f"      {lo['registration_number']} {lo['id_number']}: "
                 f"{'; '.join(lo['reasons'])}")
        verify = verify_package(package)
        emit(f"6. verify: {'passed' if verify.ok else 'FAILED'} ({verify.files_checked} files "
             "against the manifest)")
        sample = next(store.current_records())
        record_path = save(sample.record(store), out_dir / "sample-record")
        emit(f"   one CaptureRecord written to {record_path.relative_to(out_dir)}")
    finally:
        store.close()
    emit(f"done in {time.perf_counter() - t0:.1f} s; everything is in {out_dir}")
    return DemoResult(out_dir, out_dir / "station", roster, package, record_path, saved,
                      refused, check, export, verify)
