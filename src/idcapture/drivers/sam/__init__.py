"""Readers of Chinese second-generation ID cards through the SAM_V frame protocol.

* :mod:`.protocol` - the sans-IO frame codec (requests, responses, status codes);
* :mod:`.cardtext` - the 256-byte text block layouts of the four card kinds;
* :mod:`.codes` - sex, ethnic-group and nationality code tables;
* :mod:`.document` - blocks read from a card to a typed IdentityDocument and checks;
* :mod:`.session` - the host-side command sequence over any byte transport;
* :mod:`.serial_driver` / :mod:`.usb_driver` - the ``sam-serial`` and ``sam-usb`` drivers.
"""
