"""The module side of the AS60x protocol, sans-IO: command bytes in, reply bytes out.

:class:`As608Module` keeps the state a module has (address, password, system
parameters, the image buffer) and answers each command packet with the packets a module
sends back, reusing the driver's codec. The finger on the glass comes from a
:class:`~idcapture.sim.finger.sources.FingerFeed`, polled once per GenImg.

Emulated: GenImg, UpImage (4-bit packed image in data packets of the configured size),
DownImage, ReadSysPara, SetSysPara (baud, security level, packet size), VfyPwd, SetPwd,
SetAdder, GetRandomCode, TempleteNum, ReadIndexTable, Empty, Aura LED, soft reset and
handshake. On-module feature extraction and matching (Img2Tz, Match, Search, RegModel,
Store...) are not emulated and answer "undefined error" (0x19): the library uploads
images and matches on the host.
"""

from __future__ import annotations

import enum
import logging
import os
import struct
from dataclasses import dataclass, field, replace

import numpy as np

from ...drivers.as608 import protocol as p
from ...errors import ProtocolError
from ..finger.sources import FingerFeed, PollKind

__all__ = ["As608Module", "ModuleEvent", "Reply"]

log = logging.getLogger("idcapture.sim.as608")


class ModuleEvent(str, enum.Enum):
    """Things the transport must act on besides sending bytes."""

    #: the device was unplugged: close the transport
    UNPLUG = "unplug"
    #: the baud rate changed after this reply: pace the line at the new rate
    BAUD_CHANGED = "baud-changed"


@dataclass
class Reply:
    """What the module sends back for the bytes fed so far."""

    packets: list[p.Packet] = field(default_factory=list)
    events: list[ModuleEvent] = field(default_factory=list)

    def encode(self) -> bytes:
        return b"".join(pk.encode() for pk in self.packets)


