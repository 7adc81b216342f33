"""Filters for the logging configuration (settings.LOGGING)."""

from __future__ import annotations

import logging


class NotAConflict(logging.Filter):
    """Drop Django's warning for a 409. A conflict answers a lost race (two people moving one
    resident at once, a normal moment in a meeting), not a fault; under load there would be
    thousands of such lines hiding the ones that matter."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 409
