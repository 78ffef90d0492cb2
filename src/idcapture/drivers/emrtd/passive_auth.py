"""Passive authentication: is what was read from the chip what the issuing state signed?

EF.SOD is a CMS SignedData (parsed with ``asn1crypto``) whose content is the
LDSSecurityObject: a hash algorithm and one hash per data group. :func:`verify` checks

1. every data group read against its hash in the SOD,
2. the SOD signature with the document signer (DS) certificate embedded in it,
3. the DS certificate against the country signing (CSCA) certificates of a
   :class:`TrustStore` the integrator supplies,

and returns a :class:`PassiveAuthResult` whose :class:`PaOutcome` becomes a ``Check``
in the :class:`~idcapture.record.CaptureRecord`. Signatures are verified with
``cryptography``. CRLs and certificate validity periods are not checked (see the docs).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ...errors import ConfigError, ProtocolError
from ...i18n import N_
from ...record import Check, CheckOutcome
from .tlv import read_tlv

__all__ = [
    "CHECK_NAME",
    "LDS_SECURITY_OBJECT_OID",
    "DataGroupHash",
    "LdsSecurityObject",
    "PaOutcome",
    "PassiveAuthResult",
    "Sod",
    "TrustStore",
    "parse_sod",
    "verify",
]

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
CHECK_NAME = "passive-authentication"


class LdsVersionInfo(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [("lds_version", core.PrintableString),
               ("unicode_version", core.PrintableString)]


class DataGroupHash(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [("data_group_number", core.Integer),
               ("data_group_hash_value", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = DataGroupHash


class LdsSecurityObject(core.Sequence):  # type: ignore[misc]
    """The signed content of EF.SOD (Doc 9303 part 10)."""

    _fields: ClassVar[list[Any]] = [("version", core.Integer),
               ("hash_algorithm", cms.DigestAlgorithm),
               ("data_group_hash_values", DataGroupHashValues),
               ("lds_version_info", LdsVersionInfo, {"optional": True})]


class PaOutcome(str, enum.Enum):
    """The verdict of passive authentication."""

    VALID = "valid"
    HASH_MISMATCH = "hash-mismatch"
    INVALID_SIGNATURE = "invalid-signature"
    UNTRUSTED_SIGNER = "untrusted-signer"
    NOT_CHECKED = "not-checked"


_HASHES: dict[str, str] = {"sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
                           "sha384": "sha384", "sha512": "sha512"}
_CRYPTO_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(frozen=True)
class Sod:
    """The parts of EF.SOD that passive authentication uses."""

    hash_algorithm: str
    hashes: dict[int, bytes]
    signed_data: cms.SignedData
    econtent: bytes
    ds_certificate: x509.Certificate | None


def parse_sod(data: bytes) -> Sod:
    """Parse EF.SOD (tag 77 around a CMS ContentInfo); :class:`ProtocolError` if malformed."""
    try:
        tag, value, _ = read_tlv(data)
    except ProtocolError:
        raise
    if tag != 0x77:
        raise ProtocolError(N_("EF.SOD starts with tag {tag}, expected 77").format(
            tag=f"{tag:02X}"), 0)
    try:
        info = cms.ContentInfo.load(value)
        if info["content_type"].native != "signed_data":
            raise ProtocolError(N_("EF.SOD content is not CMS SignedData"), 0)
        sd = info["content"]
        encap = sd["encap_content_info"]
        if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
            raise ProtocolError(N_("EF.SOD does not hold an LDSSecurityObject"), 0)
        econtent = encap["content"].native
        if isinstance(econtent, LdsSecurityObject):  # pragma: no cover
            econtent = econtent.dump()
        lso = LdsSecurityObject.load(bytes(econtent))
        algo = lso["hash_algorithm"]["algorithm"].native
        table = {int(h["data_group_number"].native): bytes(h["data_group_hash_value"].native)
                 for h in lso["data_group_hash_values"]}
        cert: x509.Certificate | None = None
        for choice in sd["certificates"] or []:
            if choice.name == "certificate":
                cert = x509.load_der_x509_certificate(choice.chosen.dump())
                break
    except ProtocolError:
        raise
    except Exception as exc:
        raise ProtocolError(N_("EF.SOD is not valid CMS/ASN.1: {error}").format(
            error=exc.__class__.__name__), 0) from None
    if algo not in _HASHES:
        raise ProtocolError(N_("EF.SOD uses an unsupported hash algorithm {name}").format(
            name=repr(algo)[:40]), 0)
    return Sod(algo, table, sd, bytes(econtent), cert)


class TrustStore:
    """Country signing (CSCA) certificates, from PEM or DER files or folders of them."""

    def __init__(self, certificates: Iterable[x509.Certificate] = ()) -> None:
        self.certificates: list[x509.Certificate] = list(certificates)

    @classmethod
    def load(cls, *paths: str | Path) -> TrustStore:
        """Read every ``.pem``, ``.crt``, ``.cer`` and ``.der`` file given or in a folder."""
        certs: list[x509.Certificate] = []
        for p in map(Path, paths):
            files = sorted(f for f in p.iterdir() if f.suffix.lower() in
                           (".pem", ".crt", ".cer", ".der")) if p.is_dir() else [p]
            for f in files:
                try:
                    raw = f.read_bytes()
                except OSError as exc:
                    raise ConfigError(N_("cannot read trust store file {name}: {reason}"
                                         ).format(name=repr(f.name), reason=exc.strerror)
                                      ) from None
                try:
                    if b"-----BEGIN" in raw:
                        certs.extend(x509.load_pem_x509_certificates(raw))
                    else:
                        certs.append(x509.load_der_x509_certificate(raw))
                except ValueError:
                    raise ConfigError(N_("trust store file {name} holds no X.509 "
                                         "certificate").format(name=repr(f.name))) from None
        return cls(certs)

    def __len__(self) -> int:
        return len(self.certificates)

    def issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        """The CSCA certificate that signed ``cert``, if one here did."""
        for csca in self.certificates:
            if csca.subject != cert.issuer:
                continue
            try:
                cert.verify_directly_issued_by(csca)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return csca
        return None


@dataclass
class PassiveAuthResult:
    """The outcome and what led to it (no personal data)."""

    outcome: PaOutcome
    message: str
    hash_algorithm: str = ""
    checked_groups: list[int] = field(default_factory=list)
    mismatched_groups: list[int] = field(default_factory=list)
    unlisted_groups: list[int] = field(default_factory=list)
    signature_valid: bool | None = None
    signer: str = ""
    csca: str = ""

    def to_check(self) -> Check:
        """This result as the record's ``passive-authentication`` check."""
        from ...record import utcnow

        verdict = {PaOutcome.VALID: CheckOutcome.PASSED,
                   PaOutcome.NOT_CHECKED: CheckOutcome.NOT_CHECKED}.get(self.outcome,
                                                                       CheckOutcome.FAILED)
        details: dict[str, Any] = {"result": self.outcome.value,
                                   "hash_algorithm": self.hash_algorithm,
                                   "checked_groups": list(self.checked_groups),
                                   "mismatched_groups": list(self.mismatched_groups),
                                   "signature_valid": self.signature_valid,
                                   "signer": self.signer, "csca": self.csca}
        return Check(CHECK_NAME, verdict, self.message, utcnow(), details)


