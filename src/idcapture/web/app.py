"""The ASGI application (Starlette): pages, the JSON API and the live preview WebSocket.

Built only on the library's public surface: :class:`~.runtime.StationRuntime` (the
station session, the device registry, CaptureRecord) and the station's check and export
functions. See ``docs/integrators/web-frontend.md`` for the routes and the security model.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import IdCaptureError
from ..i18n import N_
from ..privacy import describe_error
from ..station import Store
from ..station.card_fingerprint import station_checker
from ..station.steps import Steps
from . import i18n
from .pages import ExportJob, check_rows, today_rows
from .responses import page_language, refusal
from .runtime import ROLES, StationRuntime
from .security import (
    HASH_SLOTS,
    MAX_BODY,
    PRELOGIN_COOKIE,
    SAFE_METHODS,
    SESSION_COOKIE,
    Authenticator,
    BadRequest,
    LoginThrottle,
    WebSession,
    content_security_policy,
    csrf_ok,
    host_allowed,
    read_json_object,
    same_origin,
    verify_operator_timed,
)

__all__ = ["WebConfig", "create_app"]

log = logging.getLogger("idcapture.web")
HERE = Path(__file__).parent
PUBLIC = ("/login", "/static/")
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass
class WebConfig:
    """How the frontend runs. ``sim_control`` enables the test-only simulator endpoints;
    ``hosts`` are the names (beyond the loopback ones) the server answers to."""

    store: Path
    addresses: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    sim_control: bool = False
    language: str = i18n.DEFAULT_LANGUAGE
    profile: str = "exam-480x640"
    hosts: tuple[str, ...] = ()
    #: fingerprint algorithm of the card-fingerprint check (``None``: the station's
    #: ``finger_algorithm`` setting; ``"none"``: no check)
    finger_algorithm: str | None = None


class Guard:
    """ASGI middleware: authentication, CSRF and origin checks, body size, security
    headers on every response, and a plain 500 (no traceback, nothing quoted) for an
    exception escaping a route."""

    def __init__(self, app: ASGIApp, auth: Authenticator, hosts: tuple[str, ...] = (),
                 language: str = i18n.DEFAULT_LANGUAGE) -> None:
        self.app = app
        self.auth = auth
        self.hosts = frozenset(h.lower() for h in hosts)
        self.language = language

    def _message(self, scope: Scope, text: str) -> str:
        """``text`` in the language of the request's page (its ``idc_lang`` cookie)."""
        lang = self.language
        for k, v in scope.get("headers", []):
            if k.lower() == b"cookie":
                for part in v.decode("latin-1").split(";"):
                    name, _, value = part.strip().partition("=")
                    if name == "idc_lang" and value in i18n.LANGUAGES:
                        lang = value
        return i18n.message(text, lang)

    def _session(self, scope: Scope) -> tuple[WebSession | None, bool]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        bearer = self.auth.bearer_ok(headers.get("authorization"))
        sid = None
        for part in headers.get("cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == SESSION_COOKIE:
                sid = v
        sess = self.auth.session(sid)
        if sess is None and bearer:
            return WebSession("", "", "api"), True
        return sess, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        path: str = scope.get("path", "")
        if not host_allowed(host, self.hosts):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4400})
            else:
                await JSONResponse({"error": self._message(scope, N_("unknown Host"))}, 400)(
                    scope, receive, self._headers(send))
            return
        sess, bearer = self._session(scope)
        scope.setdefault("state", {})
        scope["state"]["web_session"] = sess
        if scope["type"] == "websocket":
            if sess is None or not same_origin(headers, scheme, host):
                await send({"type": "websocket.close", "code": 4403})
                return
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        public = path == "/login" or path.startswith("/static/")

        async def deny(status: int, message: str) -> None:
            resp: Response
            if status == 401 and method == "GET" and "text/html" in headers.get("accept", ""):
                resp = RedirectResponse("/login", 303)
            else:
                resp = JSONResponse({"error": self._message(scope, message)}, status)
            await resp(scope, receive, self._headers(send))

        if method not in SAFE_METHODS:
            has_origin = "origin" in headers or "referer" in headers
            if (not bearer or has_origin) and not same_origin(headers, scheme, host):
                await deny(403, N_("cross-origin request refused"))
                return
        if not public:
            if sess is None:
                await deny(401, N_("log in first (access token required)"))
                return
            if method not in SAFE_METHODS and not bearer and not csrf_ok(
                    sess.csrf, headers.get("x-csrf-token")):
                await deny(403, N_("missing or wrong CSRF token"))
                return
        await self._guarded(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        secured = self._headers(send)

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await secured(message)

        received = 0
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    raise BadRequest(_too_large(), 413)
            return message

        try:
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise BadRequest(_too_large(), 413)
            await self.app(scope, capped, tracked)
        except BadRequest as exc:
            if started:
                raise
            await JSONResponse({"error": self._message(scope, exc.message)}, exc.status)(
                scope, receive, secured)
        except Exception as exc:
            log.error("request %s failed: %s", scope.get("path", ""), describe_error(exc))
            if started:
                return
            await JSONResponse({"error": self._message(scope, N_("internal error"))}, 500)(
                scope, receive, secured)

    @staticmethod
    def _headers(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                hs = list(message.get("headers", []))
                hs += [(b"content-security-policy", content_security_policy().encode()),
                       (b"x-content-type-options", b"nosniff"),
                       (b"x-frame-options", b"DENY"),
                       (b"referrer-policy", b"same-origin"),
                       (b"cross-origin-opener-policy", b"same-origin"),
                       (b"cross-origin-resource-policy", b"same-origin"),
                       (b"cache-control", b"no-store")]
                message = {**message, "headers": hs}
            await send(message)
        return wrapped


async def set_language(request: Request) -> Response:
    """``POST /lang``: the page language, kept in a cookie."""
    lang = (await read_json_object(request)).get("lang")
    if lang not in i18n.LANGUAGES:
        return refusal(request, N_("unknown language"), 400)
    resp = JSONResponse({"ok": True, "lang": lang})
    resp.set_cookie("idc_lang", str(lang), samesite="strict")
    return resp


def logout_endpoint(authn: Authenticator) -> Callable[[Request], Awaitable[Response]]:
    """``POST /logout`` for the sessions of ``authn``."""

    async def logout(request: Request) -> Response:
        authn.end(request.cookies.get(SESSION_COOKIE))
        resp = JSONResponse({"ok": True})
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    return logout


def _error(exc: BaseException, request: Request) -> str:
    """``exc`` described without personal data, in the page's language."""
    config: WebConfig = request.app.state.config
    return i18n.message(describe_error(exc), page_language(request, config.language))


def _too_large() -> str:
    return N_("request body larger than {limit} bytes").format(limit=MAX_BODY)




def create_app(config: WebConfig, runtime: StationRuntime | None = None,
               auth: Authenticator | None = None) -> Starlette:
    """The application for ``config``; ``runtime`` and ``auth`` may be given (tests)."""
    store_holder: dict[str, Any] = {}
    authn = auth or Authenticator(config.token)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    throttle = LoginThrottle()
    hash_slots = asyncio.Semaphore(HASH_SLOTS)

    def rt() -> StationRuntime:
        r: StationRuntime = store_holder["runtime"]
        return r

    def store() -> Store:
        s: Store = store_holder["store"]
        return s

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        closing = contextlib.ExitStack()
        if runtime is not None:
            store_holder["store"] = runtime.store
            store_holder["runtime"] = runtime
            own = False
        else:
            st = Store.open(config.store, writer=True)
            store_holder["store"] = st
            checker = station_checker(st, config.finger_algorithm)
            if checker is not None:
                closing.callback(checker.algorithm.close)
            store_holder["runtime"] = StationRuntime(
                st, config.addresses, profile=config.profile,
                steps=None if checker is None else Steps(card_fingerprint=checker))
            own = True
        store_holder["export"] = ExportJob(store_holder["store"])
        await run_in_threadpool(rt().start)
        try:
            yield
        finally:
            await run_in_threadpool(rt().stop)
            closing.close()
            if own:
                store().close()

    def operators() -> dict[str, Any]:
        ops = store().setting("operators") or {}
        return ops if isinstance(ops, dict) else {}

    def page(request: Request, name: str, **ctx: Any) -> Response:
        lang = page_language(request, config.language)
        sess: WebSession | None = request.state.web_session
        context = {"lang": lang, "t": lambda k: i18n.translate(k, lang),
                   "msg": lambda m: i18n.message(m, lang),
                   "check_name": lambda n: i18n.check_name(n, lang),
                   "strings": json.dumps(i18n.table(lang), ensure_ascii=False),
                   "csrf": sess.csrf if sess else "", "operator": sess.operator if sess else "",
                   "page": name, "sim_control": config.sim_control, **ctx}
        return templates.TemplateResponse(request, f"{name}.html", context)

    def operator_of(request: Request) -> str:
        sess: WebSession | None = request.state.web_session
        return sess.operator if sess and sess.operator else "operator"

    async def body(request: Request) -> dict[str, Any]:
        return await read_json_object(request)

    # ---------------------------------------------------------------- login

    async def login(request: Request) -> Response:
        if request.method == "GET":
            pre = secrets.token_urlsafe(24)
            resp = page(request, "login", pre=pre, need_operator=bool(operators()),
                        failed=False)
            resp.set_cookie(PRELOGIN_COOKIE, pre, httponly=True, samesite="strict")
            return resp
        client = request.client.host if request.client else ""
        wait = throttle.wait_s(client)
        ops = operators()
        if wait > 0:
            log.warning("login refused: too many failed logins from one client")
            resp = page(request, "login", pre=secrets.token_urlsafe(24),
                        need_operator=bool(ops), failed=True)
            resp.status_code = 429
            resp.headers["retry-after"] = str(int(wait) + 1)
            return resp
        form = await request.form()
        pre_ok = csrf_ok(request.cookies.get(PRELOGIN_COOKIE, ""), str(form.get("csrf", "")))
        token_ok = authn.token_ok(str(form.get("token", "")))
        name = str(form.get("operator", "")).strip()[:40]
        op_ok = not ops
        if ops and pre_ok and token_ok:  # token first: a wrong one costs no hash
            async with hash_slots:
                op_ok = await run_in_threadpool(verify_operator_timed, ops, name,
                                                str(form.get("password", ""))[:1024])
        if not (pre_ok and token_ok and op_ok):
            throttle.failed(client)
            log.warning("login refused")
            pre = secrets.token_urlsafe(24)
            resp = page(request, "login", pre=pre, need_operator=bool(ops), failed=True)
            resp.status_code = 403
            resp.set_cookie(PRELOGIN_COOKIE, pre, httponly=True, samesite="strict")
            return resp
        throttle.succeeded(client)
        sess = authn.new_session(name if ops else "operator")
        resp = RedirectResponse("/today", 303)
        resp.set_cookie(SESSION_COOKIE, sess.sid, httponly=True, samesite="strict")
        resp.delete_cookie(PRELOGIN_COOKIE)
        log.info("operator logged in")
        return resp

    # ---------------------------------------------------------------- pages

    async def home(_request: Request) -> Response:
        return RedirectResponse("/today", 303)

    async def today_page(request: Request) -> Response:
        rows, counts = await run_in_threadpool(today_rows, store())
        todo = [r for r in rows if r["status"] in ("to-capture", "to-correct")]
        return page(request, "today", rows=rows, counts=counts, todo=todo)

    async def capture_page(request: Request) -> Response:
        return page(request, "capture")

    async def check_page(request: Request) -> Response:
        report = await run_in_threadpool(check_rows, store())
        return page(request, "check", report=report)

    async def export_page(request: Request) -> Response:
        return page(request, "export")

    async def devices_page(request: Request) -> Response:
        from ..plugins import get_registry

        drivers = [e.as_dict() for e in get_registry().entries()]
        return page(request, "devices", drivers=drivers, roles=list(ROLES))

    # ---------------------------------------------------------------- API

    async def capture_state(request: Request) -> Response:
        snap = await run_in_threadpool(rt().snapshot)
        return JSONResponse(i18n.localize_snapshot(snap, page_language(request, config.language)))

    async def capture_action(request: Request) -> Response:
        action = request.path_params["action"]
        data = await body(request)
        r = rt()
        calls: dict[str, Callable[[], Any]] = {
            "start": lambda: r.start_session(operator_of(request)),
            "decide": lambda: r.decide(bool(data.get("accept")), str(data.get("note", ""))[:200]),
            "manual": r.manual_portrait,
            "keep": r.keep_finger,
            "redo": lambda: r.redo(str(data.get("step", ""))),
            "save": r.save,
            "cancel": lambda: r.cancel(str(data.get("reason", ""))[:200]),
        }
        fn = calls.get(action)
        if fn is None:
            return refusal(request, N_("unknown action"), 404)
        try:
            await run_in_threadpool(fn)
        except (IdCaptureError, ValueError) as exc:
            code = getattr(exc, "code", "bad-request")
            return JSONResponse({"error": _error(exc, request), "code": code}, 409)
        snap = await run_in_threadpool(r.snapshot)
        return JSONResponse(i18n.localize_snapshot(snap, page_language(request, config.language)))

    async def blob(request: Request) -> Response:
        sha = request.path_params["sha"]
        if not _SHA.fullmatch(sha):
            return refusal(request, N_("bad blob id"), 404)
        found = rt().blob(sha)
        if found is None:
            return refusal(request, N_("not part of the open capture"), 404)
        data, media = found
        if not media.startswith("image/"):
            return refusal(request, N_("not an image"), 404)
        return Response(data, media_type=media)

    async def refused_finger(request: Request) -> Response:
        data = await run_in_threadpool(rt().refused_picture)
        if data is None:
            return refusal(request, N_("no refused finger image now"), 404)
        return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def reopen(request: Request) -> Response:
        data = await body(request)
        try:
            await run_in_threadpool(rt().reopen, str(data.get("record_id", "")),
                                    str(data.get("step", "")), operator_of(request),
                                    str(data.get("reason", ""))[:200])
        except (IdCaptureError, ValueError) as exc:
            return JSONResponse({"error": _error(exc, request)}, 409)
        return JSONResponse({"ok": True, "next": "/capture"})

    async def export_start(request: Request) -> Response:
        data = await body(request)
        job: ExportJob = store_holder["export"]
        return JSONResponse(job.start(operator_of(request), bool(data.get("force"))))

    async def export_status(request: Request) -> Response:
        job: ExportJob = store_holder["export"]
        return JSONResponse(i18n.localize_export_status(
            job.status, page_language(request, config.language)))

    async def devices_api(request: Request) -> Response:
        from ..plugins import get_registry

        out: dict[str, Any] = {"station": {k: v.as_dict() for k, v in rt().slots.items()}}
        if request.query_params.get("discover") == "1":
            found, problems = await run_in_threadpool(get_registry().discover, None, 3.0)
            out["discovered"] = [d.as_dict() for d in found]
            out["problems"] = [{"driver": d, "problem": p} for d, p in problems]
        return JSONResponse(out)

    async def reconnect(request: Request) -> Response:
        role = str((await body(request)).get("role", ""))
        try:
            await run_in_threadpool(rt().reconnect, role)
        except IdCaptureError as exc:
            return JSONResponse({"error": _error(exc, request)}, 409)
        return JSONResponse({"station": {k: v.as_dict() for k, v in rt().slots.items()}})

    async def preview(ws: WebSocket) -> None:
        await ws.accept()
        sub = rt().preview.subscribe(asyncio.get_running_loop())
        try:
            while True:
                msg = await sub.next()
                await ws.send_bytes(msg)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            rt().preview.unsubscribe(sub)

    routes: list[Any] = [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout_endpoint(authn), methods=["POST"]),
        Route("/lang", set_language, methods=["POST"]),
        Route("/today", today_page),
        Route("/capture", capture_page),
        Route("/check", check_page),
        Route("/export", export_page),
        Route("/devices", devices_page),
        Route("/api/capture/state", capture_state),
        Route("/api/capture/{action}", capture_action, methods=["POST"]),
        Route("/api/blob/{sha}", blob),
        Route("/api/capture/refused-finger", refused_finger),
        Route("/api/check/reopen", reopen, methods=["POST"]),
        Route("/api/export/start", export_start, methods=["POST"]),
        Route("/api/export/status", export_status),
        Route("/api/devices", devices_api),
        Route("/api/devices/reconnect", reconnect, methods=["POST"]),
        WebSocketRoute("/ws/preview", preview),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    if config.sim_control:
        from .simcontrol import sim_routes

        routes[-1:-1] = sim_routes(rt)
        log.warning("simulator control endpoints are ON (simulated devices or tests only)")
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.auth = authn
    app.state.config = config
    app.add_middleware(Guard, auth=authn, hosts=config.hosts, language=config.language)
    return app

