"""The pluggable biometric steps of a capture session.

Each step is a small protocol, so a frontend or a later library version can replace
it; the defaults use :mod:`idcapture.biometrics` when it can run here. A step that
cannot judge something says so: its check is ``NOT_CHECKED`` with the reason, never
a pass it did not earn.

* :class:`FingerQualityGate` — is this finger image good enough to keep?
* :class:`DuplicateChecker` — is this finger already enrolled (for this or another
  student)? The default,
  :class:`~idcapture.station.finger_checks.MinutiaeDuplicateChecker`, compares minutiae:
  the student's two thumbs with each other, each thumb with every thumb enrolled for
  other students, and a re-captured thumb with the earlier capture.
  :class:`ExactImageDuplicateChecker` (identical images only) remains for stations that
  cannot run the comparator.
* :class:`PortraitMaker` — turn a camera frame into the standard portrait, or say what
  the student should do.
* :class:`FaceCardComparer` — compare the portrait with the card photo.
* ``card_fingerprint`` — optional: a
  :class:`~idcapture.station.card_fingerprint.CardFingerprintChecker` matches each thumb
  against the fingerprint templates on the ID card (``None``, the default: no check).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..errors import IdCaptureError, RetryNeeded, RetryOutcome, RetryReason
from ..formats.images import encode_jpeg
from ..i18n import N_
from ..record import Check, CheckOutcome, CropBox, FingerPosition, QualityReport, utcnow
from .card_fingerprint import CardFingerprintChecker
from .finger_checks import MinutiaeDuplicateChecker
from .store import Store

if TYPE_CHECKING:
    from ..biometrics.finger.template import FingerTemplate

__all__ = [
    "DuplicateChecker",
    "ExactImageDuplicateChecker",
    "FaceCardComparer",
    "FingerAssessment",
    "FingerQualityGate",
    "LibraryFaceCardComparer",
    "LibraryFingerQualityGate",
    "LibraryPortraitMaker",
    "PortraitResult",
    "Steps",
    "TemplateDuplicateChecker",
    "finger_template_of",
]

log = logging.getLogger("idcapture.station.steps")


# --------------------------------------------------------------------------- fingers


@dataclass
class FingerAssessment:
    """The verdict on one finger image.

    ``retry`` set: the image is not kept and the operator is told why. Otherwise
    ``check`` (``finger-quality``) goes into the record with ``quality``.
    """

    check: Check
    quality: QualityReport | None = None
    retry: RetryOutcome | None = None
    minutiae_count: int | None = None
    #: the library's analysis of the image (:class:`~idcapture.biometrics.finger.FingerAnalysis`),
    #: when the gate made one: the template of a kept image is extracted from it
    analysis: Any = None


class FingerQualityGate(Protocol):
    """Decide whether a finger image is good enough to keep."""

    def assess(self, image: np.ndarray, ppi: int, position: FingerPosition
               ) -> FingerAssessment: ...


class LibraryFingerQualityGate:
    """Quality from :func:`idcapture.biometrics.finger.quality.quality` under ``profile``.

    A failing image is a retry with the library's reasons (too dark, off-centre...).
    After ``max_attempts`` failures the last image may be kept by the operator
    (the session records that decision); this gate only judges.
    """

    def __init__(self, profile: str = "default") -> None:
        self.profile = profile

    def assess(self, image: np.ndarray, ppi: int, position: FingerPosition
               ) -> FingerAssessment:
        try:
            from ..biometrics.finger import analyse, assess
        except ImportError as exc:  # pragma: no cover - the module ships with the package
            return FingerAssessment(Check(
                "finger-quality", CheckOutcome.NOT_CHECKED,
                N_("finger quality assessment is not available: {error}").format(
                    error=exc.__class__.__name__),
                utcnow()))
        an = analyse(image, ppi)
        q = assess(an, profile=self.profile)
        report = q.to_report()
        name = position.slug
        if not q.passed:
            reason = q.reasons[0] if q.reasons else RetryReason.LOW_QUALITY
            return FingerAssessment(
                Check("finger-quality", CheckOutcome.FAILED,
                      N_("{position}: quality {score} below profile {profile}").format(
                          position=name, score=q.score, profile=repr(report.profile)), utcnow(),
                      {"position": name, "score": q.score}),
                report, RetryOutcome(reason, N_("{position}: {reason} (quality {score})").format(
                    position=name, reason=reason.value.replace("-", " "), score=q.score),
                    {"score": float(q.score)}),
                analysis=an)
        return FingerAssessment(
            Check("finger-quality", CheckOutcome.PASSED,
                  N_("{position}: quality {score} meets profile {profile}").format(
                      position=name, score=q.score, profile=repr(report.profile)), utcnow(),
                  {"position": name, "score": q.score}), report, analysis=an)


def finger_template_of(image: np.ndarray, ppi: int, position: FingerPosition,
                       analysis: Any = None) -> FingerTemplate | None:
    """The minutiae template of a kept finger image, or ``None`` when none can be made.

    The session stores it beside the image as an ISO/IEC 19794-2 record, so duplicate
    checks and ``idcapture finger dedup`` can use it without extracting it again. An
    image kept below the quality profile may give no template (no minutiae found); the
    record then holds the image only. ``analysis``: the quality gate's
    :class:`~idcapture.biometrics.finger.FingerAnalysis` of the same image at the same
    ``ppi``, reused instead of analysing the image again (the template is the same as
    :func:`~idcapture.biometrics.finger.extract` gives).
    """
    try:
        from ..biometrics.finger import extract, extract_analysed

        if analysis is None:
            tpl = extract(image, ppi, position=position)
        else:
            tpl = extract_analysed(image, analysis, position=position)
    except (IdCaptureError, ValueError) as exc:
        log.info("no template for the %s: %s", position.slug, exc.__class__.__name__)
        return None
    if not tpl.minutiae:
        log.info("no template for the %s: no minutiae found", position.slug)
        return None
    return tpl


class DuplicateChecker(Protocol):
    """Is this finger image already enrolled? Returns the ``finger-duplicate`` check."""

    def check(self, store: Store, id_number: str, position: FingerPosition,
              image: np.ndarray, image_sha256: str,
              this_session: dict[int, str]) -> Check: ...


@runtime_checkable
class TemplateDuplicateChecker(DuplicateChecker, Protocol):
    """A duplicate checker that compares minutiae templates: the session hands it the
    template it stores with the record, so the image is not extracted twice."""

    def check_template(self, store: Store, id_number: str, position: FingerPosition,
                       probe: Any, image_sha256: str,
                       this_session: dict[int, str]) -> Check: ...


class ExactImageDuplicateChecker:
    """Duplicate check by exact image hash (for stations that cannot run the comparator).

    It finds the very same image enrolled for another student or for the other finger
    of this student (``this_session`` maps position codes to image hashes already
    taken in the session). It cannot see a second impression of the same finger, and
    its passing check says so (``details["method"] = "exact-image-hash"``).
    """

    method = "exact-image-hash"

    def check(self, store: Store, id_number: str, position: FingerPosition,
              image: np.ndarray, image_sha256: str,
              this_session: dict[int, str]) -> Check:
        for pos_code, sha in this_session.items():
            if pos_code != int(position) and sha == image_sha256:
                other = FingerPosition(pos_code).slug
                return Check("finger-duplicate", CheckOutcome.FAILED,
                             N_("{position} is the same image as this student's {other}"
                                ).format(position=position.slug, other=other),
                             utcnow(), {"method": self.method, "position": position.slug,
                                        "same_as": other})
        for owner, pos_code, record_id in store.finger_owners(image_sha256):
            if owner == id_number and pos_code == int(position):
                continue
            return Check("finger-duplicate", CheckOutcome.FAILED,
                         N_("{position} is the same image as a finger already enrolled "
                            "({other} of record {record})").format(
                             position=position.slug, other=FingerPosition(pos_code).slug,
                             record=record_id[:8]),
                         utcnow(), {"method": self.method, "position": position.slug},
                         related_record=record_id)
        return Check("finger-duplicate", CheckOutcome.PASSED,
                     N_("{position}: no identical image enrolled (exact-image check only; "
                        "a second impression of an enrolled finger is not detected)").format(
                         position=position.slug), utcnow(),
                     {"method": self.method, "position": position.slug})


# --------------------------------------------------------------------------- face


@dataclass
class PortraitResult:
    """A portrait made from a frame, or the instruction to give (``retry``)."""

    jpeg: bytes = b""
    width_px: int = 0
    height_px: int = 0
    profile: str = ""
    crop: CropBox | None = None
    quality: QualityReport | None = None
    check: Check | None = None
    retry: RetryOutcome | None = None
    #: the portrait's BGR pixels, kept for the card comparison (not stored)
    image: np.ndarray | None = field(default=None, repr=False)
    landmarks: Any = field(default=None, repr=False)


class PortraitMaker(Protocol):
    """Turn a BGR frame into the standard portrait, or say what the student should do."""

    def make(self, frame: np.ndarray) -> PortraitResult: ...

    def manual(self, frame: np.ndarray) -> PortraitResult:
        """The portrait framed by the operator when automatic framing is not possible."""
        ...


class LibraryPortraitMaker:
    """Portrait through :mod:`idcapture.biometrics.face` (detection, quality, crop).

    :meth:`manual` makes a centre crop of the profile's size when the operator decides
    to frame by hand (the face detector finds no face); its ``face-quality`` check is a
    WARNING saying the portrait was not assessed automatically.
    """

    def __init__(self, profile: str = "exam-480x640", min_face_px: float = 120.0) -> None:
        self.profile = profile
        self.min_face_px = min_face_px

    def _size(self) -> tuple[int, int]:
        try:
            from ..biometrics.face import get_profile

            p = get_profile(self.profile)
            return int(p.width_px), int(p.height_px)
        except (ImportError, IdCaptureError, KeyError, ValueError):
            return 480, 640

    def make(self, frame: np.ndarray) -> PortraitResult:
        try:
            from ..biometrics.face import analyze_face, assess_quality, make_portrait
        except ImportError as exc:  # pragma: no cover
            return PortraitResult(retry=RetryOutcome(
                RetryReason.OTHER, f"face analysis unavailable ({exc.__class__.__name__}); "
                "frame the portrait by hand"))
        try:
            analysis = analyze_face(frame, min_face_px=self.min_face_px)
        except IdCaptureError as exc:  # models missing, bad frame
            return PortraitResult(retry=RetryOutcome(RetryReason.OTHER, str(exc)))
        if not analysis.found or analysis.landmarks is None:
            return PortraitResult(retry=RetryOutcome(RetryReason.NO_FACE,
                                                     N_("no face found in the frame")))
        fq = assess_quality(frame, analysis, self.profile)
        if not fq.passed:
            reason = fq.advice[0].reason if fq.advice else RetryReason.OTHER
            return PortraitResult(quality=fq.report, retry=RetryOutcome(
                reason, reason.value.replace("-", " ")))
        try:
            p = make_portrait(frame, analysis.landmarks, self.profile)
        except RetryNeeded as exc:
            return PortraitResult(quality=fq.report, retry=exc.outcome)
        h, w = p.image.shape[:2]
        return PortraitResult(
            p.jpeg, w, h, p.profile, p.crop, fq.report,
            Check("face-quality", CheckOutcome.PASSED,
                  N_("portrait quality {score} meets profile {profile}").format(
                      score=f"{fq.report.score:.0f}", profile=repr(p.profile)),
                  utcnow(), {"score": fq.report.score}),
            image=p.image, landmarks=analysis.landmarks)

    def manual(self, frame: np.ndarray) -> PortraitResult:
        import cv2

        w, h = self._size()
        fh, fw = frame.shape[:2]
        scale = min(fw / w, fh / h)
        cw, ch = int(w * scale), int(h * scale)
        x0, y0 = (fw - cw) // 2, (fh - ch) // 2
        out = cv2.resize(frame[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_AREA)
        return PortraitResult(
            encode_jpeg(out[:, :, ::-1]), w, h, self.profile, CropBox(x0, y0, cw, ch, w, h), None,
            Check("face-quality", CheckOutcome.WARNING,
                  N_("portrait framed by the operator: the face detector found no face, so "
                     "quality was not assessed automatically"), utcnow(), {"method": "manual"}),
            image=out)


class FaceCardComparer(Protocol):
    """Compare the portrait with the card photo; returns the ``face-vs-card`` check."""

    def compare(self, portrait: PortraitResult, card_photo: bytes | None,
                card_photo_media: str) -> Check: ...


class LibraryFaceCardComparer:
    """1:1 comparison through :func:`idcapture.biometrics.face.compare_faces`."""

    def compare(self, portrait: PortraitResult, card_photo: bytes | None,
                card_photo_media: str) -> Check:
        name = "face-vs-card"
        if card_photo is None:
            return Check(name, CheckOutcome.NOT_CHECKED,
                         N_("the card gave no decoded photo to compare with"), utcnow())
        if portrait.image is None:
            return Check(name, CheckOutcome.NOT_CHECKED, N_("no portrait pixels to compare"),
                         utcnow())
        try:
            from ..biometrics.face import compare_faces, face_vs_card_check
        except ImportError as exc:  # pragma: no cover
            return Check(name, CheckOutcome.NOT_CHECKED,
                         N_("face comparison unavailable ({error})").format(
                             error=exc.__class__.__name__), utcnow())
        from ..formats.images import ImageError, load_image

        try:
            card = load_image(card_photo, "RGB", bgr=True)
        except ImageError:
            card = None
        if card is None:
            return Check(name, CheckOutcome.NOT_CHECKED,
                         N_("card photo ({media}) could not be decoded").format(
                             media=card_photo_media), utcnow())
        try:
            match = compare_faces(portrait.image, card)
        except IdCaptureError as exc:
            return face_vs_card_check(None, error=N_("not compared: {error}").format(error=exc))
        return face_vs_card_check(match)


@dataclass
class Steps:
    """The set of pluggable steps a session uses."""

    finger_quality: FingerQualityGate = field(default_factory=LibraryFingerQualityGate)
    duplicates: DuplicateChecker = field(default_factory=MinutiaeDuplicateChecker)
    portrait: PortraitMaker = field(default_factory=LibraryPortraitMaker)
    face_vs_card: FaceCardComparer = field(default_factory=LibraryFaceCardComparer)
    #: the live thumb against the card's fingerprint templates (``None``: not checked)
    card_fingerprint: CardFingerprintChecker | None = None
