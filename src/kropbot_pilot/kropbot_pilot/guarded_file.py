"""A file that never keeps half of a failed write, and the bytes that seal an MCAP file (pure).

The recorder's defence against a full disk (see :mod:`kropbot_pilot.bag`): every write is all
or nothing, so the file always ends on an MCAP record boundary and can be sealed with
:func:`minimal_ending`.
"""

from collections import deque
import errno
import os

from mcap.data_stream import RecordBuilder
from mcap.records import DataEnd, Footer
from mcap.writer import MCAP0_MAGIC

#: Errors that mean "no room for the recording".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class DiskFullError(OSError):
    """The disk (or quota, or file size limit) is full; the bag was sealed and is readable."""


class GuardedFile:
    """A write-only file that never keeps half of a failed write (the stream of an MCAP writer).

    Each :meth:`write` is all or nothing: if the OS refuses part of it the file is truncated
    back to where the write started. The start offsets of the last ``keep`` writes are kept so
    that :meth:`drop_last_write` can cut whole writes (MCAP records) off the end.

    Args:
        path: file to create (truncated if it exists).
        write: ``os.write``-like function ``(fd, data) -> bytes written`` (injected by tests to
            simulate a full disk).
        keep: number of write offsets remembered.

    """

    def __init__(self, path, write=os.write, keep=256):
        self.path = str(path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._write = write
        self.pos = 0
        self._starts = deque(maxlen=keep)

    def write(self, data):
        """Write all of ``data`` or nothing.

        Raises:
            DiskFullError: ``ENOSPC``/``EDQUOT``/``EFBIG`` (the partial write was removed).
            OSError: any other error (the partial write was removed too).

        """
        start = self.pos
        view = memoryview(data)
        try:
            while view:
                count = self._write(self._fd, view)
                view = view[count:]
                self.pos += count
        except OSError as exc:
            self.cut(start)
            if exc.errno in FULL_ERRNOS:
                raise DiskFullError(exc.errno, f'{os.strerror(exc.errno)} writing '
                                               f'{self.path}') from None
            raise
        self._starts.append(start)
        return len(data)

    def cut(self, offset):
        """Truncate the file to ``offset`` bytes (and write from there)."""
        os.ftruncate(self._fd, offset)
        os.lseek(self._fd, offset, os.SEEK_SET)
        self.pos = offset

    def drop_last_write(self, floor):
        """Cut the last remembered write off the file if it started at or after ``floor``.

        Returns:
            bool: True if something was cut.

        """
        while self._starts and self._starts[-1] >= self.pos:
            self._starts.pop()  # empty writes
        if not self._starts or self._starts[-1] < floor:
            return False
        self.cut(self._starts.pop())
        return True

    def tell(self):
        """Return the file size so far (bytes)."""
        return self.pos

    def flush(self):
        """Nothing buffered here (each write goes to the OS)."""

    def close(self):
        """Close the descriptor (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def minimal_ending():
    """Return the bytes that close an MCAP data section without a summary.

    A ``DataEnd`` record (CRC 0: not computed), a ``Footer`` with no summary section and the
    closing magic (MCAP specification: the summary section is optional).
    """
    builder = RecordBuilder()
    DataEnd(data_section_crc=0).write(builder)
    Footer(summary_start=0, summary_offset_start=0, summary_crc=0).write(builder)
    return builder.end() + MCAP0_MAGIC
