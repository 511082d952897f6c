"""The clinician's HTML report: one self-contained file (inline SVG figures and CSS, no script).

See ``docs/report.md``.
"""

from __future__ import annotations

from .render import DISCLAIMER_HTML, SEGMENT_KEYS, SITE_KEYS, render_report

__all__ = ["render_report", "DISCLAIMER_HTML", "SITE_KEYS", "SEGMENT_KEYS"]
