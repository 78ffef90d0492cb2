"""The check report: records with failed or missing checks, and who is not captured yet.

A record *passes* when every required part is present (portrait, both thumbs) and no
check has FAILED. Problems are graded:

* ``blocking`` — a FAILED check (quality below profile, face does not match the card,
  duplicate finger, expired card, invalid ID number) or a missing part or check;
  such a record is left out of an export unless the operator forces it;
* ``attention`` — a WARNING, an operator OVERRIDE (card/roster mismatch accepted) or a
  check that could NOT be run (with its reason); exported, but listed.

With ``strict=True`` attention items block too.

The report also lists, for the operator's day summary, the cards refused at the reader
(not on the roster, not registered, captured already... from the audit log) and the
fingers that needed more than one attempt; neither is a problem of a saved record. Where
the station runs the ``card-fingerprint`` check (the thumb against the card's templates),
it counts its outcomes over the saved records (``not-applicable`` for the cards that
carry no usable fingerprint).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_
from ..privacy import mask_id_number
from .store import Store

__all__ = ["REQUIRED_CHECKS", "CheckReport", "Problem", "RecordStatusLine",
           "absent_students", "check_station", "record_problems"]

#: checks every saved record must carry
REQUIRED_CHECKS: tuple[str, ...] = (
    "id-number", "card-validity", "card-vs-roster", "face-vs-card",
    "finger-quality:right-thumb", "finger-quality:left-thumb",
    "finger-duplicate:right-thumb", "finger-duplicate:left-thumb",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record (``check`` names the check or the missing part)."""

    check: str
    outcome: str
    message: str
    blocking: bool


def record_problems(body: Mapping[str, Any], strict: bool = False) -> list[Problem]:
    """The problems of one record, from its JSON object (see the module docstring)."""
    out: list[Problem] = []
    if not body.get("portrait"):
        out.append(Problem("portrait", "missing", N_("no portrait"), True))
    positions = {f.get("position") for f in body.get("fingers", [])}
    for pos in ("right-thumb", "left-thumb"):
        if pos not in positions:
            out.append(Problem(pos, "missing", N_("no {position} image").format(position=pos),
                               True))
    checks = {c["name"]: c for c in body.get("checks", [])}
    for name in REQUIRED_CHECKS:
        if name not in checks:
            out.append(Problem(name, "missing", N_("check was not run"), True))
    for name, c in checks.items():
        outcome = c.get("outcome", "")
        if outcome == "failed":
            out.append(Problem(name, outcome, c.get("message", ""), True))
        elif outcome in ("warning", "overridden", "not-checked"):
            out.append(Problem(name, outcome, c.get("message", ""), strict))
    return out


