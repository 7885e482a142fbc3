"""Several uvicorn workers, each with its own listening socket (SO_REUSEPORT).

uvicorn's own `--workers` binds one socket in the parent and shares it: whichever
worker's event loop wakes first accepts every connection waiting, up to a hundred at a
time. Clients that keep their connections open (browsers, proxies, load generators) then
all land on one worker while the others idle: measured with 16 keep-alive clients and
two workers, one worker did all the work (6.0 s of CPU in 8 s) and the other none.

Here each worker binds its own socket to the same address with SO_REUSEPORT, and the
kernel spreads new connections over the sockets by their addresses. The parent only
starts the workers, restarts one that dies, and stops them all on SIGINT or SIGTERM.
Where SO_REUSEPORT is missing (not Linux or BSD), uvicorn's shared socket is used.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import uvicorn

logger = logging.getLogger("uvicorn.error")

APP = "voucher_graph.asgi:app"
BACKLOG = 2048
# A worker that dies this soon after starting is broken (the app, the socket), not
# unlucky: restarting it would fail the same way, so the server stops instead.
STARTUP_SECONDS = 10.0


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port that other workers may bind too (SO_REUSEPORT)."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, options: Mapping[str, Any]) -> None:
    """One worker process: its own socket, one uvicorn server on it."""
    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


class Workers:
    """Start `count` workers, keep them running, stop them on SIGINT or SIGTERM."""

    def __init__(self, count: int, host: str, port: int, options: Mapping[str, Any]) -> None:
        self.count = count
        self.host = host
        self.port = port
        self.options = dict(options)
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.started: list[float] = []
        self.stopping = threading.Event()
        self.failed = False

    def _start(self) -> tuple[Any, float]:
        process = self.context.Process(
            target=_worker, args=(self.host, self.port, self.options), daemon=False
        )
        process.start()
        logger.info("started worker process [%s]", process.pid)
        return process, time.monotonic()

    def _stop(self, _signal: int, _frame: Any) -> None:
        self.stopping.set()

    def run(self) -> int:
        """Serve until stopped; 0 when stopped by a signal, 1 when a worker could not start."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for _ in range(self.count):
                process, at = self._start()
                self.processes.append(process)
                self.started.append(at)
            while not self.stopping.wait(0.5):
                self._keep_alive()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if self.failed else 0

    def _keep_alive(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive():
                continue
            if time.monotonic() - self.started[index] < STARTUP_SECONDS:
                logger.error(
                    "worker process [%s] stopped while starting (exit code %s); stopping",
                    process.pid,
                    process.exitcode,
                )
                self.failed = True
                self.stopping.set()
                return
            logger.warning("worker process [%s] died (exit code %s); restarting it",
                           process.pid, process.exitcode)  # fmt: skip
            self.processes[index], self.started[index] = self._start()

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way
        deadline = time.monotonic() + 30
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
