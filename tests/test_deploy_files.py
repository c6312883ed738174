"""The files a platform reads to deploy the product say what the Procfile and the configuration table say: app.json
(a Heroku-style button), the Dockerfile and docker-compose.yml (a production-like run on a laptop), .python-version.
Nothing is built here; the files' contents are checked against the sources they repeat."""
import json
import re
import secrets
import shlex

import pytest
import yaml

from saas.config import ROOT, VARIABLES, load_config
from saas.sandbox.run import procfile

NAMES = {variable.name for variable in VARIABLES}


@pytest.fixture(scope="module")
def processes() -> dict[str, str]:
    return procfile()


def test_app_json_runs_every_process_type_with_its_add_ons_and_real_secrets(processes):
    app = json.loads((ROOT / "app.json").read_text())
    assert set(app["formation"]) == set(processes) - {"release"}  # the release phase runs from the Procfile
    assert {addon["as"] for addon in app["addons"]} == {"DATABASE", "REDIS"}  # they set DATABASE_URL, REDIS_URL
    env = app["env"]
    assert set(env) <= NAMES, set(env) - NAMES  # every variable is one the app reads
    assert all(spec.get("description") for spec in env.values())
    assert env["APP_ENV"]["value"] == "production" and env["PUBLIC_BASE_URL"]["required"] is True
    for generated in ("SECRET_KEY", "ENCRYPTION_KEY"):
        assert env[generated]["generator"] == "secret"
    # The platform's generated secret is 64 hexadecimal characters: production starts with it.
    config = load_config({"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                          "ENCRYPTION_KEY": secrets.token_hex(32), "PUBLIC_BASE_URL": "https://conector.example",
                          "DATABASE_URL": "postgresql://u:p@db:5432/conector"})
    assert config["APP_ENV"] == "production"


def test_the_image_runs_the_procfiles_web_as_a_non_root_user_on_the_pinned_python(processes):
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.M).group(1))
    assert command == ["sh", "-c", processes["web"]]
    assert re.search(r"^USER app$", dockerfile, re.M) and "useradd" in dockerfile
    version = (ROOT / ".python-version").read_text().strip()
    assert re.search(rf"^FROM python:{re.escape(version)}-slim$", dockerfile, re.M)


def test_compose_runs_the_procfiles_processes_on_postgresql_and_redis_with_a_valid_production_config(processes):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis"} <= set(services)
    for name in ("release", "worker", "scheduler"):
        assert services[name]["command"] == shlex.split(processes[name]), name
    assert "command" not in services["web"]  # the image's own command: the Procfile's web
    env = services["web"]["environment"]
    assert set(env) <= NAMES, set(env) - NAMES
    assert load_config(env)["APP_ENV"] == "production"  # its keys pass production's checks
    assert all(services[name]["depends_on"]["release"]["condition"] == "service_completed_successfully"
               for name in ("web", "worker", "scheduler"))
