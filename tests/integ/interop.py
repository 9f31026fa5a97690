#!/usr/bin/python3
"""Interoperability checks for the integration tests, with the OAuth2
and JWT libraries other programs use against authgate.  Run with Debian's
/usr/bin/python3 (python3-requests-oauthlib, python3-jwt).

    interop.py oauthlib URL USER PASSWORD SCOPE
        requests-oauthlib's LegacyApplicationClient (the password grant)
        fetches a token from URL/token and calls URL/protected with it;
        prints the token response and the /protected answer as JSON.
    interop.py decode KEYFILE TOKEN ISSUER SUBJECT
        PyJWT verifies TOKEN with the HS256 secret of KEYFILE (its bytes
        up to a final newline) and checks the claims; prints "ok".
    interop.py mint KEYFILE ISSUER SUBJECT SCOPE [TTL]
        prints an access token made by PyJWT with that secret.
Exit status 0 on success, 1 with a message on stderr otherwise.
"""

import json
import os
import sys
import time
import uuid


def secret(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.endswith(b"\n"):
        data = data[:-1]
    return data


def cmd_oauthlib(url, user, password, scope):
    # The test server speaks plain HTTP on 127.0.0.1.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    from oauthlib.oauth2 import LegacyApplicationClient
    from requests_oauthlib import OAuth2Session

    client = LegacyApplicationClient(client_id="", scope=scope.split())
    session = OAuth2Session(client=client, scope=scope.split())
    token = session.fetch_token(token_url=url + "/token", username=user,
                                password=password, include_client_id=False,
                                timeout=10)
    r = session.get(url + "/protected", timeout=10)
    print(json.dumps({"token": token, "status": r.status_code,
                      "protected": r.json()}))
    return 0


def cmd_decode(keyfile, token, issuer, subject):
    import jwt

    header = jwt.get_unverified_header(token)
    if header.get("typ") != "at+jwt":
        sys.stderr.write("typ is %r, not at+jwt\n" % header.get("typ"))
        return 1
    if header.get("alg") != "HS256":
        sys.stderr.write("alg is %r\n" % header.get("alg"))
        return 1
    claims = jwt.decode(token, secret(keyfile), algorithms=["HS256"],
                        issuer=issuer,
                        options={"require": ["exp", "iat", "iss", "sub",
                                             "jti"]})
    if claims["sub"] != subject:
        sys.stderr.write("sub is %r\n" % claims["sub"])
        return 1
    now = time.time()
    if not (now < claims["exp"] <= now + 86400):
        sys.stderr.write("exp %r not in the next day\n" % claims["exp"])
        return 1
    if abs(claims["iat"] - now) > 60:
        sys.stderr.write("iat %r is not now\n" % claims["iat"])
        return 1
    print("ok")
    return 0


def cmd_mint(keyfile, issuer, subject, scope, ttl="300"):
    import jwt

    now = int(time.time())
    claims = {"iss": issuer, "sub": subject, "iat": now,
              "exp": now + int(ttl), "jti": str(uuid.uuid4()),
              "scope": scope}
    tok = jwt.encode(claims, secret(keyfile), algorithm="HS256",
                     headers={"typ": "at+jwt"})
    if isinstance(tok, bytes):
        tok = tok.decode()
    print(tok)
    return 0


def main(argv):
    cmds = {"oauthlib": (cmd_oauthlib, 4, 4), "decode": (cmd_decode, 4, 4),
            "mint": (cmd_mint, 4, 5)}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    fn, lo, hi = cmds[argv[1]]
    args = argv[2:]
    if not lo <= len(args) <= hi:
        sys.stderr.write(__doc__)
        return 2
    try:
        return fn(*args)
    except Exception as e:  # report any library error as a failure
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
