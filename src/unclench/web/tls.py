"""A self-signed certificate for `unclench serve --share`, made on this computer and kept in the data dir.

No authority vouches for it, so the phone warns once; the person compares the SHA-256 fingerprint shown on the
computer with the one the phone shows. It is reused while valid and while it names every address asked for.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from unclench.core import clock

VALIDITY = timedelta(days=397)  # the longest browsers accept for a server certificate
RENEW_BEFORE = timedelta(days=7)
FOLDER = "tls"


@dataclass(frozen=True)
class Certificate:
    key_path: Path
    cert_path: Path
    fingerprint: str  # SHA-256 of the DER certificate, "AB:CD:…"


def fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{byte:02X}" for byte in cert.fingerprint(hashes.SHA256()))


def _names(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return ips, {name.lower() for name in san.get_values_for_type(x509.DNSName)}


def _usable(cert: x509.Certificate, ips: set[str], names: set[str]) -> bool:
    now = clock.now()
    if not (cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc):
        return False
    have_ips, have_names = _names(cert)
    return ips <= have_ips and names <= have_names


def ensure_certificate(data_dir: Path, ips: list[str], names: list[str]) -> Certificate:
    """The certificate for these IP addresses and host names: the one kept if still usable, else a new one."""
    folder = data_dir / FOLDER
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    wanted_ips = {str(ipaddress.ip_address(ip)) for ip in [*ips, "127.0.0.1"]}
    wanted_names = {name.lower() for name in [*names, "localhost"] if name}
    if key_path.exists() and cert_path.exists():
        kept = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if _usable(kept, wanted_ips, wanted_names):
            return Certificate(key_path, cert_path, fingerprint(kept))
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = clock.now()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unclench on this computer")])
    sans: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in sorted(wanted_ips)]
    sans += [x509.DNSName(name) for name in sorted(wanted_names)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a phone whose clock is a little behind still accepts it
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # The key is readable by its owner only; written beside, then moved, so a half-written key is never used.
    temporary = key_path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_bytes)
    temporary.replace(key_path)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Certificate(key_path, cert_path, fingerprint(cert))
