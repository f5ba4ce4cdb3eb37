"""A TCP proxy that can hang: it keeps every connection open and forwards nothing more.

Stands in for a database link that drops packets: the client's queries are
sent and never answered, and new connections are accepted and never reach
the server.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from tests.servers import free_port


class HangingProxy:
    """Forward 127.0.0.1:``port`` to ``upstream`` until :meth:`hang` is called."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.hung = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=128)
        self._sockets: list[socket.socket] = [self._listener]
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hanging-proxy", daemon=True)

    def __enter__(self) -> HangingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def hang(self) -> None:
        """Stop forwarding, in both directions, on every connection, old and new."""
        self.hung.set()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                elif not self.hung.is_set():
                    self._forward(sock)
            if self.hung.is_set():
                # Read nothing more: what is sent stays unanswered.
                for sock in list(self._pairs):
                    with contextlib.suppress(KeyError, ValueError):
                        self._selector.unregister(sock)

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        self._sockets.append(client)
        if self.hung.is_set():
            return  # accepted, never connected onwards
        server = socket.create_connection(self.upstream)
        self._sockets.append(server)
        self._pairs[client], self._pairs[server] = server, client
        for sock in (client, server):
            self._selector.register(sock, selectors.EVENT_READ)

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        peer = self._pairs[sock]
        if data:
            with contextlib.suppress(OSError):
                peer.sendall(data)
            return
        for end in (sock, peer):  # one side closed: close the other
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(end)
            with contextlib.suppress(OSError):
                end.close()
            self._pairs.pop(end, None)
