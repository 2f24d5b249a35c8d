"""Keep device tokens out of the logs: an OpenRosa URL carries one in its path.

``redact_tokens`` puts a filter on the loggers that may write a request's path (the app's,
waitress', gunicorn's and werkzeug's), which writes ``/openrosa/key/<token>`` in its place.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

TOKEN_PATH = re.compile(r"(/openrosa/key/)[^/\s?#\"']+")
LOGGERS = ("waitress", "gunicorn.error", "gunicorn.access", "werkzeug")


class RedactTokens(logging.Filter):
    """Rewrite a record's message with every OpenRosa token replaced by ``<token>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        message = record.getMessage()
        redacted = TOKEN_PATH.sub(r"\1<token>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_tokens(app: Flask) -> None:
    """Put the filter on the app's logger and on every server's that may log a path."""
    for logger in (app.logger, *(logging.getLogger(name) for name in LOGGERS)):
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
