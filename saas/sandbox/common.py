"""What both simulators share: a small document store on their own SQLite file, and the fault knobs.

Knobs (per run; from the environment at start, changeable at ``POST /_admin/knobs``): ``latency_ms`` added to every
answer, ``item_latency_ms`` added for each item of a call's ``items`` (a simulation of 50 SKUs costs more than one of
one), ``error_rate`` (share of 5xx) and ``throttle_rate`` (share of 429 with ``Retry-After``). They apply to the
API routes, never to ``/_admin``.
"""
import json
import os
import random
import threading
import time
from pathlib import Path

from flask import jsonify, request
from sqlalchemy import create_engine, text

from saas.config import INSTANCE

KNOB_DEFAULTS = {"latency_ms": 0.0, "item_latency_ms": 0.0, "error_rate": 0.0, "throttle_rate": 0.0,
                 "retry_after": 2, "hourly_limit": 0, "notify_merge_seconds": 0.0, "stale_seconds": 0.0}


class Store:
    """Documents by kind and id, as JSON, in one SQLite file; good enough for a simulator, safe across threads."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})
        self.lock = threading.RLock()
        with self.engine.begin() as conn:
            conn.execute(text("PRAGMA journal_mode=WAL"))
            conn.execute(text("CREATE TABLE IF NOT EXISTS docs (kind TEXT, id TEXT, seq INTEGER, data TEXT, "
                              "PRIMARY KEY (kind, id))"))
            conn.execute(text("CREATE INDEX IF NOT EXISTS docs_seq ON docs (kind, seq)"))

    def get(self, kind, ident):
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT data FROM docs WHERE kind=:k AND id=:i"),
                               {"k": kind, "i": str(ident)}).first()
        return json.loads(row[0]) if row else None

    def put(self, kind, ident, data):
        with self.lock, self.engine.begin() as conn:
            self._put(conn, kind, ident, data)
        return data

    def put_many(self, kind, items):
        with self.lock, self.engine.begin() as conn:
            for ident, data in items:
                self._put(conn, kind, ident, data)

    @staticmethod
    def _put(conn, kind, ident, data):
        seq = conn.execute(text("SELECT COALESCE(MAX(seq), 0) + 1 FROM docs WHERE kind=:k"), {"k": kind}).scalar()
        conn.execute(text("INSERT INTO docs (kind, id, seq, data) VALUES (:k, :i, :s, :d) ON CONFLICT (kind, id) "
                          "DO UPDATE SET data=excluded.data"), {"k": kind, "i": str(ident), "s": seq,
                                                                "d": json.dumps(data)})

    def claim(self, kind, ident) -> bool:
        """True for the first caller only, across threads and processes: who does a one-off piece of work."""
        with self.lock, self.engine.begin() as conn:
            return conn.execute(text("INSERT INTO docs (kind, id, seq, data) VALUES (:k, :i, 0, '{}') "
                                     "ON CONFLICT (kind, id) DO NOTHING"), {"k": kind, "i": str(ident)}).rowcount == 1

    def delete(self, kind, ident):
        with self.lock, self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM docs WHERE kind=:k AND id=:i"),
                                {"k": kind, "i": str(ident)}).rowcount

    def all(self, kind):
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT data FROM docs WHERE kind=:k ORDER BY seq"), {"k": kind}).all()
        return [json.loads(r[0]) for r in rows]

    def page(self, kind, offset: int, limit: int):
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT data FROM docs WHERE kind=:k ORDER BY seq LIMIT :l OFFSET :o"),
                                {"k": kind, "l": limit, "o": offset}).all()
        return [json.loads(r[0]) for r in rows]

    def count(self, kind):
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM docs WHERE kind=:k"), {"k": kind}).scalar()

    def next_id(self, kind) -> int:
        with self.lock:
            current = (self.get("counter", kind) or {"value": 0})["value"] + 1
            self.put("counter", kind, {"value": current})
            return current


def data_path(name: str) -> Path:
    return Path(os.environ.get("SANDBOX_DATA_DIR", INSTANCE / "sandbox")) / f"{name}.db"


def install_knobs(app, store: Store, env_prefix: str):
    """Fault knobs on every API route of ``app``; ``GET/POST /_admin/knobs`` read and change them."""
    if store.get("knobs", "current") is None:
        store.put("knobs", "current", {
            name: type(default)(os.environ.get(f"{env_prefix}_{name.upper()}", default))
            for name, default in KNOB_DEFAULTS.items()})

    @app.before_request
    def apply_knobs():
        if request.path.startswith("/_admin"):
            return None
        knobs = {**KNOB_DEFAULTS, **store.get("knobs", "current")}
        body = request.get_json(silent=True) if request.is_json else None
        items = len(body.get("items") or []) if isinstance(body, dict) else 0
        delay = knobs["latency_ms"] + knobs["item_latency_ms"] * items
        if delay:
            time.sleep(delay / 1000)
        roll = random.random()
        if roll < knobs["throttle_rate"]:
            response = jsonify(message="Too many requests")
            response.status_code = 429
            response.headers["Retry-After"] = str(knobs["retry_after"])
            return response
        if roll < knobs["throttle_rate"] + knobs["error_rate"]:
            return jsonify(message="Simulated internal error"), 503
        return None

    @app.route("/_admin/knobs", methods=["GET", "POST"])
    def knobs():
        current = store.get("knobs", "current")
        if request.method == "POST":
            changes = request.get_json(silent=True) or request.form.to_dict()
            unknown = set(changes) - set(KNOB_DEFAULTS)
            if unknown:
                return jsonify(message=f"unknown knobs: {', '.join(sorted(unknown))}"), 400
            current.update({k: type(KNOB_DEFAULTS[k])(v) for k, v in changes.items()})
            store.put("knobs", "current", current)
        return jsonify(current)


def error(message: str, status: int = 400):
    return jsonify(message=message, status=status), status
