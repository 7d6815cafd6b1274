"""Keys and tokens of the authentication e2e suites (e2e/test_auth*.py): key pairs generated per
module (RSA, EC P-256, Ed25519 in a JWKS with a kid), PEM and JWKS files for `kasocki serve`,
tokens minted with PyJWT, and the official JS client's auth script. Does I/O: temp files, node.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import pathlib
import shutil
import subprocess
import tempfile
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

JS = pathlib.Path(__file__).resolve().parent / "js"
AUDIENCE = "kasocki-e2e"
ISSUER = "https://issuer.kasocki.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclasses.dataclass
class Keys:
    folder: pathlib.Path
    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    ed: ed25519.Ed25519PrivateKey
    stranger_rsa: rsa.RSAPrivateKey  # right algorithm, not the server's key
    pem_file: pathlib.Path           # RSA and EC public keys, one file
    jwks_file: pathlib.Path          # the Ed25519 key, kid "ed1"
    secret: bytes
    secret_file: pathlib.Path

    def args(self) -> list[str]:
        """The server's key options (no HS256 secret: HS256 tokens are refused as algorithm)."""
        return ["--auth-jwt-key", str(self.pem_file), "--auth-jwks", str(self.jwks_file)]

    def private(self, alg: str):
        return {"RS256": self.rsa, "ES256": self.ec, "EdDSA": self.ed}[alg]

    def mint(self, alg: str = "ES256", *, sub: str = "alice", topics=None, ttl: float = 3600,
             aud=AUDIENCE, iss=ISSUER, key=None, headers=None, **claims) -> str:
        now = int(time.time())
        payload = {"sub": sub, "iat": now, **claims}
        if ttl is not None:
            payload["exp"] = int(now + ttl)
        if topics is not None:
            payload["topics"] = topics
        if aud is not None:
            payload["aud"] = aud
        if iss is not None:
            payload["iss"] = iss
        if alg == "HS256":
            return jwt.encode(payload, key or self.secret, algorithm="HS256", headers=headers)
        headers = dict(headers or {})
        if alg == "EdDSA":
            headers.setdefault("kid", "ed1")
        return jwt.encode(payload, key or self.private(alg), algorithm=alg, headers=headers)


def make_keys() -> Keys:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="kasocki-auth-"))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    pem_file = folder / "keys.pem"
    pem_file.write_bytes(public_pem(rsa_key) + public_pem(ec_key))
    raw = ed_key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    jwks_file = folder / "keys.jwks"
    jwks_file.write_text(json.dumps({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed1", "alg": "EdDSA", "x": b64url(raw)}]}))
    secret = b"an-hs256-secret-of-at-least-32-bytes!"
    secret_file = folder / "secret"
    secret_file.write_bytes(secret + b"\n")
    return Keys(folder, rsa_key, ec_key, ed_key,
                rsa.generate_private_key(public_exponent=65537, key_size=2048),
                pem_file, jwks_file, secret, secret_file)


def hs256_with(secret: bytes, payload: dict) -> str:
    """An HS256 token signed with any bytes as secret (PyJWT refuses PEM keys as HMAC secrets,
    which is what the key-confusion attack needs)."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(payload).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def unsigned(payload: dict) -> str:
    """alg none, empty signature (RFC 7519, 6.1)."""
    head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64url(json.dumps(payload).encode())}."


def run_node(url: str, options: dict, timeout: float = 90) -> list[dict]:
    """e2e/js/auth_client.js; its printed lines."""
    node = shutil.which("node")
    assert node, "node is not installed (scripts/setup.sh)"
    done = subprocess.run([node, str(JS / "auth_client.js"), url, json.dumps(options)],
                          capture_output=True, text=True, timeout=timeout)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, f"node failed: {lines[-5:]}\n{done.stderr[-2000:]}"
    return lines