def _verify_signature(sod: Sod) -> tuple[bool, str]:
    """Check the SOD's signer info against the DS certificate: (valid, reason)."""
    if sod.ds_certificate is None:
        return False, N_("EF.SOD embeds no document signer certificate")
    infos = sod.signed_data["signer_infos"]
    if len(infos) != 1:
        return False, N_("EF.SOD has {count} signer infos, expected 1").format(count=len(infos))
    si = infos[0]
    digest_name = si["digest_algorithm"]["algorithm"].native
    if digest_name not in _CRYPTO_HASHES:
        return False, N_("unsupported digest algorithm {name}").format(
            name=repr(digest_name)[:40])
    signed_attrs = si["signed_attrs"]
    if not signed_attrs:
        message = sod.econtent
    else:
        digest = None
        for attr in signed_attrs:
            if attr["type"].native == "message_digest":
                digest = bytes(attr["values"][0].native)
            if attr["type"].native == "content_type" and \
                    attr["values"][0].dotted != LDS_SECURITY_OBJECT_OID:
                return False, N_("signed content type is not the LDSSecurityObject")
        actual = hashlib.new(digest_name, sod.econtent).digest()
        if digest is None or not hmac.compare_digest(digest, actual):
            return False, N_("the signed message digest does not match the security object")
        message = b"\x31" + signed_attrs.dump()[1:]
    signature = bytes(si["signature"].native)
    algo = si["signature_algorithm"]
    sig_name = algo.signature_algo
    hash_alg = _CRYPTO_HASHES[digest_name]()
    key = sod.ds_certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if sig_name == "rsassa_pss":
                params = algo["parameters"]
                salt = int(params["salt_length"].native)
                mgf_hash = _CRYPTO_HASHES[params["hash_algorithm"]["algorithm"].native]()
                key.verify(signature, message, padding.PSS(padding.MGF1(mgf_hash), salt),
                           hash_alg)
            else:
                key.verify(signature, message, padding.PKCS1v15(), hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hash_alg))
        else:
            return False, N_("unsupported signer key type {name}").format(
                name=type(key).__name__)
    except InvalidSignature:
        return False, N_("the SOD signature does not verify with the document signer key")
    except (ValueError, KeyError, TypeError) as exc:
        return False, N_("the SOD signature cannot be checked: {reason}").format(reason=exc)
    return True, ""


