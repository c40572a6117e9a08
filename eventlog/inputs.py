"""Reading input files and streams with a bound, so that no input can fill memory or block.

A named file must be a regular file: it is opened with ``O_NONBLOCK`` and checked with
``fstat`` before any read, so a FIFO, a device (``/dev/zero``) or a socket is refused
at once instead of blocking or never ending. A stream (stdin) is read in chunks and
given up as soon as it passes its bound.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The input passed its bound; carries the bound, in bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def read_stream(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit`` bytes of ``stream``, read in chunks; raises ``TooLarge`` beyond."""
    data = bytearray()
    while chunk := stream.read(min(CHUNK, limit + 1 - len(data))):
        data += chunk
        if len(data) > limit:
            raise TooLarge(limit)
    return bytes(data)


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """A regular file's bytes, at most ``limit``; ``OSError`` or ``TooLarge`` otherwise.

    A file that is not regular raises ``OSError`` with the message "not a regular file".
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file (a FIFO, device or directory)")
        if info.st_size > limit:
            raise TooLarge(limit)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return read_stream(fh, limit)
    finally:
        os.close(fd)


def size_words(limit: int) -> str:
    """A bound as the README states it: ``64 MiB``, ``1 GiB``, ``1 MiB``."""
    for unit, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if limit >= unit and limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit:,} bytes"