@dataclass
class RecordStatusLine:
    """A record in the check report (identifiers masked)."""

    registration_number: str
    id_number_masked: str
    school_code: str
    class_name: str
    record_id: str
    version: int
    problems: list[Problem]

    @property
    def blocking(self) -> bool:
        return any(p.blocking for p in self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {"registration_number": self.registration_number,
                "id_number": self.id_number_masked, "school_code": self.school_code,
                "class_name": self.class_name, "record_id": self.record_id,
                "version": self.version, "blocking": self.blocking,
                "problems": [p.__dict__ for p in self.problems]}


@dataclass
class CheckReport:
    """What ``idcapture station check`` prints."""

    records: int = 0
    passed: int = 0
    with_problems: list[RecordStatusLine] = field(default_factory=list)
    not_captured: list[dict[str, str]] = field(default_factory=list)
    not_registered: int = 0
    #: cards refused at the reader: at, id_number (masked), code, message
    refused: list[dict[str, str]] = field(default_factory=list)
    #: fingers kept after more than one attempt: registration_number, id_number
    #: (masked), step, attempts
    retried: list[dict[str, Any]] = field(default_factory=list)
    #: outcomes of the ``card-fingerprint`` check over the saved records that carry it
    card_fingerprint: dict[str, int] = field(default_factory=dict)

    @property
    def blocked(self) -> int:
        return sum(1 for r in self.with_problems if r.blocking)

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "passed": self.passed, "blocked": self.blocked,
                "with_problems": [r.as_dict() for r in self.with_problems],
                "not_captured": self.not_captured, "not_registered": self.not_registered,
                "refused": self.refused, "retried": self.retried,
                "card_fingerprint": self.card_fingerprint}

    def lines(self, verbose: bool = False) -> Iterator[str]:
        """The report as text lines for a terminal.

        Blocked records are always listed with their problems; records that only need
        attention are counted by check unless ``verbose``.
        """
        yield N_("{records} records: {passed} pass every check, {blocked} blocked, "
                 "{attention} need attention").format(
            records=self.records, passed=self.passed, blocked=self.blocked,
            attention=len(self.with_problems) - self.blocked)
        counts: dict[tuple[str, str], int] = {}
        for r in self.with_problems:
            if r.blocking or verbose:
                line = N_("  [BLOCKED] {registration} {id_number} ({class_name})") \
                    if r.blocking else \
                    N_("  [attention] {registration} {id_number} ({class_name})")
                yield line.format(registration=r.registration_number,
                                  id_number=r.id_number_masked, class_name=r.class_name)
                for p in r.problems:
                    if p.blocking or verbose:
                        yield N_("      {check}: {outcome} - {message}").format(
                            check=p.check, outcome=p.outcome, message=p.message)
            for p in r.problems:
                if not p.blocking:
                    key = (p.check, str(p.outcome))
                    counts[key] = counts.get(key, 0) + 1
        if counts and not verbose:
            yield N_("  attention: {counts}").format(
                counts=", ".join(N_("{check} {outcome} ({count})").format(
                    check=c, outcome=o, count=n) for (c, o), n in sorted(counts.items())))
        yield N_("{absent} registered students not captured yet (make-up list); "
                 "{unregistered} on the roster not registered").format(
            absent=len(self.not_captured), unregistered=self.not_registered)
        for s in self.not_captured:
            yield f"  {s['registration_number']} {s['id_number']} {s['class_name']}"
        if self.refused:
            n = len(self.refused)
            yield (N_("{count} cards refused at the reader") if n != 1 else
                   N_("{count} card refused at the reader")).format(count=n)
            for ref in self.refused:
                yield f"  [refused] {ref['id_number']} {ref['code']}"
        if self.card_fingerprint:
            yield N_("card-fingerprint check: {counts}").format(counts=", ".join(
                f"{n} {k}" for k, n in sorted(self.card_fingerprint.items())))
        if self.retried:
            n = len(self.retried)
            yield (N_("{count} fingers needed more than one attempt") if n != 1 else
                   N_("{count} finger needed more than one attempt")).format(count=n)
            for ret in self.retried:
                yield N_("  [retried] {registration} {id_number} {step}: {attempts} attempts"
                         ).format(registration=ret["registration_number"],
                                  id_number=ret["id_number"], step=ret["step"],
                                  attempts=ret["attempts"])


def absent_students(store: Store) -> list[dict[str, str]]:
    """Registered students with no saved record (masked): the make-up list."""
    return [{"registration_number": r.registration_number,
             "id_number": mask_id_number(r.id_number), "school_code": r.school_code,
             "class_name": r.class_name} for r in store.uncaptured_students()]


def check_station(store: Store, strict: bool = False) -> CheckReport:
    """Check every current record and list the students not yet captured."""
    report = CheckReport()
    classes = {k: (st["school_code"], st["class_name"]) for k, st in store.students().items()}
    for rec in store.current_records():
        report.records += 1
        for f in rec.body.get("fingers", []):
            attempts = int(f.get("attempts", 1))
            if attempts > 1:
                report.retried.append({
                    "registration_number": rec.registration_number,
                    "id_number": mask_id_number(rec.id_number),
                    "step": str(f.get("position", "")), "attempts": attempts})
        for c in rec.body.get("checks", []):
            if c.get("name") == "card-fingerprint":
                key = ("not-applicable" if c.get("details", {}).get("applicable") is False
                       else str(c.get("outcome", "")))
                report.card_fingerprint[key] = report.card_fingerprint.get(key, 0) + 1
        problems = record_problems(rec.body, strict)
        if not problems:
            report.passed += 1
            continue
        school, cls = classes.get(rec.id_number, ("", ""))
        report.with_problems.append(RecordStatusLine(
            rec.registration_number, mask_id_number(rec.id_number), school, cls,
            rec.record_id, rec.version, problems))
    report.not_captured = absent_students(store)
    for entry in store.audit_log("capture-refused"):
        code, _, message = entry.detail.partition(": ")
        report.refused.append({"at": entry.at, "id_number": entry.subject, "code": code,
                               "message": message})
    report.not_registered = store.count_unregistered()
    return report
