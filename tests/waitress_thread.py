"""A WSGI app served by waitress in a thread on loopback, and stopped without racing its loop."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server


class WaitressThread:
    """Serve ``app`` with waitress on ``127.0.0.1:port`` (0 picks a free one) in a daemon thread."""

    def __init__(self, app: Any, port: int = 0, threads: int = 8) -> None:
        self.sockets: dict[int, Any] = {}
        self.server = create_server(
            app, map=self.sockets, host="127.0.0.1", port=port, threads=threads
        )
        self.url = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the loop to end."""
        # Workers first: one finishing a request pulls the trigger, which must still be open.
        self.server.task_dispatcher.shutdown()
        # Then close every socket in the loop's own thread; closing them from here races its
        # select() (OSError: Bad file descriptor). An empty map ends the loop.
        try:
            self.server.trigger.pull_trigger(self._close_sockets)
        except OSError:  # the trigger is closed already: the loop has nothing left to serve
            self.server.close()
        self.thread.join(timeout=10)

    def _close_sockets(self) -> None:
        """Close the listener, the trigger and every open connection (in the loop's thread)."""
        self.server.close()
        for channel in list(self.sockets.values()):
            channel.close()
