"""Let one process at a time write a data directory, with no stale lock after a crash."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from collector.storage.journal import StorageError, StoreLocked

__all__ = ["LOCK_FILE", "DataDirLock", "StoreLocked"]

LOCK_FILE = "collector.storage.lock"


class DataDirLock:
    """An exclusive flock on a file in the data directory, held until release or exit.

    The kernel drops a flock when its holder dies (even by kill -9), so no stale lock can
    survive a crash. The file itself stays: deleting it would let two processes lock two
    different inodes of the same name.
    """

    def __init__(self, data_dir: Path | str, filename: str = LOCK_FILE) -> None:
        self.path = Path(data_dir) / filename
        self._fd = -1

    @property
    def held(self) -> bool:
        """Return whether this object holds the lock."""
        return self._fd >= 0

    def acquire(self) -> DataDirLock:
        """Take the lock or raise StoreLocked naming the process that holds it."""
        if self.held:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"cannot create the lock file {self.path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLocked(
                f"{self.path.parent} is already in use by another doorstep collector "
                f"(pid {holder}); stop it first, or use a different --data directory"
            ) from None
        # The pid is only for the message above; the flock is what guards the directory.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases the flock)."""
        if self.held:
            os.close(self._fd)
            self._fd = -1

    def holder_pid(self) -> int | None:
        """Return the pid of the process holding the lock, or None when it is free."""
        if self.held:
            return os.getpid()
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.pread(fd, 32, 0).decode(errors="replace").strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
