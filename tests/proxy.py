"""Hung database links: a TCP proxy that can stop forwarding, and a server that never answers.

:class:`HangingProxy` forwards to a real server until :meth:`~HangingProxy.hang`
is called; from then on it keeps every connection open and passes nothing on,
in either direction, and accepts new connections without connecting them
onwards: a link that drops packets, as the client sees it. :class:`HungServer`
is the same, hung from the start, with nothing behind it.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from tests.servers import free_port


class HangingProxy:
    """Forward 127.0.0.1:``port`` to ``upstream`` until :meth:`hang`; count connections.

    Args:
        upstream: Where to forward, or None for a listener that never answers.
    """

    def __init__(self, upstream: tuple[str, int] | None) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.accepted = 0
        self.peak_open = 0
        self.hung = threading.Event()
        if upstream is None:
            self.hung.set()
        self._open: set[socket.socket] = set()  # client connections
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=128)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hanging-proxy", daemon=True)

    @property
    def open_now(self) -> int:
        """Client connections not closed yet."""
        return len(self._open)

    def __enter__(self) -> HangingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in [*self._open, *self._pairs, self._listener]:
            with contextlib.suppress(OSError):
                sock.close()
        self._selector.close()

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
                else:
                    self._read(sock)

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        self.accepted += 1
        self._open.add(client)
        self.peak_open = max(self.peak_open, len(self._open))
        self._selector.register(client, selectors.EVENT_READ)
        if self.hung.is_set() or self.upstream is None:
            return  # accepted, never connected onwards
        server = socket.create_connection(self.upstream)
        self._pairs[client], self._pairs[server] = server, client
        self._selector.register(server, selectors.EVENT_READ)

    def _read(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        peer = self._pairs.get(sock)
        if data:
            if peer is not None and not self.hung.is_set():
                with contextlib.suppress(OSError):
                    peer.sendall(data)
            return  # hung: read and dropped, never answered
        if self.hung.is_set() and sock not in self._open:
            # The server side closed during the hang: the client never hears of it.
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            return
        for end in (sock, peer):  # one side closed: close the other
            if end is None:
                continue
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(end)
            with contextlib.suppress(OSError):
                end.close()
            self._pairs.pop(end, None)
            self._open.discard(end)


class HungServer(HangingProxy):
    """Accept on a free port, never send a byte; count connections open at once and in all."""

    def __init__(self) -> None:
        super().__init__(None)
