"""The ``card-fingerprint`` check: the live finger against the templates on the ID card.

A second-generation ID card usually carries two 512-byte fingerprint records (GA/T 1012,
:mod:`idcapture.drivers.idfpr.record`), typically of the thumbs. With a fingerprint
algorithm configured (a ``finger_algorithm`` device such as ``idfpr:``),
:class:`CardFingerprintChecker` matches each captured finger whose finger code is on the
card against that record, as verification terminals do (人证指纹比对):

* the card carries no fingerprint block, or only records that are not usable (not
  ``0x43``, enrolment failed or not enrolled): NOT_CHECKED, ``applicable: false`` and the
  reason;
* the card's usable records are for fingers that were not captured: NOT_CHECKED, and the
  message says which finger to present (``present`` in the details);
* an impression reaches the threshold: PASSED with the similarity and the attempts;
* none does: FAILED. While fewer than ``attempts`` impressions were tried, the details
  say ``retry: true`` (ask for another impression); after that an operator decides:
  ``operator="accept"`` records OVERRIDDEN with the operator's note, ``"reject"`` (or no
  decision yet: ``operator_decision_needed: true``) FAILED.

The threshold is the algorithm's (``threshold`` address option, 0.40 by default for
``idfpr``; see docs/drivers/idfpr.md) unless given here. Images must be at 500 ppi; they
are centre-cropped or padded to the 256 x 360 window of ID-card scanners.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..devices.finger_algorithm import FingerAlgorithm, fit_window
from ..drivers.idfpr.record import FingerRecord, finger_code, split_block
from ..errors import IdCaptureError, RecordError, RetryNeeded
from ..i18n import N_
from ..record import CaptureRecord, Check, CheckOutcome, FingerPosition, utcnow

if TYPE_CHECKING:
    from .store import Store

__all__ = ["NAME", "CardFingerprintChecker", "CardFingerprintStep", "CardFingers",
           "card_block_of", "card_fingers", "open_checker", "station_checker"]

NAME = "card-fingerprint"


@dataclass(frozen=True)
class CardFingers:
    """The records of a card's fingerprint block, split by whether they can be matched."""

    usable: tuple[FingerRecord, ...]
    unusable: tuple[FingerRecord, ...]
    reason: str = ""

    @property
    def positions(self) -> list[FingerPosition]:
        return [r.position for r in self.usable]


def card_fingers(block: bytes | None) -> CardFingers:
    """Which of the card's records can be matched, and why not when none can."""
    if not block:
        return CardFingers((), (), N_("the card carries no fingerprints"))
    try:
        records = split_block(block)
    except IdCaptureError as exc:
        return CardFingers((), (), f"the card's fingerprint block is unreadable: {exc}")
    usable = tuple(r for r in records if r.usable)
    unusable = tuple(r for r in records if not r.usable)
    reason = "" if usable else ("the card's fingerprint records cannot be matched: "
                                + "; ".join(r.problem() for r in unusable))
    return CardFingers(usable, unusable, reason)


def _slug(positions: Sequence[FingerPosition]) -> str:
    return " or ".join(p.slug.replace("-", " ") for p in positions)


