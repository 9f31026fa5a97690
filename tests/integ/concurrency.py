#!/usr/bin/python3
"""Concurrent clients for tests/integ/concurrency.sh (Debian's
/usr/bin/python3, standard library only).

    concurrency.py flow URL THREADS ROUNDS PREFIX PASSWORD
        THREADS threads; thread i logs in as PREFIX<i> ROUNDS times and
        calls /protected with each token.  Prints a JSON object of counts:
        logins_ok, protected_ok, wrong_sub, status_5xx, other (with the
        first few unexpected answers in "samples").
    concurrency.py fail URL THREADS COUNT USER
        COUNT failed logins for USER (wrong password), spread over THREADS
        threads, all released at once.  Prints the counts by status.
Every request times out after 15 s; the whole run is bounded by the
counts given.
"""

import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 15


def request(url, data=None, headers=None):
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # timeout, reset: counted, not fatal
        return 0, repr(e).encode()


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.samples = []

    def add(self, key, sample=None):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + 1
            if sample is not None and len(self.samples) < 5:
                self.samples.append(sample)


def flow(url, threads, rounds, prefix, password):
    counts = Counts()
    start = threading.Barrier(threads)

    def worker(i):
        user = "%s%d" % (prefix, i)
        start.wait()
        for _ in range(rounds):
            st, body = request(url + "/token",
                               {"grant_type": "password", "username": user,
                                "password": password})
            if st >= 500 or st == 0:
                counts.add("status_5xx", [user, "token", st, body[:200].decode("utf-8", "replace")])
                continue
            if st != 200:
                counts.add("other", [user, "token", st, body[:200].decode("utf-8", "replace")])
                continue
            counts.add("logins_ok")
            tok = json.loads(body)["access_token"]
            st, body = request(url + "/protected",
                               headers={"Authorization": "Bearer " + tok})
            if st >= 500 or st == 0:
                counts.add("status_5xx", [user, "protected", st, body[:200].decode("utf-8", "replace")])
            elif st != 200:
                counts.add("other", [user, "protected", st, body[:200].decode("utf-8", "replace")])
            elif json.loads(body).get("sub") != user:
                counts.add("wrong_sub", [user, body[:200].decode("utf-8", "replace")])
            else:
                counts.add("protected_ok")

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out = {k: counts.c.get(k, 0) for k in
           ("logins_ok", "protected_ok", "wrong_sub", "status_5xx", "other")}
    out["samples"] = counts.samples
    return out


def fail(url, threads, count, user):
    counts = Counts()
    start = threading.Barrier(threads)
    per = [count // threads + (1 if i < count % threads else 0)
           for i in range(threads)]

    def worker(n):
        start.wait()
        for _ in range(n):
            st, body = request(url + "/token",
                               {"grant_type": "password", "username": user,
                                "password": "wrong-password"})
            counts.add(str(st), None if st == 400 else
                       [st, body[:200].decode("utf-8", "replace")])

    ts = [threading.Thread(target=worker, args=(n,)) for n in per]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out = dict(counts.c)
    out["samples"] = counts.samples
    return out


def main(argv):
    if len(argv) == 7 and argv[1] == "flow":
        out = flow(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6])
    elif len(argv) == 6 and argv[1] == "fail":
        out = fail(argv[2], int(argv[3]), int(argv[4]), argv[5])
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
