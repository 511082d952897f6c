"""Batch progress: a one-line bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

__all__ = ["Progress", "ProgressBar", "LogProgress", "auto_progress"]

logger = logging.getLogger("ncs_emg.batch")


class Progress:
    """Counts files done and failed; subclasses show them. ``total`` may grow while inputs are found."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.errors = 0
        self.skipped = 0
        self.t0 = time.monotonic()

    @property
    def rate(self) -> float:
        """Files finished per second in this run (skipped files not counted)."""
        dt = time.monotonic() - self.t0
        return self.done / dt if dt > 0 else 0.0

    def text(self) -> str:
        """``"done/total files, N errors, R files/s"``."""
        s = f"{self.done + self.skipped}/{self.total} files, {self.errors} errors, {self.rate:.1f} files/s"
        return s + (f" ({self.skipped} already done)" if self.skipped else "")

    def found(self, n: int = 1) -> None:
        """``n`` more inputs to do."""
        self.total += n

    def skip(self, n: int = 1) -> None:
        """``n`` inputs already done in an earlier run."""
        self.skipped += n
        self.show()

    def update(self, status: str, file: str, message: str = "") -> None:
        """One file finished with ``status`` ``"ok"`` or ``"error"``."""
        self.done += 1
        self.errors += status == "error"
        self.show(status, file, message)

    def show(self, status: str = "", file: str = "", message: str = "") -> None:
        """Display the state (no-op here)."""

    def close(self) -> None:
        """The run is over (or interrupted)."""


class ProgressBar(Progress):
    """``[#####.....] 50/100 files, 2 errors, 8.1 files/s`` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30, every_s: float = 0.1):
        super().__init__()
        self.stream = stream or sys.stderr
        self.width, self.every_s, self._last = width, every_s, 0.0

    def show(self, status: str = "", file: str = "", message: str = "") -> None:
        """Redraw the bar (at most every ``every_s`` seconds, always at the end)."""
        now = time.monotonic()
        if now - self._last < self.every_s and self.done + self.skipped < self.total:
            return
        self._last = now
        frac = (self.done + self.skipped) / self.total if self.total else 0.0
        n = int(round(frac * self.width))
        self.stream.write(f"\r[{'#' * n}{'.' * (self.width - n)}] {self.text()}\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._last = 0.0
        self.show()
        self.stream.write("\n")
        self.stream.flush()


class LogProgress(Progress):
    """One log line per error and a summary line every ``every_s`` seconds and at the end.

    Lines go to ``stream`` when given (the CLI: stderr), else to the ``ncs_emg.batch`` logger.
    """

    def __init__(self, stream: TextIO | None = None, every_s: float = 5.0):
        super().__init__()
        self.stream, self.every_s, self._last = stream, every_s, time.monotonic()

    def _line(self, text: str, level: int = logging.INFO) -> None:
        if self.stream is not None:
            self.stream.write(f"batch: {text}\n")
            self.stream.flush()
        else:
            logger.log(level, text)

    def show(self, status: str = "", file: str = "", message: str = "") -> None:
        """Log an error at once; a summary line every ``every_s`` seconds."""
        if status == "error":
            text = message if message.startswith(file) else f"{file}: {message}"
            self._line(f"error: {text}", logging.WARNING)
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            self._line(self.text())

    def close(self) -> None:
        """Log the final summary line."""
        self._line(self.text())


def auto_progress(stream: Any = None) -> Progress:
    """A bar when ``stream`` (default stderr) is a terminal, log lines to it otherwise."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return ProgressBar(stream) if isatty is not None and isatty() else LogProgress(stream)
