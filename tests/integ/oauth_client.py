#!/usr/bin/python3
"""requests-oauthlib against authgate, used unmodified as a client would.

usage: oauth_client.py BASE_URL USER PASSWORD [CLIENT_ID CLIENT_SECRET]

BASE_URL is where authgate is mounted (".../token" is appended).  With a
client id and secret, the confidential client authenticates with HTTP
Basic, as requests-oauthlib does by default.  Prints TAP lines (without
numbers; the caller counts "ok" lines); exits 1 when one failed.
"""
import os
import sys

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # http, loopback

from oauthlib.oauth2 import LegacyApplicationClient  # noqa: E402
from requests.auth import HTTPBasicAuth  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402

failed = 0


def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failed = 1


def main():
    base, user, password = sys.argv[1:4]
    cid = sys.argv[4] if len(sys.argv) > 4 else None
    secret = sys.argv[5] if len(sys.argv) > 5 else None
    label = "client %s" % cid if cid else "default client"
    token_url = base + "/token"
    auth = HTTPBasicAuth(cid, secret) if cid else None

    s = OAuth2Session(client=LegacyApplicationClient(client_id=cid))
    try:
        tok = s.fetch_token(token_url=token_url, username=user,
                            password=password, client_secret=secret)
    except Exception as e:  # noqa: BLE001
        check(False, "%s: fetch_token raised %r" % (label, e))
        return
    check(tok.get("access_token") and tok.get("refresh_token")
          and tok.get("token_type", "").lower() == "bearer",
          "%s: fetch_token returns access and refresh tokens" % label)
    r = s.get(base + "/protected")
    check(r.status_code == 200 and r.json().get("sub") == user,
          "%s: the session's token opens /protected" % label)

    old = dict(tok)
    try:
        new = s.refresh_token(token_url, auth=auth)
    except Exception as e:  # noqa: BLE001
        check(False, "%s: refresh_token raised %r" % (label, e))
        return
    check(new.get("access_token") != old["access_token"]
          and new.get("refresh_token") not in (None, old["refresh_token"]),
          "%s: refresh_token rotates both tokens" % label)
    r = s.get(base + "/protected")
    check(r.status_code == 200 and r.json().get("sub") == user,
          "%s: the refreshed token opens /protected" % label)


if __name__ == "__main__":
    main()
    sys.exit(failed)
