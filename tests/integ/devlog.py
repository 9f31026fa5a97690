#!/usr/bin/python3
"""A stand-in for syslog on /dev/log, for syslog.sh and audit.sh, which
run it in a mount namespace whose /dev is a private tmpfs.

    devlog.py OUT
        Binds /dev/log, creates OUT.ready, then writes the first two
        datagrams it receives (within 5 s of each other) to OUT, a line
        each.
"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(5)
with open(sys.argv[1], "w") as out:
    try:
        for _ in range(2):
            out.write(s.recv(4096).decode(errors="replace") + "\n")
    except socket.timeout:
        pass
