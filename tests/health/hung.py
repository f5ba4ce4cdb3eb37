"""A TCP listener that accepts connections and never answers: a hung database."""

from __future__ import annotations

import selectors
import socket
import threading

from tests.servers import free_port


class HungServer:
    """Accept on a free port, never send a byte; count connections open at once and in all."""

    def __init__(self) -> None:
        self.port = free_port()
        self.accepted = 0
        self.peak_open = 0
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=128)
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    client, _ = self._listener.accept()
                    client.setblocking(False)
                    self._selector.register(client, selectors.EVENT_READ)
                    self._open.add(client)
                    self.accepted += 1
                    self.peak_open = max(self.peak_open, len(self._open))
                    continue
                # The client sent its startup packet (ignored) or hung up.
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._selector.unregister(sock)
                    self._open.discard(sock)
                    sock.close()

    @property
    def open_now(self) -> int:
        """Connections the clients have not closed yet."""
        return len(self._open)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in [*self._open, self._listener]:
            sock.close()
        self._selector.close()
