"""Redis and the RQ queues, by urgency: orders first, then everyday work, then bulk catalog sync."""
from flask import current_app
from redis import Redis
from rq import Queue

QUEUES = ("orders", "default", "sync")


def redis_connection() -> Redis:
    app = current_app._get_current_object()
    if "redis" not in app.extensions:
        app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5,
                                                 socket_connect_timeout=2, health_check_interval=30)
    return app.extensions["redis"]


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection(), default_timeout=600)
