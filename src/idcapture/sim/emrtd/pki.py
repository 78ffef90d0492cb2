"""A test PKI for simulated documents: CSCA, document signer and a signed EF.SOD.

Keys are ECDSA P-256 (fast to generate at test time). Nothing here is meant to protect
anything: it exists so that passive authentication can be exercised end to end.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ...drivers.emrtd.passive_auth import LDS_SECURITY_OBJECT_OID, LdsSecurityObject
from ...drivers.emrtd.tlv import encode_tlv

__all__ = ["SimPki", "build_sod"]


def _name(country: str, cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class SimPki:
    """A country signing certificate and a document signer it issued."""

    csca_cert: x509.Certificate
    csca_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, country: str = "UT", name: str = "Utopia") -> SimPki:
        now = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=1)
        csca_key = ec.generate_private_key(ec.SECP256R1())
        csca_name = _name(country, f"{name} Test CSCA")
        csca = (x509.CertificateBuilder().subject_name(csca_name).issuer_name(csca_name)
                .public_key(csca_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), critical=True)
                .sign(csca_key, hashes.SHA256()))
        ds_key = ec.generate_private_key(ec.SECP256R1())
        ds = (x509.CertificateBuilder().subject_name(_name(country, f"{name} Test DS"))
              .issuer_name(csca_name).public_key(ds_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=365))
              .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                           False, False), critical=True)
              .sign(csca_key, hashes.SHA256()))
        return cls(csca, csca_key, ds, ds_key)

    def save(self, folder: str | Path) -> None:
        """Write ``csca.pem``, ``ds.pem`` and ``ds.key`` (unencrypted) into ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        (out / "csca.pem").write_bytes(self.csca_cert.public_bytes(pem))
        (out / "ds.pem").write_bytes(self.ds_cert.public_bytes(pem))
        (out / "ds.key").write_bytes(self.ds_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (out / "csca.key").write_bytes(self.csca_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    @classmethod
    def load(cls, folder: str | Path) -> SimPki:
        src = Path(folder)

        def key(name: str) -> ec.EllipticCurvePrivateKey:
            k = serialization.load_pem_private_key((src / name).read_bytes(), None)
            if not isinstance(k, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{name} is not an EC private key")
            return k

        return cls(x509.load_pem_x509_certificate((src / "csca.pem").read_bytes()),
                   key("csca.key"),
                   x509.load_pem_x509_certificate((src / "ds.pem").read_bytes()),
                   key("ds.key"))


def build_sod(groups: Mapping[int, bytes], ds_cert: x509.Certificate,
              ds_key: ec.EllipticCurvePrivateKey, hash_name: str = "sha256") -> bytes:
    """EF.SOD over ``groups`` (number -> file bytes), signed by the document signer."""
    lso = LdsSecurityObject({
        "version": 0,
        "hash_algorithm": {"algorithm": hash_name},
        "data_group_hash_values": [
            {"data_group_number": n,
             "data_group_hash_value": hashlib.new(hash_name, content).digest()}
            for n, content in sorted(groups.items())],
    })
    econtent = lso.dump()
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]}),
        cms.CMSAttribute({"type": "message_digest",
                          "values": [hashlib.new(hash_name, econtent).digest()]}),
    ])
    hash_alg = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
                "sha512": hashes.SHA512(), "sha1": hashes.SHA1()}[hash_name]
    signature = ds_key.sign(attrs.dump(), ec.ECDSA(hash_alg))
    cert = asn1_x509.Certificate.load(ds_cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number})}),
        "digest_algorithm": {"algorithm": hash_name},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": f"{hash_name}_ecdsa"},
        "signature": signature,
    })
    sd = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": hash_name}],
        "encap_content_info": {"content_type": LDS_SECURITY_OBJECT_OID, "content": econtent},
        "certificates": [cert],
        "signer_infos": [signer],
    })
    return encode_tlv(0x77, cms.ContentInfo({"content_type": "signed_data",
                                             "content": sd}).dump())
