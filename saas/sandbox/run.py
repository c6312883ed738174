"""``make run``: the whole product on one machine, with the simulators in place of Carrefour and VTEX.

Finds or starts Redis, migrates the database (SQLite under instance/ unless DATABASE_URL is set), seeds the demo
merchant, and runs the Procfile's web, worker and scheduler with both simulators under honcho, on short demo cycles.
"""
import os
import subprocess
import sys
from pathlib import Path

from honcho.manager import Manager

from saas.config import ROOT
from saas.sandbox.redis_local import ensure_redis

PORT = int(os.environ.get("PORT", "5000"))
VTEX_PORT, MIRAKL_PORT = 5101, 5102
DEMO_CYCLES = {"SYNC_INTERVAL": "60", "ORDERS_INTERVAL": "30", "REPORT_DELAY": "15", "TICK_INTERVAL": "10",
               "SANDBOX_MIRAKL_APPROVAL_SECONDS": "45", "SANDBOX_MIRAKL_ORDERS_PER_MINUTE": "1"}


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if command.strip():
            entries[name.strip()] = command.strip()
    return entries


def main():
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
           "FLASK_APP": "wsgi", "PORT": str(PORT), "PUBLIC_BASE_URL": f"http://127.0.0.1:{PORT}",
           "SANDBOX_VTEX_URL": f"http://127.0.0.1:{VTEX_PORT}", "SANDBOX_MIRAKL_URL": f"http://127.0.0.1:{MIRAKL_PORT}"}
    for key, value in DEMO_CYCLES.items():
        env.setdefault(key, value)
    # The egress policy lets typed addresses reach these two private addresses, and no other (saas/egress.py).
    env["OUTBOUND_ALLOW"] = ",".join(filter(None, [env.get("OUTBOUND_ALLOW", ""), f"127.0.0.1:{VTEX_PORT}",
                                                   f"127.0.0.1:{MIRAKL_PORT}"]))
    env["REDIS_URL"] = ensure_redis(env.get("REDIS_URL", "redis://127.0.0.1:6379/0"))

    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, cwd=ROOT)
    seeded = subprocess.run([*flask, "seed-demo"], env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    login = seeded.stdout.strip().splitlines()[-1]

    processes = procfile()
    processes.pop("release", None)
    processes["vtex"] = f"gunicorn 'saas.sandbox.vtex:create_app()' --bind 127.0.0.1:{VTEX_PORT} --threads 8"
    processes["mirakl"] = (f"gunicorn 'saas.sandbox.shops:create_sandbox_app()' --bind 127.0.0.1:{MIRAKL_PORT} "
                           "--threads 8")  # Carrefour's sandbox: its shops behind one URL, one ShopKey each
    manager = Manager()
    for name, command in processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    banner = (f"\n  Portal:  http://127.0.0.1:{PORT}/login\n  Login:   {login.removeprefix('demo login: ')}\n"
              f"  VTEX sandbox admin:      http://127.0.0.1:{VTEX_PORT}/_admin\n"
              f"  Carrefour sandbox admin: http://127.0.0.1:{MIRAKL_PORT}/_admin\n"
              f"  Redis: {env['REDIS_URL']}  ·  Ctrl-C stops everything\n")
    print(banner, flush=True)
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
