#!/usr/bin/python3
"""tests/integ/browser.py: browser sign-in in a real browser.

Debian's chromium, headless, driven by chromium-driver through
python3-selenium, against a web server on 127.0.0.1 that guards a page
with authgate (tests/integ/browser.sh starts them).  Prints TAP lines
without numbers ("ok - ...", "not ok - ...", "# ...") for browser.sh to
count.  Steps (--steps, comma-separated, in this order):

  signin   open the guarded page: sent to the sign-in page with rd; the
           form is visible at desktop (1280x800) and phone (390x844)
           widths, no horizontal scroll at the phone's; screenshots
  wrong    a wrong password: the page says so
  right    the right password: back on the guarded page
  logout   the sign-out button; the guarded page sends to sign-in again
  code     authorization code + PKCE from a client page (written into
           --client-dir): link -> sign-in -> redirect with code, state,
           iss; the code exchanged at the token endpoint with the
           verifier; a second exchange refused
  static   (harness check) open --guarded, screenshots and width checks

Everything is bounded: --timeout seconds in all (SIGALRM), 10 s a page.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import signal
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common import utils as wd_utils
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

DESKTOP = (1280, 800)
PHONE = (390, 844)
PAGE_SECONDS = 10

opts = None
drv = None
failed = 0


def say(line):
    print(line, flush=True)


def diag(text):
    for ln in str(text).splitlines() or [""]:
        say("# " + ln)


def check(cond, desc, detail=None):
    global failed
    if cond:
        say("ok - %s: %s" % (opts.name, desc))
    else:
        failed += 1
        say("not ok - %s: %s" % (opts.name, desc))
        if detail is not None:
            diag(detail)
        try:
            diag("  at %s" % drv.current_url)
            diag("  page text: %s" % page_text()[:600])
        except Exception:
            pass
    return cond


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


# ------------------------------------------------------------ browser

class LoopbackService(Service):
    """chromedriver reached at 127.0.0.1, never by the name "localhost"
    (selenium 4.8's default): a fresh machine, or a minbase chroot, may
    have no /etc/hosts to resolve it."""

    @property
    def service_url(self):
        return "http://127.0.0.1:%d" % self.port

    def is_connectable(self):
        return wd_utils.is_connectable(self.port, host="127.0.0.1")


def start_browser():
    o = webdriver.ChromeOptions()
    o.binary_location = opts.chromium
    profile = tempfile.mkdtemp(prefix="chromium.", dir=opts.tmp)
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", "--no-first-run", "--no-default-browser-check",
              "--disable-extensions", "--disable-sync",
              "--disable-background-networking",
              "--disable-component-update", "--disable-default-apps",
              "--metrics-recording-only", "--password-store=basic",
              "--use-mock-keychain",
              # Nothing but 127.0.0.1: no name resolves, no proxy.
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
              "--no-proxy-server",
              # chromedriver talks to the browser over a pipe, not a
              # port on "localhost", which may not resolve (no /etc/hosts).
              "--remote-debugging-pipe",
              "--user-data-dir=" + profile,
              "--window-size=%d,%d" % DESKTOP] + (
                  # The test's own self-signed certificate.
                  ["--ignore-certificate-errors"] if opts.insecure else []):
        o.add_argument(a)
    svc = LoopbackService(executable_path=opts.driver,
                  log_path=os.path.join(opts.tmp, "chromedriver.log"))
    d = webdriver.Chrome(service=svc, options=o)
    d.set_page_load_timeout(PAGE_SECONDS)
    d.set_script_timeout(PAGE_SECONDS)
    return d


def viewport(size, mobile):
    """Emulate a screen of size (CSS pixels), as a phone when mobile."""
    w, h = size
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": w, "height": h, "deviceScaleFactor": 2 if mobile else 1,
        "mobile": mobile})
    # The layout of the new size is done before anything is measured.
    drv.execute_script("return document.body && document.body.offsetWidth")


def page_text():
    try:
        return drv.find_element(By.TAG_NAME, "body").text
    except WebDriverException:
        return ""


def path_of(url):
    return urllib.parse.urlsplit(url).path


def query_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query,
                                 keep_blank_values=True)


def wait_for(cond, seconds=PAGE_SECONDS):
    """cond() true within seconds (False otherwise, no exception)."""
    try:
        WebDriverWait(drv, seconds, poll_frequency=0.05).until(
            lambda d: cond())
        return True
    except Exception:
        return False


def screenshot(tag):
    os.makedirs(opts.shots, exist_ok=True)
    path = os.path.join(opts.shots, "%s-%s.png" % (opts.name, tag))
    ok = drv.save_screenshot(path)
    check(ok and os.path.getsize(path) > 1000, "screenshot %s saved" % tag,
          path)
    diag("screenshot: %s" % path)
    return path


def layout_checks(what, size, mobile):
    """At size: the page's form (or body) fits the width and shows."""
    viewport(size, mobile)
    m = drv.execute_script("""
        var f = document.querySelector('form') || document.body;
        var r = f.getBoundingClientRect();
        var de = document.documentElement;
        return {inner: window.innerWidth, innerH: window.innerHeight,
                scroll: Math.max(de.scrollWidth, document.body.scrollWidth),
                left: r.left, right: r.right, top: r.top,
                width: r.width, height: r.height,
                visible: getComputedStyle(f).visibility !== 'hidden' &&
                    getComputedStyle(f).display !== 'none'};""")
    w = size[0]
    label = "%s at %dx%d" % (what, w, size[1])
    if mobile:
        # Without <meta name="viewport" content="width=device-width">
        # a phone lays the page out 980 px wide and shrinks it.
        check(m["inner"] == w, "%s: laid out at the phone's width" % label,
              "window.innerWidth %s" % m["inner"])
        check(m["scroll"] <= m["inner"], "%s: no horizontal scroll" % label,
              "scrollWidth %s > innerWidth %s" % (m["scroll"], m["inner"]))
    check(m["visible"] and m["width"] > 0 and m["height"] > 0
          and m["left"] >= 0 and m["right"] <= m["inner"] + 0.5
          and m["top"] < m["innerH"],
          "%s: the form is visible, within the width" % label, m)
    return m


def signin_form():
    """The sign-in form's username, password and submit elements."""
    try:
        u = drv.find_element(By.CSS_SELECTOR, "input[name=username]")
        p = drv.find_element(By.CSS_SELECTOR, "input[name=password]")
        form = p.find_element(By.XPATH, "./ancestor::form")
        b = form.find_element(By.CSS_SELECTOR,
                              "button[type=submit], input[type=submit],"
                              " button:not([type])")
        return u, p, b
    except WebDriverException:
        return None


def on_signin_page():
    return (path_of(drv.current_url) == opts.login_path
            and signin_form() is not None)


def submit_signin(user, password):
    u, p, b = signin_form()
    u.clear()
    u.send_keys(user)
    p.clear()
    p.send_keys(password)
    before = drv.current_url
    old = drv.find_element(By.TAG_NAME, "html")
    b.click()
    # The form's page is replaced (even when it is the same URL).
    wait_for(lambda: _stale(old))
    return before


def _stale(el):
    try:
        el.tag_name
        return False
    except WebDriverException:
        return True


def guarded_url():
    return opts.base + opts.guarded


# ------------------------------------------------------------ steps

def step_signin():
    drv.get(guarded_url())
    wait_for(on_signin_page)
    check(path_of(drv.current_url) == opts.login_path,
          "guarded page without a session: sent to %s" % opts.login_path,
          drv.current_url)
    rd = query_of(drv.current_url).get("rd", [""])[0]
    check(rd == opts.guarded, "  with rd = the page asked for",
          "rd %r, expected %r" % (rd, opts.guarded))
    check(signin_form() is not None,
          "  the sign-in form: username, password, submit")
    check(opts.expect not in drv.page_source,
          "  the guarded content is not shown")
    layout_checks("sign-in page", DESKTOP, False)
    screenshot("signin-desktop")
    layout_checks("sign-in page", PHONE, True)
    screenshot("signin-phone")
    viewport(DESKTOP, False)


def step_wrong():
    if not on_signin_page():
        drv.get(guarded_url())
        wait_for(on_signin_page)
    submit_signin(opts.user, opts.password + "-wrong")
    wait_for(on_signin_page)
    check(on_signin_page(), "wrong password: the sign-in page again")
    text = page_text()
    check(re.search(opts.wrong_message, text) is not None,
          "  it says the user name or password is wrong",
          "page text does not match /%s/: %s" % (opts.wrong_message,
                                                  text[:400]))
    check(opts.expect not in drv.page_source, "  no guarded content")
    viewport(PHONE, True)
    screenshot("signin-wrong-phone")
    viewport(DESKTOP, False)


def step_right():
    if not on_signin_page():
        drv.get(guarded_url())
        wait_for(on_signin_page)
    submit_signin(opts.user, opts.password)
    wait_for(lambda: drv.current_url == guarded_url())
    check(drv.current_url == guarded_url(),
          "right password: back on the guarded page", drv.current_url)
    check(opts.expect in drv.page_source, "  its content is shown")
    names = [c["name"] for c in drv.get_cookies()]
    check(opts.cookie in names, "  the session cookie %s is set"
          % opts.cookie, names)
    sess = [c for c in drv.get_cookies() if c["name"] == opts.cookie]
    check(bool(sess) and sess[0].get("httpOnly") is True,
          "  HttpOnly", sess)
    check(bool(sess) and sess[0].get("sameSite") == "Lax",
          "  SameSite=Lax", sess)
    if opts.base.startswith("https:"):
        check(bool(sess) and sess[0].get("secure") is True,
              "  Secure (HTTPS)", sess)
    # A reload is served from the session, no sign-in.
    drv.get(guarded_url())
    check(drv.current_url == guarded_url()
          and opts.expect in drv.page_source,
          "  a reload is served with the session")


def find_logout():
    """The sign-out button of the current page, or None."""
    for f in drv.find_elements(By.CSS_SELECTOR, "form"):
        action = f.get_attribute("action") or ""
        if path_of(action).endswith("/logout"):
            bs = f.find_elements(By.CSS_SELECTOR,
                                 "button, input[type=submit]")
            if bs:
                return bs[0]
    return None


def step_logout():
    b = find_logout()
    if b is None:
        # The sign-in page shows who is signed in and the button.
        drv.get(opts.base + opts.login_path)
        b = find_logout()
    if not check(b is not None, "signed in: a sign-out button"):
        return
    old = drv.find_element(By.TAG_NAME, "html")
    b.click()
    wait_for(lambda: _stale(old))
    names = [c["name"] for c in drv.get_cookies()]
    check(opts.cookie not in names, "sign out: the session cookie is gone",
          names)
    drv.get(guarded_url())
    wait_for(on_signin_page)
    check(on_signin_page(),
          "after sign out the guarded page sends to sign-in again")
    check(opts.expect not in drv.page_source, "  no guarded content")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def tls():
    """urllib's TLS context: the test's self-signed certificate."""
    if not opts.insecure:
        return None
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http(method, url, data=None):
    body = urllib.parse.urlencode(data).encode() if data else None
    req = urllib.request.Request(url, data=body, method=method)
    if body:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=PAGE_SECONDS,
                                    context=tls()) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def step_code():
    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state = b64url(secrets.token_bytes(12))
    q = urllib.parse.urlencode({
        "response_type": "code", "client_id": opts.client_id,
        "redirect_uri": opts.redirect_uri, "code_challenge": challenge,
        "code_challenge_method": "S256", "state": state})
    page = os.path.join(opts.client_dir, "index.html")
    with open(page, "w") as f:
        f.write("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Example client</title>
</head><body><h1>Example client</h1>
<p><a id="signin" href="%s/authorize?%s">Sign in with authgate</a></p>
</body></html>
""" % (opts.oauth, q.replace("&", "&amp;")))
    os.chmod(page, 0o644)
    drv.get(opts.base + opts.client_page)
    link = drv.find_element(By.ID, "signin")
    link.click()
    # The sign-in form, whether /authorize sends the browser to the
    # sign-in page or shows the form itself.
    wait_for(lambda: signin_form() is not None
             or drv.current_url.startswith(opts.redirect_uri))
    if check(signin_form() is not None,
             "authorize without a session: the sign-in form",
             drv.current_url):
        submit_signin(opts.user, opts.password)
    wait_for(lambda: drv.current_url.startswith(opts.redirect_uri + "?"))
    url = drv.current_url
    check(url.startswith(opts.redirect_uri + "?"),
          "signed in: redirected to the client's redirect_uri", url)
    q = query_of(url)
    code = q.get("code", [""])[0]
    check(code != "", "  with a code", url)
    check(q.get("state", [""])[0] == state, "  with the state sent", url)
    status, meta = http("GET", opts.oauth +
                        "/.well-known/oauth-authorization-server")
    try:
        issuer = json.loads(meta).get("issuer")
    except ValueError:
        issuer = None
    check(issuer is not None and q.get("iss", [None])[0] == issuer,
          "  with iss = the metadata's issuer (RFC 9207)",
          "iss %r, issuer %r" % (q.get("iss"), issuer))
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": opts.redirect_uri, "client_id": opts.client_id,
            "code_verifier": verifier}
    status, body = http("POST", opts.oauth + "/token", form)
    check(status == 200, "the code exchanged at /token with the verifier",
          "%s %s" % (status, body[:300]))
    try:
        tok = json.loads(body).get("access_token", "")
    except ValueError:
        tok = ""
    req = urllib.request.Request(opts.oauth + "/protected",
                                 headers={"Authorization": "Bearer " + tok})
    try:
        with urllib.request.urlopen(req, timeout=PAGE_SECONDS,
                                    context=tls()) as r:
            who = json.loads(r.read().decode()).get("sub")
    except (urllib.error.URLError, ValueError):
        who = None
    check(who == opts.user, "  its access token names %s at /protected"
          % opts.user, who)
    status, body = http("POST", opts.oauth + "/token", form)
    check(status == 400 and "invalid_grant" in body,
          "  a second exchange of the code: 400 invalid_grant",
          "%s %s" % (status, body[:300]))


def step_static():
    drv.get(guarded_url())
    check(opts.expect in drv.page_source, "the page loads", drv.current_url)
    layout_checks("page", DESKTOP, False)
    screenshot("static-desktop")
    layout_checks("page", PHONE, True)
    screenshot("static-phone")


STEPS = {"signin": step_signin, "wrong": step_wrong, "right": step_right,
         "logout": step_logout, "code": step_code, "static": step_static}


def main():
    global opts, drv
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True, help="label, e.g. lighttpd")
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--oauth", help="token service URL (BASE/oauth)")
    ap.add_argument("--guarded", required=True, help="path of the page")
    ap.add_argument("--expect", required=True, help="text of the page")
    ap.add_argument("--login-path", default="/oauth/login")
    ap.add_argument("--cookie", default="authgate_session")
    ap.add_argument("--user", default="alice")
    ap.add_argument("--password", default="")
    ap.add_argument("--wrong-message", default=r"(?i)incorrect|wrong")
    ap.add_argument("--client-id", default="")
    ap.add_argument("--client-dir", default="")
    ap.add_argument("--client-page", default="/client/index.html")
    ap.add_argument("--redirect-uri", default="")
    ap.add_argument("--steps", default="signin,wrong,right,logout,code")
    ap.add_argument("--shots", required=True, help="screenshot directory")
    ap.add_argument("--tmp", required=True, help="scratch directory")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--driver", default="/usr/bin/chromedriver")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--insecure", action="store_true",
                    help="accept the server's self-signed certificate")
    opts = ap.parse_args()
    if not opts.oauth:
        opts.oauth = opts.base + "/oauth"
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(opts.timeout)
    t0 = time.time()
    try:
        drv = start_browser()
        for s in opts.steps.split(","):
            STEPS[s]()
    except Timeout:
        check(False, "done within %d s" % opts.timeout)
    except Exception as e:  # a step that could not go on
        check(False, "no unexpected error", "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        if drv is not None:
            try:
                drv.quit()
            except Exception:
                pass
    diag("%s: %.1f s" % (opts.name, time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