class CardFingerprintChecker:
    """Matches captured fingers against the card's records with ``algorithm``."""

    name = NAME

    def __init__(self, algorithm: FingerAlgorithm, threshold: float | None = None,
                 attempts: int = 3) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.algorithm = algorithm
        self.threshold = float(threshold if threshold is not None else
                               getattr(algorithm, "threshold", algorithm.default_threshold))
        self.attempts = attempts

    def _similarity(self, image: np.ndarray, record: FingerRecord) -> float | None:
        try:
            live = self.algorithm.extract(fit_window(image, self.algorithm.image_shape),
                                          finger_code(record.position))
        except RetryNeeded:
            return None
        return self.algorithm.match(live, record.data)

    def check(self, block: bytes | None,
              captures: Mapping[FingerPosition, Sequence[np.ndarray]],
              operator: str | None = None, operator_note: str = "") -> Check:
        """The check over every impression captured so far, per finger position.

        ``captures`` maps a position to its impressions in order (500 ppi grey images);
        ``operator`` is ``"accept"`` or ``"reject"`` once an operator has decided.
        """
        card = card_fingers(block)
        now = utcnow()
        if not card.usable:
            return Check(NAME, CheckOutcome.NOT_CHECKED,
                         N_("not applicable: {reason}").format(reason=card.reason),
                         now, {"applicable": False, "reason": card.reason})
        wanted = [r for r in card.usable if captures.get(r.position)]
        if not wanted:
            return Check(NAME, CheckOutcome.NOT_CHECKED,
                         N_("present the {fingers}: the card holds templates of no finger "
                            "captured").format(fingers=_slug(card.positions)), now,
                         {"applicable": True, "present": [p.slug for p in card.positions]})
        best, tried = 0.0, 0
        best_finger = wanted[0]
        for record in wanted:
            for image in list(captures[record.position])[:self.attempts]:
                tried += 1
                sim = self._similarity(image, record)
                if sim is not None and sim > best:
                    best, best_finger = sim, record
                if sim is not None and sim >= self.threshold:
                    return Check(NAME, CheckOutcome.PASSED,
                                 N_("{finger} matches the card").format(
                                     finger=record.finger_name), now,
                                 {"similarity": round(sim, 4), "threshold": self.threshold,
                                  "finger_code": record.finger_code, "attempts": tried})
        details: dict[str, object] = {
            "similarity": round(best, 4), "threshold": self.threshold,
            "finger_code": best_finger.finger_code, "attempts": tried}
        most = max(len(captures[r.position]) for r in wanted)
        if most < self.attempts:
            details["retry"] = True
            return Check(NAME, CheckOutcome.FAILED,
                         N_("the {finger} does not match the card (similarity below the "
                            "threshold): take another impression").format(
                             finger=best_finger.finger_name),
                         now, details)
        if operator == "accept":
            details["operator_decision"] = "accept"
            return Check(NAME, CheckOutcome.OVERRIDDEN,
                         (N_("accepted by the operator after {count} impressions: {note}")
                          if operator_note else
                          N_("accepted by the operator after {count} impressions")).format(
                             count=tried, note=operator_note), now,
                         details)
        if operator == "reject":
            details["operator_decision"] = "reject"
        else:
            details["operator_decision_needed"] = True
        return Check(NAME, CheckOutcome.FAILED,
                     (N_("the {finger} does not match the card after {count} impressions")
                      if operator else
                      N_("the {finger} does not match the card after {count} impressions: "
                         "the operator must decide")).format(
                         finger=best_finger.finger_name, count=tried),
                     now, details)


def card_block_of(record: CaptureRecord) -> bytes | None:
    """The card's fingerprint block as the reader kept it in ``record`` (``None`` when the
    card was read without it)."""
    ident = record.identity
    ref = ident.raw_blocks.get("fingerprint") if ident is not None else None
    if ref is None:
        return None
    try:
        return record.blob(ref)
    except RecordError:
        return None


class CardFingerprintStep:
    """The check within one capture session: keeps every impression per finger.

    A session calls :meth:`on_finger` for each finger it accepts and stores the returned
    check in the record (it replaces the previous one); when the check's details say
    ``retry``, it asks for another impression of the same finger. After the attempts, an
    operator's :meth:`decide` settles it.
    """

    def __init__(self, checker: CardFingerprintChecker) -> None:
        self.checker = checker
        self.tries: dict[FingerPosition, list[np.ndarray]] = {}
        self.decision: tuple[str, str] | None = None

    def on_finger(self, record: CaptureRecord, position: FingerPosition,
                  image: np.ndarray) -> Check:
        """Add one impression and return the record's ``card-fingerprint`` check."""
        self.tries.setdefault(position, []).append(np.asarray(image, np.uint8))
        return self.current(record)

    def decide(self, record: CaptureRecord, accept: bool, note: str = "") -> Check:
        """Record the operator's decision after the attempts ran out."""
        self.decision = ("accept" if accept else "reject", note)
        return self.current(record)

    def current(self, record: CaptureRecord) -> Check:
        operator, note = self.decision or (None, "")
        return self.checker.check(card_block_of(record), self.tries, operator, note)


def open_checker(address: str, threshold: float | None = None,
                 attempts: int = 3) -> CardFingerprintChecker:
    """A checker over the fingerprint algorithm at ``address`` (e.g. ``idfpr:``), opened
    through the registry; the caller closes ``checker.algorithm`` when done."""
    from ..devices.base import DeviceKind
    from ..errors import ConfigError
    from ..plugins import get_registry

    dev = get_registry().open(address, DeviceKind.FINGER_ALGORITHM)
    if not isinstance(dev, FingerAlgorithm):
        dev.close()
        raise ConfigError(N_("{address} does not open a fingerprint algorithm").format(
            address=repr(address)))
    return CardFingerprintChecker(dev, threshold, attempts)


def station_checker(store: Store, address: str | None = None
                    ) -> CardFingerprintChecker | None:
    """The station's checker: the algorithm at ``address``, else the one the station
    configuration names (``finger_algorithm``), with its ``card_fingerprint_attempts``;
    ``None`` when neither names one (or ``address`` is ``"none"``)."""
    from .registration import station_config

    cfg = station_config(store)
    chosen = cfg.finger_algorithm if address is None else address
    if not chosen or chosen == "none":
        return None
    return open_checker(chosen, attempts=cfg.card_fingerprint_attempts)
