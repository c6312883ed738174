from datetime import datetime, timezone


def utcnow() -> datetime:
    """Naive UTC, the one convention for every stored time (SQLite keeps no zone)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
