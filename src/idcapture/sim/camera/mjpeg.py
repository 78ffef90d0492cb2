"""Serve camera frames as an MJPEG stream over HTTP on this machine.

``idcapture sim camera --serve 8081`` plays a scene script on
``http://127.0.0.1:8081/stream.mjpg`` (``multipart/x-mixed-replace``), which any MJPEG
client reads, the ``opencv:`` driver included::

    idcapture.open_camera("opencv:http://127.0.0.1:8081/stream.mjpg")

This is the simulator's transport, so the test of the ``opencv`` driver goes through a
real network stream and FFmpeg's demuxer. Frames are paced to the requested rate.
"""

from __future__ import annotations

import http.server
import socketserver
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

__all__ = ["MjpegServer"]

FrameSource = Callable[[int], "np.ndarray | None"]
BOUNDARY = "idcaptureframe"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: a simulator's stream is not worth a log line per request

    def do_GET(self) -> None:
        if self.path.split("?")[0] not in ("/stream.mjpg", "/"):
            self.send_error(404, "only /stream.mjpg is served")
            return
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        owner = self.server.owner
        n = 0
        next_t = time.monotonic()
        try:
            while not owner.stopping.is_set():
                frame = owner.source(n)
                n += 1
                if frame is None:  # the scene says "unplugged": end the stream
                    break
                ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, owner.quality])
                if not ok:
                    break
                data = jpg.tobytes()
                self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                 f"Content-Length: {len(data)}\r\n\r\n".encode("ascii"))
                self.wfile.write(data)
                self.wfile.write(b"\r\n")
                owner.frames_sent += 1
                if owner.fps > 0:
                    next_t += 1.0 / owner.fps
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    else:
                        next_t = time.monotonic()
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: MjpegServer


class MjpegServer:
    """An MJPEG stream of ``source(frame_no)`` frames (``None`` ends a client's stream)."""

    def __init__(self, source: FrameSource, port: int = 0, host: str = "127.0.0.1",
                 fps: float = 30.0, quality: int = 90) -> None:
        self.source = source
        self.fps = fps
        self.quality = quality
        self.frames_sent = 0
        self.stopping = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/stream.mjpg"

    def start(self) -> MjpegServer:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="idcapture-mjpeg", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
