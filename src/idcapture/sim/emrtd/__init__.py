"""A simulated ICAO eMRTD (passport chip) served through the virtual PC/SC reader (vpcd).

:class:`~.card.EmrtdCard` answers APDUs in-process (BAC, secure messaging, the LDS1
files, scriptable faults); :class:`~.vpcd.VpcdCardServer` puts it on vpcd's socket so
pcscd sees a card in a real reader; :mod:`.pki` makes a test PKI (CSCA, document
signer, signed EF.SOD); :mod:`.config` loads a card from a JSON file.
"""
