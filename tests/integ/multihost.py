#!/usr/bin/python3
"""Helper of tests/integ/multihost.sh: keys and tokens made outside authgate.

    genkey ALG OUT              a new private key (PEM, mode 0600)
    kid KEYFILE                 the RFC 7638 thumbprint of a PEM key
    mint KEYFILE ALG ISS SUB SCOPE [KID]
                                an RFC 9068 access token signed with KEYFILE
                                (kid: the key's thumbprint unless given)
    privjwks KEYFILE ALG        a JWK Set holding KEYFILE as a PRIVATE JWK
                                (with "d"), what a verifier must refuse
    kids JWKS_FILE              the kids of a JWK Set, one a line, sorted
    hdr TOKEN NAME              a member of a token's JOSE header

ALG is ES256, EdDSA or RS256.
"""
import base64
import hashlib
import json
import os
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(size, "big"))


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def public_jwk(key):
    """The required members only (RFC 7638 section 3.2), sorted."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        pub = key.public_key().public_numbers()
        return {"crv": "P-256", "kty": "EC", "x": uint(pub.x, 32),
                "y": uint(pub.y, 32)}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": b64u(raw)}
    if isinstance(key, rsa.RSAPrivateKey):
        pub = key.public_key().public_numbers()
        return {"e": uint(pub.e), "kty": "RSA", "n": uint(pub.n)}
    raise ValueError("unsupported key type")


def thumbprint(key):
    text = json.dumps(public_jwk(key), separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(text.encode()).digest())


def cmd_genkey(alg, out):
    if alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    elif alg == "EdDSA":
        key = ed25519.Ed25519PrivateKey.generate()
    elif alg == "RS256":
        key = rsa.generate_private_key(65537, 2048)
    else:
        raise ValueError("unknown algorithm " + alg)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def cmd_kid(keyfile):
    print(thumbprint(load(keyfile)))


def cmd_mint(keyfile, alg, issuer, subject, scope, kid=None):
    key = load(keyfile)
    now = int(time.time())
    claims = {"iss": issuer, "sub": subject, "iat": now, "nbf": now,
              "exp": now + 300, "jti": str(uuid.uuid4()), "scope": scope,
              "client_id": ""}
    print(jwt.encode(claims, key, algorithm=alg,
                     headers={"typ": "at+jwt",
                              "kid": kid or thumbprint(key)}))


def cmd_privjwks(keyfile, alg):
    key = load(keyfile)
    jwk = public_jwk(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        jwk["d"] = uint(key.private_numbers().private_value, 32)
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        jwk["d"] = b64u(key.private_bytes(serialization.Encoding.Raw,
                                          serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption()))
    else:
        jwk["d"] = uint(key.private_numbers().d)
    jwk.update({"kid": thumbprint(key), "alg": alg, "use": "sig"})
    print(json.dumps({"keys": [jwk]}))


def cmd_kids(path):
    with open(path) as f:
        keys = json.load(f)["keys"]
    for kid in sorted(k["kid"] for k in keys):
        print(kid)


def cmd_hdr(token, name):
    print(jwt.get_unverified_header(token).get(name, ""))


def main(argv):
    cmds = {"genkey": cmd_genkey, "kid": cmd_kid, "mint": cmd_mint,
            "privjwks": cmd_privjwks, "kids": cmd_kids, "hdr": cmd_hdr}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    try:
        cmds[argv[1]](*argv[2:])
    except Exception as e:  # a message, not a traceback, in the TAP log
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
