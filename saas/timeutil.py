from datetime import datetime, timezone
from zoneinfo import ZoneInfo

MERCHANT_ZONE = ZoneInfo("America/Sao_Paulo")


def utcnow() -> datetime:
    """Naive UTC, the one convention for every stored time (SQLite keeps no zone)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_time(moment: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (naive UTC) time as the merchant reads it: Brasília time."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE).strftime(fmt)
