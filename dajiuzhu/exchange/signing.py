"""Request signatures: a JWS (RFC 7515, compact form) over the envelope's ``header`` and ``message``.

The signing input's payload is the canonical JSON of ``{"header": …, "message": …}`` (keys sorted,
no spaces, UTF-8); the client may send it attached or detached (``<protected>..<signature>``).
Algorithms: ``EdDSA`` (Ed25519, the standard's example), ``ES256`` and ``RS256``; the client's public
key (PEM) is registered with the client. ``sign`` is what an integrator does (and the tests)."""

from __future__ import annotations

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ALGORITHMS = ("EdDSA", "ES256", "RS256")


class SignatureError(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise SignatureError("not base64url") from None


def canonical(header, message) -> bytes:
    return json.dumps({"header": header, "message": message}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def load_public_key(pem: str):
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise SignatureError("the public key is not a PEM public key") from None
    if not isinstance(key, (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise SignatureError("only Ed25519, P-256 and RSA keys are accepted")
    return key


def sign(private_key, header, message, *, kid: str = "", detached: bool = True) -> str:
    """A compact JWS over header and message with ``private_key`` (an integrator's side)."""
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        alg = "EdDSA"
    elif isinstance(private_key, ec.EllipticCurvePrivateKey):
        alg = "ES256"
    else:
        alg = "RS256"
    protected = b64url(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(canonical(header, message))
    signing_input = f"{protected}.{payload}".encode()
    if alg == "EdDSA":
        signature = private_key.sign(signing_input)
    elif alg == "ES256":
        r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{protected}.{'' if detached else payload}.{b64url(signature)}"


def verify(signature: str, public_key_pem: str, header, message) -> None:
    """Raise ``SignatureError`` unless ``signature`` is a valid JWS over this header and message."""
    if not isinstance(signature, str) or signature.count(".") != 2:
        raise SignatureError("the signature is not a compact JWS")
    protected_b64, payload_b64, signature_b64 = signature.split(".")
    try:
        protected = json.loads(b64url_decode(protected_b64))
    except (ValueError, SignatureError):
        raise SignatureError("the JWS header is not JSON") from None
    alg = protected.get("alg") if isinstance(protected, dict) else None
    if alg not in ALGORITHMS:
        raise SignatureError(f"unsupported algorithm {alg!r}")
    expected = canonical(header, message)
    if payload_b64 and b64url_decode(payload_b64) != expected:
        raise SignatureError("the signed payload is not this header and message")
    signing_input = f"{protected_b64}.{b64url(expected)}".encode()
    raw = b64url_decode(signature_b64)
    key = load_public_key(public_key_pem)
    try:
        if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(raw, signing_input)
        elif alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(raw) != 64:
                raise SignatureError("an ES256 signature has 64 bytes")
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise SignatureError("the algorithm does not match the registered key")
    except InvalidSignature:
        raise SignatureError("the signature does not verify with the client's public key") from None
