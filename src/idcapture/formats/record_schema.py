"""The CaptureRecord JSON Schema and the migrations between schema versions.

The schema of the current version ships in the package (``schema/capture-record-v1.json``,
also in ``docs/schema/``). A record of an older major version is lifted by functions
registered with :func:`register_migration`; a newer major version is refused with
:class:`~idcapture.errors.SchemaVersionError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, cast

from ..errors import RecordError, SchemaVersionError
from ..record import SCHEMA_MAJOR, SCHEMA_VERSION

__all__ = ["json_schema", "migrate", "register_migration", "schema_version",
           "validate_schema"]

JSONValue = Any

_Migration = Callable[[dict[str, JSONValue]], dict[str, JSONValue]]
_MIGRATIONS: dict[int, _Migration] = {}


def register_migration(from_major: int) -> Callable[[_Migration], _Migration]:
    """Register a function that lifts a record dict from ``from_major`` to the next major.

    Migrations are chained on load until the record reaches :data:`SCHEMA_MAJOR`.
    """
    if from_major >= SCHEMA_MAJOR:
        raise ValueError("migrations lift older majors only")

    def deco(fn: _Migration) -> _Migration:
        _MIGRATIONS[from_major] = fn
        return fn

    return deco


def json_schema() -> dict[str, JSONValue]:
    """The JSON Schema of the current record version (shipped in the package)."""
    text = resources.files("idcapture").joinpath(
        f"schema/capture-record-v{SCHEMA_MAJOR}.json").read_text("utf-8")
    return cast(dict[str, JSONValue], json.loads(text))


_validator: Any = None


def validate_schema(d: Mapping[str, JSONValue]) -> None:
    """Check ``d`` against the schema; :class:`RecordError` names the first bad field."""
    global _validator
    if _validator is None:
        import jsonschema

        schema = json_schema()
        cls = jsonschema.validators.validator_for(schema)
        _validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(_validator.iter_errors(d), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = ".".join(str(p) for p in err.absolute_path) or "(record)"
        msg = err.message
        if len(msg) > 200:
            msg = msg[:200] + "..."
        if err.validator in ("type", "enum", "pattern", "format", "minimum", "maximum",
                             "const", "maxLength", "minLength"):
            # these messages quote the instance value, which may be personal data
            msg = f"fails '{err.validator}' rule of the schema"
        raise RecordError(msg, path)


def schema_version(d: Mapping[str, JSONValue]) -> tuple[int, int]:
    """(major, minor) of the ``schema_version`` field of ``d``."""
    v = d.get("schema_version")
    if not isinstance(v, str) or not re.fullmatch(r"\d+\.\d+", v):
        raise RecordError("missing or malformed schema version (expected 'MAJOR.MINOR')",
                          "schema_version")
    major, minor = v.split(".")
    return int(major), int(minor)


def migrate(d: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
    """``d`` lifted to the current major version by the registered migrations.

    Raises :class:`SchemaVersionError` for a newer major version or a missing migration.
    """
    major, _minor = schema_version(d)
    if major > SCHEMA_MAJOR:
        raise SchemaVersionError(
            f"record schema version {d['schema_version']} is newer than this library "
            f"supports ({SCHEMA_VERSION}); upgrade idcapture to read it", "schema_version")
    data = dict(d)
    while major < SCHEMA_MAJOR:
        mig = _MIGRATIONS.get(major)
        if mig is None:
            raise SchemaVersionError(
                f"no migration from schema major {major} to {major + 1}", "schema_version")
        data = mig(data)
        major, _minor = schema_version(data)
    return data
