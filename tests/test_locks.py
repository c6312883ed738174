"""Locks die with their holder: renewed while it lives, gone within the TTL once it is killed."""
import os
import signal
import subprocess
import sys
import time

from saas.config import ROOT
from saas.extensions import redis_connection
from saas.jobs import locks

HOLDER = """
import sys, time
from saas import create_app
from saas.jobs import locks
locks.TTL = 2
app = create_app({"REDIS_URL": sys.argv[1]})
with app.app_context(), locks.hold("saas:lock:test:killed") as held:
    print("held" if held else "busy", flush=True)
    time.sleep(60)
"""


def test_a_lock_is_exclusive_and_released_at_the_end_of_its_block(app):
    with locks.hold("saas:lock:test:a") as first:
        with locks.hold("saas:lock:test:a") as second:
            assert first and not second
        assert locks.held(["saas:lock:test:a", "saas:lock:test:b"]) == [True, False]
    assert locks.held(["saas:lock:test:a"]) == [False]


def test_a_live_holder_keeps_its_lock_past_the_ttl(app, monkeypatch):
    monkeypatch.setattr(locks, "TTL", 1)
    with locks.hold("saas:lock:test:long") as held:
        assert held
        time.sleep(2.5)  # more than twice the TTL: the keeper renewed it
        assert redis_connection().exists("saas:lock:test:long")
        with locks.hold("saas:lock:test:long") as other:
            assert not other


def test_the_lock_of_a_killed_holder_expires_within_its_ttl(app):
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"]}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, app.config["REDIS_URL"]], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        time.sleep(3)  # past the TTL while alive: renewed
        assert redis_connection().exists("saas:lock:test:killed")
        os.kill(holder.pid, signal.SIGKILL)
        killed = time.monotonic()
        while redis_connection().exists("saas:lock:test:killed"):
            assert time.monotonic() - killed < 2.5, "the lock outlived its killed holder by more than its TTL"
            time.sleep(0.05)
    finally:
        holder.kill()
        holder.wait()
    with locks.hold("saas:lock:test:killed") as held:
        assert held
