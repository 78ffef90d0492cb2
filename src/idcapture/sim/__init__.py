"""Simulators: the device side of each protocol, one folder per device family.

Each family holds its wire-level simulator (the real protocol on a real transport: a
pty, the virtual PC/SC reader, the compiled C library of a vendor ABI) beside its
in-process ``sim`` driver (``sim:id-reader``, ``sim:camera``, ``sim:fingerprint``, no
transport, controlled from Python):

* :mod:`.sam` - the SAM_V ID-card reader (pty, USB backend; ``sim:id-reader``);
* :mod:`.emrtd` - an ICAO eMRTD chip behind the virtual PC/SC reader;
* :mod:`.camera` - scripted face scenes, an MJPEG server (``sim:camera``);
* :mod:`.finger` - finger event scripts and sources shared by the fingerprint
  simulators (``sim:fingerprint``);
* :mod:`.as608` - the AS60x fingerprint module on a pty;
* :mod:`.zkfinger` - control of the compiled ZKFinger SDK simulator.

Synthetic data (fingerprints, templates, rosters) comes from :mod:`idcapture.synth`.
"""
