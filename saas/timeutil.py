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


def local_time_text(iso: str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A time a service wrote in ISO 8601 (``2026-11-27T10:50:48.791Z``) as the merchant reads it; as it came
    when it is not one."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return iso or ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(MERCHANT_ZONE).strftime(fmt)


def start_of_local_day(moment: datetime | None = None) -> datetime:
    """Midnight in Brasília of the day ``moment`` (now by default) falls on, as a stored (naive UTC) time."""
    local = (moment or utcnow()).replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(timezone.utc).replace(tzinfo=None)
