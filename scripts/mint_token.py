#!/usr/bin/env python3
"""Issues a client token (JWT) for `kasocki serve --auth-*`, and makes a key pair to sign them.
Does I/O: reads the key, writes keys with --new-key, prints the token on stdout.

    .venv/bin/python scripts/mint_token.py --new-key keys/ed25519          # keys/ed25519.pem (private)
                                                                            # keys/ed25519.pub.pem (for the server)
    .venv/bin/python scripts/mint_token.py --key keys/ed25519.pem --sub alice \\
        --topic 'mediawiki.*' --topic kasocki_demo --ttl 3600 [--aud A] [--iss I] [--kid K]
    .venv/bin/python scripts/mint_token.py --secret-file hs256.secret --sub alice --topic '*'

The algorithm follows the key: RSA -> RS256, EC P-256 -> ES256, Ed25519 -> EdDSA, a secret file
-> HS256. Needs PyJWT with its crypto extra (in e2e/requirements.txt: the venv has it).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def new_key(stem: pathlib.Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    stem.parent.mkdir(parents=True, exist_ok=True)
    private = stem.with_suffix(".pem")
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    public = stem.with_suffix(".pub.pem")
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    print(f"private key (keep it with the token issuer): {private}\n"
          f"public key (kasocki serve --auth-jwt-key):  {public}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--new-key", type=pathlib.Path, metavar="STEM",
                        help="write an Ed25519 key pair STEM.pem / STEM.pub.pem and exit")
    parser.add_argument("--key", type=pathlib.Path, help="PEM private key (RSA, EC P-256, Ed25519)")
    parser.add_argument("--secret-file", type=pathlib.Path, help="HS256 secret (32 bytes or more)")
    parser.add_argument("--sub", help="the subject: who the client is")
    parser.add_argument("--topic", action="append", default=[],
                        help="a topic the client may read, * as a wildcard (repeatable)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until exp (default 3600)")
    parser.add_argument("--aud", help="audience (the server's --auth-audience)")
    parser.add_argument("--iss", help="issuer (the server's --auth-issuer)")
    parser.add_argument("--kid", help="key id, when the server's JWKS has several keys")
    args = parser.parse_args()
    if args.new_key:
        new_key(args.new_key)
        return 0
    if bool(args.key) == bool(args.secret_file) or not args.sub:
        parser.error("give --sub and one of --key or --secret-file")
    now = int(time.time())
    claims = {"sub": args.sub, "iat": now, "exp": now + args.ttl, "topics": args.topic}
    if args.aud:
        claims["aud"] = args.aud
    if args.iss:
        claims["iss"] = args.iss
    headers = {"kid": args.kid} if args.kid else None
    if args.secret_file:
        secret = args.secret_file.read_bytes().rstrip(b"\r\n")
        print(jwt.encode(claims, secret, algorithm="HS256", headers=headers))
        return 0
    key = serialization.load_pem_private_key(args.key.read_bytes(), password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        alg = "RS256"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        alg = "ES256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        alg = "EdDSA"
    else:
        parser.error("the key is not RSA, EC P-256 nor Ed25519")
    print(jwt.encode(claims, key, algorithm=alg, headers=headers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
