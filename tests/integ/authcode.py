#!/usr/bin/python3
"""The authorization code flow with PKCE through a real web server, with
requests-oauthlib's OAuth2Session used unmodified, as an application
would; the person's sign-in is driven with a plain requests.Session
(the form of GET /login, its CSRF field and cookie, POST /login).

usage: authcode.py BASE_URL USER PASSWORD ISSUER

Clients (made by authcode.sh): "app", public, authorization_code and
refresh_token, redirect URI http://127.0.0.1:9/cb (never listened on:
the redirect is read, not followed); "app2", public, the same redirect
URI; "svc", confidential (secret svc-secret-1), client_credentials.

Prints TAP lines without numbers ("ok - ...", "not ok - ..."); exits
1 when one failed.
"""
import os
import re
import sys
import threading
from urllib.parse import parse_qs, urlparse

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # http, loopback

import requests  # noqa: E402
from oauthlib.oauth2 import (  # noqa: E402
    BackendApplicationClient, WebApplicationClient)
from requests_oauthlib import OAuth2Session  # noqa: E402

CB = "http://127.0.0.1:9/cb"
TIMEOUT = 10
RACERS = 16
failed = 0


def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failed = 1
    return cond


def location(r):
    return r.headers.get("Location", "")


def absolute(base, loc):
    if loc.startswith("/"):
        u = urlparse(base)
        return "%s://%s%s" % (u.scheme, u.netloc, loc)
    return loc


def sign_in(base, browser, login_loc, user, password):
    """Follow the sign-in page the way a browser does; return the
    Location of POST /login (where it sends the browser), or None."""
    r = browser.get(absolute(base, login_loc), allow_redirects=False,
                    timeout=TIMEOUT)
    if not check(r.status_code == 200, "GET /login: the sign-in page"):
        return None
    m = re.search(r'name="csrf"[^>]*value="([^"]*)"', r.text) or \
        re.search(r'value="([^"]*)"[^>]*name="csrf"', r.text)
    if not check(m is not None and "authgate_csrf" in browser.cookies,
                 "the sign-in form has a csrf field and cookie"):
        return ""
    rd = parse_qs(urlparse(login_loc).query).get("rd", [""])[0]
    form = {"username": user, "password": password, "csrf": m.group(1)}
    if rd:
        form["rd"] = rd
    r = browser.post(base + "/login", data=form, allow_redirects=False,
                     timeout=TIMEOUT,
                     headers={"Origin": base, "Sec-Fetch-Site": "same-origin"})
    check(r.status_code == 303, "POST /login: 303")
    return location(r)


def new_flow(base, scope="read"):
    """An OAuth2Session for "app" with a fresh verifier; returns it, the
    verifier and the authorization URL."""
    client = WebApplicationClient("app")
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    oauth = OAuth2Session(client=client, redirect_uri=CB, scope=[scope])
    url, state = oauth.authorization_url(
        base + "/authorize", code_challenge=challenge,
        code_challenge_method="S256")
    return oauth, verifier, url, state


def token_post(base, form, auth=None):
    return requests.post(base + "/token", data=form, auth=auth,
                         timeout=TIMEOUT)


