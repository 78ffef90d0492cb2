"""The reference web frontend of a capture station (``idcapture station serve``).

It is also the worked example of embedding idcapture in a frontend: everything it
does goes through the library's public surface — the station's
:class:`~idcapture.station.session.CaptureSession` state machine, the device registry
(:func:`idcapture.open`), :class:`~idcapture.record.CaptureRecord`, the check and export
functions — wrapped by :class:`~idcapture.web.runtime.StationRuntime`.

Needs the ``web`` extra (Starlette, uvicorn, Jinja2, python-multipart, websockets).
"""

from __future__ import annotations

from .app import WebConfig, create_app
from .runtime import StationRuntime, WebError
from .security import Authenticator, operator_entry

__all__ = ["Authenticator", "StationRuntime", "WebConfig", "WebError", "create_app",
           "operator_entry"]
