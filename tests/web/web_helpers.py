"""Helpers shared by the web tests (plain functions, not fixtures)."""

from __future__ import annotations

import re
from typing import Any

ORIGIN = "http://testserver"


def login(client: Any, token: str) -> str:
    """Log ``client`` in with ``token``; returns the page's CSRF token."""
    c = client
    page = c.get("/login")
    pre = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"csrf": pre, "token": token},
               headers={"Origin": ORIGIN}, follow_redirects=False)
    assert r.status_code == 303, r.text
    today = c.get("/today")
    return re.search(r'name="csrf-token" content="([^"]+)"',
                     today.text).group(1)
