"""Refusals in the page's language, shared by the station frontend, the review pages and
the simulator controls: ``{"error": ...}`` replies whose message comes from the
``idcapture`` catalogue (:mod:`idcapture.i18n`), in the language of the ``idc_lang``
cookie, else the application's configured default."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from . import i18n

__all__ = ["page_language", "refusal"]


def page_language(request: Request, default: str) -> str:
    """The language of the request's page (its cookie), else ``default``."""
    lang = request.cookies.get("idc_lang", default)
    return lang if lang in i18n.LANGUAGES else default


def refusal(request: Request, message: str, status: int, **extra: Any) -> JSONResponse:
    """``{"error": message, **extra}`` with ``message`` (an English catalogue text) in the
    page's language."""
    config = request.app.state.config
    return JSONResponse({"error": i18n.message(message, page_language(request,
                                                                      config.language)),
                         **extra}, status)
