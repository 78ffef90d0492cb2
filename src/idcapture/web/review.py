"""The province's review pages: each cluster's evidence side by side, and the decision.

``idcapture province review --registry DIR`` serves them on the loopback interface with
the station frontend's protections (:class:`~.app.Guard`: access token printed at start,
session cookie, CSRF token and origin check on every change, strict content-security
policy, Host allow-list, body limits). A reviewer logs in with the token and their name;
every decision is recorded under that name in the registry's audit log
(:meth:`~idcapture.province.registry.Registry.record_decision`).

Routes: ``/`` the clusters and their state, ``/cluster/{cid}`` one cluster (portraits
and both thumbs of every record, thumb and fused scores, the decision form),
``/image/{rid}/{kind}`` an image read from the archived package, ``POST /api/decision``
record a decision, ``/decisions.xlsx`` the decisions for the schools.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..errors import IdCaptureError
from ..i18n import N_
from ..privacy import describe_error
from ..province.archive import PackageImages
from ..province.registry import DECISIONS, Registry
from ..province.review import (
    IMAGE_KINDS,
    cluster_view,
    display_kinds,
    export_decisions,
    image_member,
)
from . import i18n
from .app import HERE, Guard, logout_endpoint, set_language
from .responses import refusal
from .security import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    Authenticator,
    LoginThrottle,
    WebSession,
    csrf_ok,
    read_json_object,
)

__all__ = ["ReviewConfig", "create_review_app"]

log = logging.getLogger("idcapture.web.review")
#: longest note a reviewer may attach to a decision
MAX_NOTE = 500


@dataclass
class ReviewConfig:
    """How the review server runs: the registry folder, the passphrase of encrypted
    packages (to show their images), the page language and extra Host names."""

    registry: Path
    passphrase: str | None = None
    token: str | None = None
    language: str = i18n.DEFAULT_LANGUAGE
    hosts: tuple[str, ...] = ()


_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
          (b"BM", "image/bmp"))


def _browser_image(data: bytes) -> tuple[bytes, str] | None:
    """``data`` as an image a browser shows: JPEG, PNG and BMP as they are, anything
    the library decodes (WSQ, JPEG 2000) as PNG; ``None`` when it is no image."""
    for magic, media in _MAGIC:
        if data.startswith(magic):
            return data, media
    from ..formats.images import decode_image, encode_png

    try:
        return encode_png(decode_image(data, "L")), "image/png"
    except (IdCaptureError, ValueError, OSError):
        return None


class _Province:
    """The registry and the archived images, used from one worker thread at a time."""

    def __init__(self, config: ReviewConfig) -> None:
        self.registry = Registry(config.registry, create=False)
        self.images = PackageImages(config.registry, config.passphrase)
        self.lock = threading.Lock()

    def close(self) -> None:
        self.images.close()
        self.registry.close()


def create_review_app(config: ReviewConfig, auth: Authenticator | None = None) -> Starlette:
    """The review application for ``config`` (``auth`` may be given, for tests)."""
    authn = auth or Authenticator(config.token)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    throttle = LoginThrottle()
    prov = _Province(config)

    def call(fn: Any, *args: Any) -> Any:
        with prov.lock:
            return fn(*args)

    def page(request: Request, name: str, **ctx: Any) -> Response:
        lang = request.cookies.get("idc_lang", config.language)
        lang = lang if lang in i18n.LANGUAGES else config.language
        sess: WebSession | None = request.state.web_session
        context = {"lang": lang, "t": lambda k: i18n.translate(k, lang),
                   "strings": json.dumps(i18n.table(lang), ensure_ascii=False),
                   "csrf": sess.csrf if sess else "", "operator": sess.operator if sess else "",
                   "page": name, **ctx}
        return templates.TemplateResponse(request, f"{name}.html", context)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            pre = secrets.token_urlsafe(24)
            resp = page(request, "review_login", pre=pre, failed=False)
            resp.set_cookie(PRELOGIN_COOKIE, pre, httponly=True, samesite="strict")
            return resp
        client = request.client.host if request.client else ""
        form = await request.form()
        name = " ".join(str(form.get("reviewer", "")).split())[:40]
        ok = (throttle.wait_s(client) <= 0
              and csrf_ok(request.cookies.get(PRELOGIN_COOKIE, ""), str(form.get("csrf", "")))
              and authn.token_ok(str(form.get("token", ""))) and bool(name))
        if not ok:
            throttle.failed(client)
            log.warning("review login refused")
            pre = secrets.token_urlsafe(24)
            resp = page(request, "review_login", pre=pre, failed=True)
            resp.status_code = 403
            resp.set_cookie(PRELOGIN_COOKIE, pre, httponly=True, samesite="strict")
            return resp
        throttle.succeeded(client)
        sess = authn.new_session(name)
        resp = RedirectResponse("/", 303)
        resp.set_cookie(SESSION_COOKIE, sess.sid, httponly=True, samesite="strict")
        resp.delete_cookie(PRELOGIN_COOKIE)
        return resp

    def _overview() -> list[dict[str, Any]]:
        out = []
        for c in prov.registry.clusters():
            d = prov.registry.decision_for(c["members"])
            fused = [e.get("fused") for e in c["evidence"] if e.get("fused") is not None]
            face = [e["face_score"] for e in c["evidence"] if "face_score" in e]
            out.append({"cluster": c["cluster"], "kinds": display_kinds(c["kinds"]),
                        "face": max(face) if face else None,
                        "size": len(c["members"]),
                        "stations": sorted({s for e in c["evidence"]
                                            for s in e.get("stations", [])}),
                        "fused": max(fused) if fused else None,
                        "decision": d.decision if d else "", "reviewer": d.reviewer if d else ""})
        return out

    async def overview(request: Request) -> Response:
        rows = await run_in_threadpool(call, _overview)
        todo = sum(1 for r in rows if not r["decision"])
        return page(request, "review_list", rows=rows, todo=todo)

    async def cluster(request: Request) -> Response:
        try:
            cid = int(request.path_params["cid"])
        except ValueError:
            return refusal(request, N_("no such cluster"), 404)
        view = await run_in_threadpool(call, cluster_view, prov.registry, cid)
        if view is None:
            return refusal(request, N_("no such cluster"), 404)
        log_rows = [d for d in await run_in_threadpool(call, prov.registry.decision_log)
                    if d.members == tuple(m.rid for m in view.members)]
        return page(request, "review_cluster", view=view, decisions=DECISIONS,
                    kinds=list(IMAGE_KINDS), history=log_rows)

    def _image(rid: int, kind: str) -> bytes | None:
        where = image_member(prov.registry, rid, kind)
        return None if where is None else prov.images.read(*where)

    async def image(request: Request) -> Response:
        kind = request.path_params["kind"]
        try:
            rid = int(request.path_params["rid"])
            data = await run_in_threadpool(call, _image, rid, kind)
        except (ValueError, IdCaptureError):
            data = None
        shown = None if data is None else await run_in_threadpool(_browser_image, data)
        if shown is None:
            return refusal(request, N_("no such image"), 404)
        return Response(shown[0], media_type=shown[1])

    async def decide(request: Request) -> Response:
        data = await read_json_object(request)
        sess: WebSession | None = request.state.web_session
        reviewer = sess.operator if sess and sess.operator else "api"
        members = data.get("members")
        if not (isinstance(members, list) and all(isinstance(m, int) for m in members)
                and 2 <= len(members) <= 1000):
            return refusal(request, N_("members: a list of two or more record numbers"), 400)
        note = str(data.get("note", ""))[:MAX_NOTE]
        try:
            d = await run_in_threadpool(call, prov.registry.record_decision, members,
                                        str(data.get("decision", ""))[:40], note, reviewer)
        except IdCaptureError as exc:
            return refusal(request, describe_error(exc), 409)
        log.info("decision recorded: %s on %d records", d.decision, len(d.members))
        return JSONResponse({"ok": True, "decision": d.decision, "reviewer": d.reviewer,
                             "decided_at": d.decided_at})

    async def decisions_xlsx(_request: Request) -> Response:
        import os
        import tempfile

        fd, name = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        try:
            await run_in_threadpool(call, export_decisions, prov.registry, name)
            data = Path(name).read_bytes()
        finally:
            os.unlink(name)
        return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet",
                        headers={"content-disposition":
                                 'attachment; filename="decisions.xlsx"'})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await run_in_threadpool(call, prov.close)

    routes: list[Any] = [
        Route("/", overview),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout_endpoint(authn), methods=["POST"]),
        Route("/lang", set_language, methods=["POST"]),
        Route("/cluster/{cid}", cluster),
        Route("/image/{rid}/{kind}", image),
        Route("/api/decision", decide, methods=["POST"]),
        Route("/decisions.xlsx", decisions_xlsx),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.auth = authn
    app.state.config = config
    app.add_middleware(Guard, auth=authn, hosts=config.hosts, language=config.language)
    return app
