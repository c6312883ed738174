"""What every request must be before a view reads it: a bounded body, JSON that parses (and is not nested past
Python's recursion limit), no control character in the path, the query or a form field, no NUL in JSON strings.
Anything else is a 4xx that says why, before a view, the database or a counter sees it.

PostgreSQL refuses NUL in text and JSON, and a ``RecursionError`` is not the ``ValueError`` Werkzeug turns into a
400: without these checks both reach the database or the view and become 500s.
"""
import re

from flask import Request, current_app, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_BODY_BYTES = 1024 * 1024  # an NF-e XML embedded in an invoice is a few tens of kB
MAX_PAGE = 100_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # the escape \u0000, not an escaped backslash before "u0000"


class JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        if isinstance(s, bytes):
            s = s.decode("utf-8")
        if _JSON_NUL.search(s):
            raise ValueError("strings must not contain the NUL character (\\u0000)")
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("nested too deep") from None


class RowId(IntegerConverter):
    """``<int:…>`` in an address: a row id fits the database's integer, so a longer number is a 404, not a 500."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class AppRequest(Request):
    def on_json_loading_failed(self, e):
        raise BadRequest(f"The body is not valid JSON ({e}).")


def json_body():
    """The request's JSON, whatever its content type; None for an empty body; 400 for anything else unreadable."""
    if not request.get_data(cache=True):
        return None
    return request.get_json(force=True)


def page_number() -> int:
    """The ``page`` argument of a listing: 1 when absent or not a number, and never past what a database offset
    can hold."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def install(app) -> None:
    app.request_class = AppRequest
    app.url_map.converters["int"] = RowId
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(_refuse_control_characters)
    app.register_error_handler(400, _error(400))
    app.register_error_handler(413, _error(413))


def _refuse_control_characters():
    if _CONTROL.search(request.path):
        raise BadRequest("The address contains a control character.")
    for name, value in request.args.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise BadRequest(f"The query parameter {name!r} contains a control character.")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise BadRequest(f"The field {name!r} contains the NUL character.")


def _error(code: int):
    messages = {400: _l("Invalid request."), 413: _l("What was sent is too large.")}

    def handler(error):
        if request.path.startswith("/api/"):
            reason = error.description if code == 400 else (
                f"The body is larger than {current_app.config['MAX_CONTENT_LENGTH'] // 1024} kB.")
            return jsonify(error=reason), code
        message = _("The form expired; reload the page and send it again.") if isinstance(error, CSRFError) \
            else messages[code]
        return render_template("error.html", code=code, message=message), code
    return handler