def _country(cert: x509.Certificate | None, issuer: bool = False) -> str:
    if cert is None:
        return ""
    name = cert.issuer if issuer else cert.subject
    parts = [a.value for a in name.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)]
    cn = [a.value for a in name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    return "/".join(str(v) for v in parts + cn)


def verify(sod_bytes: bytes, groups: Mapping[int, bytes],
           trust: TrustStore | None) -> PassiveAuthResult:
    """Passive authentication of the data groups ``groups`` (number -> file bytes).

    A hash mismatch or a bad signature fails whatever the trust store; without a trust
    store (or an empty one) a document that is otherwise consistent is ``not-checked``.
    """
    try:
        sod = parse_sod(sod_bytes)
    except ProtocolError as exc:
        return PassiveAuthResult(PaOutcome.INVALID_SIGNATURE, f"EF.SOD is malformed: {exc}")
    result = PassiveAuthResult(PaOutcome.VALID, "", sod.hash_algorithm,
                               signer=_country(sod.ds_certificate))
    for number, content in sorted(groups.items()):
        expected = sod.hashes.get(number)
        if expected is None:
            result.unlisted_groups.append(number)
            continue
        result.checked_groups.append(number)
        if not hmac.compare_digest(hashlib.new(sod.hash_algorithm, content).digest(),
                                   expected):
            result.mismatched_groups.append(number)
    if result.mismatched_groups or result.unlisted_groups:
        result.outcome = PaOutcome.HASH_MISMATCH
        bad = result.mismatched_groups + result.unlisted_groups
        result.message = N_("data group(s) {groups} do not match the hashes the issuer "
                            "signed").format(groups=", ".join(f"DG{n}" for n in bad))
        return result
    ok, reason = _verify_signature(sod)
    result.signature_valid = ok
    if not ok:
        result.outcome = PaOutcome.INVALID_SIGNATURE
        result.message = reason
        return result
    assert sod.ds_certificate is not None
    if trust is None or not len(trust):
        result.outcome = PaOutcome.NOT_CHECKED
        result.message = N_("hashes and SOD signature are consistent, but no country signing "
                            "certificates were supplied to verify the signer")
        return result
    csca = trust.issuer_of(sod.ds_certificate)
    if csca is None:
        result.outcome = PaOutcome.UNTRUSTED_SIGNER
        result.message = N_("the document signer certificate (issued by {country}) is not "
                            "signed by any trusted country signing certificate").format(
            country=_country(sod.ds_certificate, issuer=True))
        return result
    result.csca = _country(csca)
    result.message = N_("{count} data group(s) match the SOD, signed by a trusted document "
                        "signer").format(count=len(result.checked_groups))
    return result
