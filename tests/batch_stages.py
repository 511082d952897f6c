"""Custom batch stages for the fault tests (imported by name in the spawned workers).

A stage is called with the file path; the file's name says how to misbehave.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def by_name(path: str) -> dict:
    """``hang*`` sleeps for an hour, ``die*`` kills its worker, ``dieonce*`` kills the first worker
    only (a marker file next to it remembers), ``slow*`` takes 0.3 s; anything else returns a row."""
    p = Path(path)
    name = p.name
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("dieonce"):
        marker = p.with_name(name + ".died")
        if not marker.exists():
            marker.write_text("x")
            os._exit(3)
    elif name.startswith("die"):
        os._exit(4)
    if name.startswith("slow"):
        time.sleep(0.3)
    return {"files": [{"name": name, "size_bytes": p.stat().st_size, "pid": os.getpid()}]}