class As608Module:
    """Sans-IO module state machine. :meth:`receive` bytes from the host, get a :class:`Reply`."""

    def __init__(self, feed: FingerFeed | None = None, *, params: p.SystemParameters | None = None,
                 password: int = 0) -> None:
        self.feed = feed if feed is not None else FingerFeed(width=p.IMAGE_WIDTH,
                                                             height=p.IMAGE_HEIGHT)
        self.params = params or p.SystemParameters()
        self.password = password
        self.verified = password == 0
        self.image: np.ndarray | None = None
        self._decoder = p.PacketDecoder()
        self._download: bytearray | None = None  # DownImage data being received
        self.unplugged = False

    @property
    def address(self) -> int:
        return self.params.address

    @property
    def baud(self) -> int:
        return self.params.baud

    def receive(self, data: bytes) -> Reply:
        """Feed bytes from the host; returns the packets to send back (possibly none)."""
        reply = Reply()
        try:
            packets = self._decoder.feed(data)
        except ProtocolError as exc:
            self._decoder.resync()
            if exc.code == "checksum":
                reply.packets.append(p.ack(p.ConfirmationCode.RECEIVE_ERROR, address=self.address))
            return reply
        for packet in packets:
            if packet.address != self.address:
                continue  # not for this module: a real module stays silent
            self._handle(packet, reply)
            if self.unplugged:
                break
        return reply

    def _ack(self, reply: Reply, code: int, results: bytes = b"") -> None:
        reply.packets.append(p.ack(code, results, self.address))

    def _handle(self, packet: p.Packet, reply: Reply) -> None:
        CC = p.ConfirmationCode
        if packet.is_data:
            self._receive_image_data(packet, reply)
            return
        if packet.pid != p.PacketId.COMMAND or not packet.content:
            self._ack(reply, CC.RECEIVE_ERROR)
            return
        code, params = packet.content[0], packet.content[1:]
        try:
            ins = p.Instruction(code)
        except ValueError:
            self._ack(reply, CC.UNDEFINED_ERROR)
            return
        layout = p.PARAMETER_LAYOUT[ins]
        if len(params) != (struct.calcsize(layout) if layout else 0):
            self._ack(reply, CC.RECEIVE_ERROR)
            return
        args = struct.unpack(layout, params) if layout else ()
        if not self.verified and ins is not p.Instruction.VFY_PWD:
            self._ack(reply, CC.PASSWORD_REQUIRED)
            return
        handler = getattr(self, f"_do_{ins.name.lower()}", None)
        if handler is None:
            self._ack(reply, CC.UNDEFINED_ERROR)
            return
        try:
            handler(reply, *args)
        except Exception:
            # a broken finger source must not kill the module: answer as a faulty module
            log.exception("simulated module failed on %s", ins.name)
            self._ack(reply, CC.UNDEFINED_ERROR)

    # ---------------------------------------------------------------- instructions

    def _do_gen_img(self, reply: Reply) -> None:
        poll = self.feed.poll()
        if poll.kind is PollKind.UNPLUGGED:
            self.unplugged = True
            reply.events.append(ModuleEvent.UNPLUG)
            return
        if poll.kind is PollKind.NO_FINGER:
            self._ack(reply, p.ConfirmationCode.NO_FINGER)
        elif poll.kind is PollKind.LIFTED:
            self.image = None
            self._ack(reply, p.ConfirmationCode.CAPTURE_FAILED)
        else:
            assert poll.image is not None
            self.image = _to_sensor(poll.image)
            self._ack(reply, p.ConfirmationCode.OK)

    def _do_up_image(self, reply: Reply) -> None:
        if self.image is None:
            self._ack(reply, p.ConfirmationCode.NO_VALID_IMAGE)
            return
        self._ack(reply, p.ConfirmationCode.OK)
        reply.packets.extend(p.data_packets(p.pack_image(self.image), self.params.packet_size,
                                            self.address))

    def _do_down_image(self, reply: Reply) -> None:
        self._download = bytearray()
        self._ack(reply, p.ConfirmationCode.OK)

    def _receive_image_data(self, packet: p.Packet, reply: Reply) -> None:
        if self._download is None:
            self._ack(reply, p.ConfirmationCode.CANNOT_RECEIVE_DATA)
            return
        self._download += packet.content
        if packet.pid == p.PacketId.END_DATA:
            data, self._download = bytes(self._download), None
            try:
                self.image = p.unpack_image(data)
            except ProtocolError:
                self.image = None

    def _do_read_sys_para(self, reply: Reply) -> None:
        self._ack(reply, p.ConfirmationCode.OK, self.params.encode())

    def _do_set_sys_para(self, reply: Reply, param: int, value: int) -> None:
        CC = p.ConfirmationCode
        if param == p.SysParam.BAUD and 1 <= value <= 12:
            self._ack(reply, CC.OK)
            self.params = replace(self.params, baud_multiplier=value)
            reply.events.append(ModuleEvent.BAUD_CHANGED)
        elif param == p.SysParam.SECURITY_LEVEL and 1 <= value <= 5:
            self.params = replace(self.params, security_level=value)
            self._ack(reply, CC.OK)
        elif param == p.SysParam.PACKET_SIZE and value in p.PACKET_SIZES:
            self.params = replace(self.params, packet_size_code=value)
            self._ack(reply, CC.OK)
        elif param in (p.SysParam.BAUD, p.SysParam.SECURITY_LEVEL, p.SysParam.PACKET_SIZE):
            self._ack(reply, CC.BAD_REGISTER_CONFIG)
        else:
            self._ack(reply, CC.INVALID_REGISTER)

    def _do_vfy_pwd(self, reply: Reply, password: int) -> None:
        self.verified = password == self.password
        self._ack(reply, p.ConfirmationCode.OK if self.verified
                  else p.ConfirmationCode.WRONG_PASSWORD)

    def _do_set_pwd(self, reply: Reply, password: int) -> None:
        self.password = password
        self._ack(reply, p.ConfirmationCode.OK)

    def _do_set_adder(self, reply: Reply, address: int) -> None:
        self._ack(reply, p.ConfirmationCode.OK)  # answered from the old address
        self.params = replace(self.params, address=address)

    def _do_get_random_code(self, reply: Reply) -> None:
        self._ack(reply, p.ConfirmationCode.OK, os.urandom(4))

    def _do_template_num(self, reply: Reply) -> None:
        self._ack(reply, p.ConfirmationCode.OK, struct.pack(">H", 0))

    def _do_read_index_table(self, reply: Reply, page: int) -> None:
        if page > 3:
            self._ack(reply, p.ConfirmationCode.PAGE_OUT_OF_RANGE)
            return
        self._ack(reply, p.ConfirmationCode.OK, bytes(32))

    def _do_empty(self, reply: Reply) -> None:
        self._ack(reply, p.ConfirmationCode.OK)

    def _do_aura_led(self, reply: Reply, *_: int) -> None:
        self._ack(reply, p.ConfirmationCode.OK)

    def _do_soft_reset(self, reply: Reply) -> None:
        self.image = None
        self._ack(reply, p.ConfirmationCode.OK)

    def _do_handshake(self, reply: Reply) -> None:
        self._ack(reply, p.ConfirmationCode.OK)


def _to_sensor(image: np.ndarray) -> np.ndarray:
    if image.shape == (p.IMAGE_HEIGHT, p.IMAGE_WIDTH):
        return image
    from ..finger.sources import fit_to_sensor

    return fit_to_sensor(image, p.IMAGE_WIDTH, p.IMAGE_HEIGHT)
