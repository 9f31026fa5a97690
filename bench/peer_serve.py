"""Start the FastAPI peer (peer_app.py) under uvicorn at its best.

    peer_serve.py PORT WORKERS

uvicorn 0.17 (Debian 12) never sets TCP_NODELAY on accepted sockets, so
a response written in two pieces waits on Nagle's algorithm and the
client's delayed ACK (~40 ms a response).  The protocol classes below are
uvicorn's own with TCP_NODELAY set when a connection is made; they are
passed to uvicorn as its HTTP implementation.  Also: httptools (else
h11), uvloop (else asyncio), no access log, WORKERS processes.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uvicorn  # noqa: E402

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
    HTTP_IMPL = "httptools"
except ImportError:  # no python3-httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base
    HTTP_IMPL = "h11"

try:
    import uvloop  # noqa: F401
    LOOP = "uvloop"
except ImportError:
    LOOP = "asyncio"


class NoDelayProtocol(_Base):
    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)


def main():
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    # Imported by name so that worker processes unpickle the class.
    import peer_serve
    print(f"peer: uvicorn {uvicorn.__version__}, http={HTTP_IMPL}, "
          f"loop={LOOP}, workers={workers}, TCP_NODELAY on", flush=True)
    uvicorn.run("peer_app:app", host="127.0.0.1", port=port,
                workers=workers, http=peer_serve.NoDelayProtocol,
                loop=LOOP, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
