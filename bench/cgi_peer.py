#!/usr/bin/python3
"""A Python CGI doing what authgate's /protected does, for bench/run's
CGI comparison: the bearer token from HTTP_AUTHORIZATION checked with
python-jose (HS256, the key in the file named by $CGI_PEER_KEY, its
bytes up to a final newline, as authgate reads it), then the same JSON.
"""
import json
import os
import sys

from jose import JWTError, jwt


def main():
    with open(os.environ["CGI_PEER_KEY"], "rb") as f:
        key = f.read()
    if key.endswith(b"\n"):
        key = key[:-1]
    auth = os.environ.get("HTTP_AUTHORIZATION", "")
    status, body = "401 Unauthorized", {"error": "invalid_token"}
    if auth[:7].lower() == "bearer ":
        try:
            claims = jwt.decode(auth[7:], key.decode(), algorithms=["HS256"],
                                options={"verify_aud": False})
            status = "200 OK"
            body = {"message": "Hello, authenticated user!",
                    "sub": claims.get("sub"), "scope": claims.get("scope")}
        except JWTError:
            pass
    sys.stdout.write("Status: %s\r\nContent-Type: application/json\r\n\r\n"
                     "%s" % (status, json.dumps(body)))


if __name__ == "__main__":
    main()
