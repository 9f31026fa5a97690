#!/usr/bin/python3
"""Hostile tokens for tests/integ/attacks.sh.  Run with Debian's
/usr/bin/python3 (python3-jwt, python3-cryptography).

    attacks.py hs KEYFILE ISSUER JKU_URL
        HS256 deployment with the secret of KEYFILE (bytes up to a final
        newline).  Prints one line per case: EXPECT TAB NAME TAB TOKEN.
        EXPECT is "200" (valid), "401" (401 invalid_token) or "bad"
        (401 invalid_token, or 400 invalid_request when the text is not
        even an RFC 6750 b64token).
    attacks.py rs KEYFILE ISSUER AUDIENCE JWKS_FILE
        RS256 deployment (KEYFILE the PEM private key, JWKS_FILE the
        /.well-known/jwks.json answer): the same format; the algorithm
        confusion cases sign HS256 with the published public key.
    attacks.py listen PORTFILE LOGFILE SECONDS
        listens on a free port of 127.0.0.1 (written to PORTFILE) for
        SECONDS at most and appends a line to LOGFILE for every connection.
    attacks.py bigheader PORT NBYTES
        sends GET /protected with a bearer token of NBYTES over a raw
        socket; prints the status (000 when the server closed without
        one).
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import time
import uuid


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secret(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.endswith(b"\n"):
        data = data[:-1]
    return data


def claims(issuer, **over):
    now = int(time.time())
    c = {"iss": issuer, "sub": "bob", "iat": now, "nbf": now,
         "exp": now + 300, "jti": str(uuid.uuid4()), "scope": "read"}
    for k, v in over.items():
        if v is None and k.endswith("_"):
            c.pop(k[:-1], None)
        else:
            c[k.rstrip("_")] = v
    return c


def hs_sign(key, hdr_text, pay_text):
    """Compact JWS over raw header and payload JSON texts."""
    signing = b64(hdr_text) + "." + b64(pay_text)
    sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64(sig)


def hs(key, hdr=None, pay=None):
    h = json.dumps(hdr if hdr is not None else
                   {"alg": "HS256", "typ": "at+jwt"}, separators=(",", ":"))
    p = json.dumps(pay, separators=(",", ":"))
    return hs_sign(key, h, p)


def out(expect, name, token):
    sys.stdout.write("%s\t%s\t%s\n" % (expect, name, token))


def cmd_hs(keyfile, issuer, jku):
    key = secret(keyfile)
    other = b"another secret, not ours"
    good = hs(key, pay=claims(issuer))
    out("200", "valid token (control)", good)
    h_good, p_good, s_good = good.split(".")
    pay = json.dumps(claims(issuer), separators=(",", ":"))

    # alg none, in three spellings, with and without a signature part.
    for alg in ("none", "None", "NONE"):
        h = b64(json.dumps({"alg": alg, "typ": "at+jwt"}))
        out("401", "alg %s, empty signature" % alg, h + "." + b64(pay) + ".")
        out("401", "alg %s, with a signature" % alg,
            h + "." + b64(pay) + "." + s_good)
        out("401", "alg %s, no signature part" % alg, h + "." + b64(pay))
    out("401", "alg missing", hs(key, {"typ": "at+jwt"}, claims(issuer)))
    out("401", "alg HS512 signed with our key",
        hs(key, {"alg": "HS512", "typ": "at+jwt"}, claims(issuer)))
    out("401", "alg hs256 (case)",
        hs(key, {"alg": "hs256", "typ": "at+jwt"}, claims(issuer)))
    out("401", "missing signature", h_good + "." + p_good + ".")
    out("401", "signature of another token",
        h_good + "." + b64(json.dumps(claims(issuer, sub="root"))) + "." +
        s_good)
    out("401", "HS256 signed with another key",
        hs(other, pay=claims(issuer)))
    out("401", "HS256 signed with an empty key", hs(b"", pay=claims(issuer)))
    # typ
    out("401", "typ missing", hs(key, {"alg": "HS256"}, claims(issuer)))
    out("401", "typ JWT", hs(key, {"alg": "HS256", "typ": "JWT"},
                             claims(issuer)))
    out("401", "typ wrong", hs(key, {"alg": "HS256", "typ": "id+jwt"},
                               claims(issuer)))
    out("401", "typ a number", hs(key, {"alg": "HS256", "typ": 1},
                                  claims(issuer)))
    out("401", "crit header", hs(key, {"alg": "HS256", "typ": "at+jwt",
                                       "crit": ["exp"]}, claims(issuer)))
    out("401", "crit header, empty list",
        hs(key, {"alg": "HS256", "typ": "at+jwt", "crit": []},
           claims(issuer)))
    # kid: only selects among keys already loaded.
    try:
        with open("/etc/passwd", "rb") as f:
            passwd = f.read()
    except OSError:
        passwd = b"root:x:0:0:root:/root:/bin/bash\n"
    for kid, k, what in (("../../etc/passwd", passwd, "the file's bytes"),
                         ("../../../../../../etc/passwd", passwd,
                          "the file's bytes"),
                         ("/dev/null", b"", "an empty key"),
                         ("' OR 1=1 --", b"", "an empty key"),
                         ("' OR 1=1 --", b"' OR 1=1 --", "the kid"),
                         ("../../etc/passwd", key, "our key"),
                         ("' OR 1=1 --", key, "our key")):
        out("401", "kid %r signed with %s" % (kid, what),
            hs(k, {"alg": "HS256", "typ": "at+jwt", "kid": kid},
               claims(issuer)))
    out("401", "kid a number", hs(key, {"alg": "HS256", "typ": "at+jwt",
                                        "kid": 0}, claims(issuer)))
    # jku, x5u, jwk, x5c: ignored, never fetched.
    out("200", "our key, jku pointing at a listener (ignored)",
        hs(key, {"alg": "HS256", "typ": "at+jwt", "jku": jku},
           claims(issuer)))
    out("200", "our key, x5u pointing at a listener (ignored)",
        hs(key, {"alg": "HS256", "typ": "at+jwt", "x5u": jku},
           claims(issuer)))
    out("401", "attacker key, jku pointing at a listener",
        hs(other, {"alg": "HS256", "typ": "at+jwt", "jku": jku},
           claims(issuer)))
    out("401", "attacker key, x5u pointing at a listener",
        hs(other, {"alg": "HS256", "typ": "at+jwt", "x5u": jku},
           claims(issuer)))
    out("401", "attacker key embedded as jwk header",
        hs(other, {"alg": "HS256", "typ": "at+jwt",
                   "jwk": {"kty": "oct", "k": b64(other)}},
           claims(issuer)))
    out("401", "attacker key, x5c header",
        hs(other, {"alg": "HS256", "typ": "at+jwt",
                   "x5c": [base64.b64encode(other).decode()]},
           claims(issuer)))
    # Duplicate names.
    out("401", "header with two alg (none, HS256)", hs_sign(
        key, '{"alg":"none","alg":"HS256","typ":"at+jwt"}', pay))
    out("401", "header with two alg (HS256, none)", hs_sign(
        key, '{"alg":"HS256","alg":"none","typ":"at+jwt"}', pay))
    out("401", "header with two typ", hs_sign(
        key, '{"alg":"HS256","typ":"JWT","typ":"at+jwt"}', pay))
    c = claims(issuer)
    dup = json.dumps(c, separators=(",", ":"))[:-1] + ',"sub":"root"}'
    out("401", "payload with two sub", hs_sign(
        key, '{"alg":"HS256","typ":"at+jwt"}', dup))
    dup = json.dumps(c, separators=(",", ":"))[:-1] + \
        ',"exp":%d}' % (c["exp"] + 10 ** 8)
    out("401", "payload with two exp", hs_sign(
        key, '{"alg":"HS256","typ":"at+jwt"}', dup))
    # Strict base64url.  A payload whose encoding needs padding.
    for extra in ("", "x", "xx"):
        p = json.dumps(claims(issuer, pad=extra), separators=(",", ":"))
        if len(p) % 3:
            break
    t = hs_sign(key, '{"alg":"HS256","typ":"at+jwt"}', p)
    th, tp, ts = t.split(".")
    out("200", "control for the padding cases", t)
    padded = base64.urlsafe_b64encode(p.encode()).decode()
    out("bad", "payload with '=' padding", th + "." + padded + "." + ts)
    sig_raw = base64.urlsafe_b64decode(ts + "=" * (-len(ts) % 4))
    out("bad", "signature with '=' padding",
        th + "." + tp + "." + base64.urlsafe_b64encode(sig_raw).decode())
    out("bad", "whitespace in the payload", th + "." + tp[:10] + " " +
        tp[10:] + "." + ts)
    out("bad", "tab in the payload", th + "." + tp[:10] + "\t" +
        tp[10:] + "." + ts)
    std = base64.b64encode(p.encode()).decode().rstrip("=")
    if "+" in std or "/" in std:
        out("401", "payload in standard base64", th + "." + std + "." + ts)
    out("401", "'+' in the signature", th + "." + tp + "." + ts[:-2] +
        "+" + ts[-1])
    out("401", "'/' in the payload", th + "." + tp[:-2] + "/" + tp[-1] +
        "." + ts)
    out("bad", "'*' in the payload", th + "." + tp[:-2] + "*" + tp[-1] +
        "." + ts)
    out("bad", "'%' escape in the payload", th + "." + tp[:-2] + "%41" +
        "." + ts)
    # Stray bits: the last character of a part that does not end on a
    # byte boundary changed in its unused bits only.
    alpha = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789-_")
    out("401", "stray bits in the signature",
        th + "." + tp + "." + ts[:-1] + alpha[alpha.index(ts[-1]) ^ 1])
    # Non-string sub.
    for v, what in ((123, "a number"), (["bob"], "an array"),
                    (None, "null"), ({"u": "bob"}, "an object"),
                    (True, "true"), ("", "empty")):
        out("401", "sub %s" % what, hs(key, pay=claims(issuer, sub=v)))
    out("401", "sub missing", hs(key, pay=claims(issuer, sub_=None)))
    # exp
    now = int(time.time())
    for text, what in (("%d.5" % (now + 300), "a float"),
                       ("%d.0" % (now + 300), "a float .0"),
                       ("%de0" % (now + 300), "with an exponent"),
                       ("1e400", "1e400"),
                       ("9223372036854775808", "2^63"),
                       ("18446744073709551616", "2^64"),
                       ("99999999999999999999999999", "huge"),
                       ("-1", "negative"),
                       ("-9223372036854775809", "below -2^63"),
                       ('"%d"' % (now + 300), "a string"),
                       ("null", "null")):
        c = claims(issuer)
        body = json.dumps(c, separators=(",", ":"))
        body = body.replace('"exp":%d' % c["exp"], '"exp":' + text)
        out("401", "exp %s" % what,
            hs_sign(key, '{"alg":"HS256","typ":"at+jwt"}', body))
    out("401", "exp missing", hs(key, pay=claims(issuer, exp_=None)))
    # Nesting.  10,000 deep is over the 8 KiB limit; 2,500 deep is not,
    # so the JSON parser's depth bound is reached too.
    for depth in (10000, 2500):
        body = json.dumps(claims(issuer), separators=(",", ":"))
        body = body[:-1] + ',"x":' + "[" * depth + "]" * depth + "}"
        out("401", "payload nested %d deep" % depth,
            hs_sign(key, '{"alg":"HS256","typ":"at+jwt"}', body))
    hdr = '{"alg":"HS256","typ":"at+jwt","x":' + "[" * 2500 + \
        "]" * 2500 + "}"
    out("401", "header nested 2500 deep", hs_sign(key, hdr, pay))
    # Shape
    out("401", "empty parts ..", "..")
    out("401", "empty header", "." + p_good + "." + s_good)
    out("401", "empty payload", h_good + ".." + s_good)
    out("401", "four parts", good + "." + s_good)
    out("401", "five parts (JWE form)", good + ".AAAA.BBBB")
    out("401", "two parts", h_good + "." + p_good)
    out("401", "one part", h_good)
    out("401", "header not JSON", b64("not json") + "." + p_good + "." +
        s_good)
    out("401", "header a JSON array",
        hs_sign(key, '["HS256"]', pay))
    out("401", "payload not JSON", hs_sign(
        key, '{"alg":"HS256","typ":"at+jwt"}', "not json"))
    out("401", "payload with trailing garbage", hs_sign(
        key, '{"alg":"HS256","typ":"at+jwt"}', pay + "x"))
    out("401", "payload with invalid UTF-8", hs_sign(
        key, '{"alg":"HS256","typ":"at+jwt"}',
        pay[:-1].encode() + b',"x":"\xff\xfe"}'))
    out("401", "payload with a NUL in sub", hs_sign(
        key, '{"alg":"HS256","typ":"at+jwt"}',
        pay.replace('"sub":"bob"', '"sub":"bob\\u0000root"')))
    # Claims
    out("401", "expired", hs(key, pay=claims(issuer, exp=now - 600,
                                             iat=now - 1200,
                                             nbf=now - 1200)))
    out("401", "nbf in the future", hs(key, pay=claims(issuer,
                                                      nbf=now + 600)))
    out("401", "iat in the future", hs(key, pay=claims(issuer,
                                                      iat=now + 600)))
    out("401", "wrong iss", hs(key, pay=claims("someone-else")))
    out("401", "iss missing", hs(key, pay=claims(issuer, iss_=None)))
    out("401", "aud when none is configured",
        hs(key, pay=claims(issuer, aud="api")))
    out("200", "valid token (control, last)", hs(key, pay=claims(issuer)))
    return 0


def cmd_rs(keyfile, issuer, audience, jwksfile):
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    with open(keyfile, "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), None)
    with open(jwksfile) as f:
        jwks = json.load(f)
    jwk = jwks["keys"][0]
    kid = jwk.get("kid")

    def ub(s):
        return int.from_bytes(base64.urlsafe_b64decode(s + "=" *
                                                       (-len(s) % 4)),
                              "big")
    pub = rsa.RSAPublicNumbers(ub(jwk["e"]), ub(jwk["n"])).public_key()
    pem = pub.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    pem1 = pub.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.PKCS1)
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    # The JWKS must publish exactly the key we hold.
    if pub.public_numbers() != priv.public_key().public_numbers():
        sys.stderr.write("JWKS key is not the key of %s\n" % keyfile)
        return 1

    def rs(c, hdr=None):
        h = {"typ": "at+jwt"}
        if kid is not None:
            h["kid"] = kid
        h.update(hdr or {})
        t = jwt.encode(c, priv, algorithm="RS256", headers=h)
        return t.decode() if isinstance(t, bytes) else t

    out("200", "RS256 valid token (control)",
        rs(claims(issuer, aud=audience)))
    for hkey, what in ((pem, "PEM public key"),
                       (pem.rstrip(b"\n"), "PEM public key, no newline"),
                       (pem1, "PKCS#1 PEM public key"),
                       (der, "DER public key"),
                       (json.dumps(jwk).encode(), "JWK text")):
        for with_kid in (True, False):
            h = {"alg": "HS256", "typ": "at+jwt"}
            if with_kid and kid is not None:
                h["kid"] = kid
            out("401", "HS256 signed with the %s%s" %
                (what, ", our kid" if with_kid else ""),
                hs(hkey, h, claims(issuer, aud=audience)))
    # alg RS256 in the header, but an HMAC over it with the public key.
    h = {"alg": "RS256", "typ": "at+jwt"}
    if kid is not None:
        h["kid"] = kid
    out("401", "alg RS256, HMAC with the PEM public key as signature",
        hs(pem, h, claims(issuer, aud=audience)))
    out("401", "RS256, alg none", b64(json.dumps({"alg": "none",
                                                  "typ": "at+jwt"})) + "." +
        b64(json.dumps(claims(issuer, aud=audience))) + ".")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    t = jwt.encode(claims(issuer, aud=audience), other, algorithm="RS256",
                   headers={"typ": "at+jwt", "kid": kid} if kid else
                   {"typ": "at+jwt"})
    out("401", "RS256 signed by another RSA key, our kid",
        t.decode() if isinstance(t, bytes) else t)
    onum = other.public_key().public_numbers()

    def ib(i):
        return b64(i.to_bytes((i.bit_length() + 7) // 8, "big"))
    t = jwt.encode(claims(issuer, aud=audience), other, algorithm="RS256",
                   headers={"typ": "at+jwt",
                            "jwk": {"kty": "RSA", "n": ib(onum.n),
                                    "e": ib(onum.e)}})
    out("401", "RS256 by an attacker key embedded as jwk header",
        t.decode() if isinstance(t, bytes) else t)
    out("401", "wrong aud", rs(claims(issuer, aud="someone-else")))
    out("401", "aud missing (audience configured)", rs(claims(issuer)))
    out("401", "aud a number", rs(claims(issuer, aud=1)))
    out("401", "expired (RS256)",
        rs(claims(issuer, aud=audience, exp=int(time.time()) - 600)))
    out("401", "wrong iss (RS256)", rs(claims("nobody", aud=audience)))
    out("200", "RS256 valid token (control, last)",
        rs(claims(issuer, aud=audience)))
    return 0


def cmd_listen(portfile, logfile, seconds):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    s.settimeout(0.5)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    end = time.time() + float(seconds)
    while time.time() < end:
        try:
            c, addr = s.accept()
        except socket.timeout:
            continue
        with open(logfile, "a") as f:
            f.write("connection from %s:%d\n" % addr)
        c.close()
    return 0


def cmd_bigheader(port, nbytes):
    tok = ("A" * (int(nbytes) - 8)) + ".AAA.AAA"
    req = ("GET /protected HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % tok)
    s = socket.create_connection(("127.0.0.1", int(port)), 10)
    s.settimeout(10)
    data = b""
    try:
        s.sendall(req.encode())
    except OSError:
        pass		# the server may close before reading it all
    try:
        while len(data) < 65536:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        pass
    s.close()
    line = data.split(b"\r\n", 1)[0].split()
    print(line[1].decode() if len(line) >= 2 else "000")
    return 0


def main(argv):
    cmds = {"hs": (cmd_hs, 3), "rs": (cmd_rs, 4), "listen": (cmd_listen, 3),
            "bigheader": (cmd_bigheader, 2)}
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
