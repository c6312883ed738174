"""Logs an operator can read: one event per line, with the tenant and the job it belongs to, and no secret.

Text in development, JSON in production (python-json-logger), chosen by ``LOG_FORMAT``. RQ's routine lines (a job
started, a job finished, a heartbeat) are at ``RQ_LOG_LEVEL``, WARNING by default: the worker's own summary line per
job says the same once, with the outcome.

VTEX authenticates to us by a secret in the URL path, so any line that names a public path (an uncaught exception's
"Exception on /api/vtex/<store>/<secret>/notification", a job's arguments) would carry it: every handler of the
process, gunicorn's included, redacts those paths before anything is written.
"""
import contextlib
import contextvars
import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_SECRET_PATH = re.compile(r"(/api/vtex/[^/\s'\"]+/)[^/\s'\"?#]+")
_context: contextvars.ContextVar[tuple] = contextvars.ContextVar("log_context", default=())
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(where)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def redact(text: str) -> str:
    """``/api/vtex/<store>/<secret>/…`` → ``/api/vtex/<store>/***/…``."""
    return _SECRET_PATH.sub(r"\1***", text)


@contextlib.contextmanager
def context(**fields):
    """Fields (``tenant``, ``job``) added to every line logged inside the block, in this thread."""
    merged = {**dict(_context.get()), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(tuple(merged.items()))
    try:
        yield
    finally:
        _context.reset(token)


class _Redact(logging.Filter):
    """Applied by each handler: the message, its arguments and any traceback lose their secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None if record.exc_text else record.exc_info
        return True


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(_context.get())
        for name in ("tenant", "job"):
            if not hasattr(record, name) and name in fields:
                setattr(record, name, fields[name])
        parts = [f"{n}={getattr(record, n)}" for n in ("tenant", "job") if hasattr(record, n)]
        record.where = f" [{' '.join(parts)}]" if parts else ""
        return True


def configure(log_format: str = "text", rq_level: str = "WARNING") -> None:
    """Install the one handler of the process (stderr), and redact every other handler already there."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_saas", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._saas = True
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
                         if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.setLevel(logging.INFO)
    for name in ("rq", "rq.worker", "rq.scheduler", "rq_scheduler", "rq_scheduler.scheduler"):
        logging.getLogger(name).setLevel(rq_level)
    # RQ and gunicorn bring handlers of their own: the same filters go on every one of them.
    for logger in [root, *map(logging.getLogger, ("gunicorn.error", "gunicorn.access", "rq.worker"))]:
        for each in logger.handlers:
            _install_filters(each)


def _install_filters(handler: logging.Handler) -> None:
    if not any(isinstance(f, _Context) for f in handler.filters):
        handler.addFilter(_Context())
        handler.addFilter(_Redact())
