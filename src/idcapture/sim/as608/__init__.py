"""The device side of the AS60x serial fingerprint-module protocol, on a real pty."""

from .device import As608Module, ModuleEvent, Reply
from .pty import As608PtySimulator

__all__ = ["As608Module", "As608PtySimulator", "ModuleEvent", "Reply"]
