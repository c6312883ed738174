"""The Procfile's worker: a pool of real processes, one taking only the urgent queue, each started again when it
dies, none outliving the pool."""
import os
import signal
import subprocess
import sys
import time

from rq import Worker

from saas.config import ROOT
from saas.extensions import redis_connection
from saas.jobs.queues import QUEUES


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def live_workers() -> dict[int, tuple[str, ...]]:
    """The pid → queues of every registered worker whose process lives."""
    return {w.pid: tuple(w.queue_names()) for w in Worker.all(connection=redis_connection()) if alive(w.pid)}


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError("not within the time")


def test_the_pool_keeps_its_workers_and_one_takes_only_urgent_work(app, tmp_path):
    redis_url = app.config["REDIS_URL"]
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
           "WORKER_PROCESSES": "3", "TICK_INTERVAL": "2"}
    pool = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def three():
            workers = live_workers()
            return workers if len(workers) == 3 else None
        workers = wait_for(three)
        assert sorted(workers.values()) == sorted([(QUEUES[0],), QUEUES, QUEUES])
        urgent = next(pid for pid, queues in workers.items() if queues == (QUEUES[0],))

        os.kill(urgent, signal.SIGKILL)  # the urgent worker dies: another takes its place, urgent work only
        replaced = wait_for(lambda: (w := three()) and urgent not in w and w)
        assert sorted(replaced.values()) == sorted([(QUEUES[0],), QUEUES, QUEUES])

        os.kill(pool.pid, signal.SIGKILL)  # the pool dies: so do its workers
        pool.wait()
        wait_for(lambda: not any(alive(pid) for pid in replaced), timeout=10)
    finally:
        if pool.poll() is None:
            os.killpg(pool.pid, signal.SIGKILL)
            pool.wait()