def code_flow(base, user, password, issuer):
    browser = requests.Session()
    oauth, verifier, url, state = new_flow(base)
    r = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    loc = location(r)
    if not check(r.status_code == 302 and "rd=" in loc,
                 "no session: /authorize sends the browser to sign in"):
        return
    back = sign_in(base, browser, loc, user, password)
    if not back:
        return
    check(back.startswith("/authorize?"),
          "signing in sends the browser back to /authorize")
    r = browser.get(absolute(base, back), allow_redirects=False,
                    timeout=TIMEOUT)
    cb = location(r)
    q = parse_qs(urlparse(cb).query)
    if not check(r.status_code == 302 and cb.startswith(CB + "?") and
                 q.get("code") and q.get("state") == [state],
                 "signed in: redirect with code and the same state"):
        return
    check(q.get("iss") == [issuer], "iss in the response (RFC 9207)")
    code = q["code"][0]

    tok = oauth.fetch_token(base + "/token", authorization_response=cb,
                            code_verifier=verifier)
    check(tok.get("access_token") and tok.get("refresh_token") and
          tok.get("scope") in ("read", ["read"]),
          "fetch_token with the verifier: access and refresh tokens")
    r = oauth.get(base + "/protected", timeout=TIMEOUT)
    check(r.status_code == 200 and r.json().get("sub") == user,
          "the token opens /protected as %s" % user)

    again = {"grant_type": "authorization_code", "code": code,
             "redirect_uri": CB, "client_id": "app",
             "code_verifier": verifier}
    r = token_post(base, again)
    check(r.status_code == 400 and r.json().get("error") == "invalid_grant",
          "the code used again: invalid_grant")
    r = oauth.get(base + "/protected", timeout=TIMEOUT)
    check(r.status_code == 401,
          "and the first use's access token is revoked")
    r = token_post(base, {"grant_type": "refresh_token", "client_id": "app",
                          "refresh_token": tok["refresh_token"]})
    check(r.status_code == 400, "and its refresh token")

    # A second code (the session is still there: no sign-in).
    oauth, verifier, url, state = new_flow(base)
    r = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    q = parse_qs(urlparse(location(r)).query)
    if not check(r.status_code == 302 and q.get("code"),
                 "with a session: a code at once"):
        return
    code = q["code"][0]
    wrong = [
        ("a wrong verifier", dict(again, code=code,
                                  code_verifier="x" * 43)),
        ("another redirect_uri", dict(again, code=code, code_verifier=verifier,
                                      redirect_uri=CB + "x")),
        ("another client", dict(again, code=code, code_verifier=verifier,
                                client_id="app2")),
        ("no verifier", {k: v for k, v in dict(
            again, code=code).items() if k != "code_verifier"}),
    ]
    for what, form in wrong:
        r = token_post(base, form)
        check(r.status_code == 400 and r.json().get("error") in
              ("invalid_grant", "invalid_request"), "%s: refused" % what)
    r = token_post(base, dict(again, code=code, code_verifier=verifier))
    check(r.status_code == 200 and r.json().get("access_token"),
          "the refused attempts did not spend the code")
    r = requests.get(base + "/metrics", timeout=TIMEOUT)
    check('authgate_tokens_issued_total{grant="authorization_code"} 2\n'
          in r.text, "two codes redeemed, counted in the metrics")

    # One code, RACERS requests released together: one token, and the
    # others, being second uses, revoke it.
    oauth, verifier, url, state = new_flow(base)
    r = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    code = parse_qs(urlparse(location(r)).query)["code"][0]
    form = dict(again, code=code, code_verifier=verifier)
    bar = threading.Barrier(RACERS)
    got = []

    def racer():
        s = requests.Session()
        try:
            bar.wait(TIMEOUT)
            got.append(s.post(base + "/token", data=form, timeout=TIMEOUT))
        except Exception as e:  # noqa: BLE001
            got.append(e)
    ts = [threading.Thread(target=racer) for _ in range(RACERS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wins = [x for x in got if getattr(x, "status_code", 0) == 200]
    lost = [x for x in got if getattr(x, "status_code", 0) == 400 and
            x.json().get("error") == "invalid_grant"]
    check(len(wins) == 1 and len(lost) == RACERS - 1,
          "%d requests with one code at once: exactly one token (%d, %d)"
          % (RACERS, len(wins), len(lost)))
    if wins:
        r = requests.get(base + "/protected", timeout=TIMEOUT, headers={
            "Authorization": "Bearer " + wins[0].json()["access_token"]})
        check(r.status_code == 401,
              "  and the other uses revoked it")

    # Errors after the client is known go back to it; before, a page.
    oauth, verifier, url, state = new_flow(base)
    r = browser.get(url.replace("code_challenge_method=S256",
                                "code_challenge_method=plain"),
                    allow_redirects=False, timeout=TIMEOUT)
    q = parse_qs(urlparse(location(r)).query)
    check(r.status_code == 302 and q.get("error") == ["invalid_request"] and
          q.get("state") == [state] and q.get("iss") == [issuer],
          "plain PKCE: error, state and iss at the redirect URI")
    evil = url.replace("127.0.0.1%3A9", "evil.example")
    r = browser.get(evil, allow_redirects=False, timeout=TIMEOUT)
    check(r.status_code == 400 and "Location" not in r.headers and
          r.headers.get("Content-Type", "").startswith("text/html"),
          "an unregistered redirect_uri: a page, never a redirect")


def client_credentials(base):
    oauth = OAuth2Session(client=BackendApplicationClient(client_id="svc"))
    tok = oauth.fetch_token(base + "/token", client_id="svc",
                            client_secret="svc-secret-1")
    check(tok.get("access_token") and not tok.get("refresh_token"),
          "client_credentials (BackendApplicationClient): a token, "
          "no refresh token")
    r = oauth.get(base + "/protected", timeout=TIMEOUT)
    check(r.status_code == 200 and r.json().get("sub") == "svc",
          "its token opens /protected as the client")
    r = token_post(base, {"grant_type": "client_credentials",
                          "client_id": "app"})
    check(r.status_code == 400 and
          r.json().get("error") == "unauthorized_client",
          "a public client: unauthorized_client")


def main():
    base, user, password, issuer = sys.argv[1:5]
    try:
        code_flow(base, user, password, issuer)
    except Exception as e:  # noqa: BLE001
        check(False, "code flow raised %r" % e)
    try:
        client_credentials(base)
    except Exception as e:  # noqa: BLE001
        check(False, "client_credentials raised %r" % e)


if __name__ == "__main__":
    main()
    sys.exit(failed)
