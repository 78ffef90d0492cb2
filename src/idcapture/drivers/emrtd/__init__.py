"""ICAO 9303 electronic machine-readable travel documents (eMRTD) read over PC/SC.

The parts below the driver are sans-IO and reusable by the card simulator:

* :mod:`.mrz` parses TD1/TD2/TD3 machine-readable zones and derives the BAC key seed.
* :mod:`.crypto` holds the 3DES, retail-MAC and key-derivation primitives (over
  ``cryptography``).
* :mod:`.apdu` and :mod:`.tlv` encode and decode command/response APDUs and BER-TLV.
* :mod:`.bac` and :mod:`.sm` are Basic Access Control and secure messaging.
* :mod:`.lds` decodes EF.COM, DG1 and DG2; :mod:`.passive_auth` checks EF.SOD.
* :mod:`.session` runs a whole read over any ``transmit(bytes) -> bytes`` function, and
  :mod:`.driver` is the ``pcsc:READER`` ID reader.
"""
