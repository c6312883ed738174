"""Configuration is checked once, at start: a bad value names its variable, says what is wrong and gives an example,
and the web, worker and scheduler refuse to start on it."""
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from saas.config import ROOT, ConfigError, load_config

GOOD_KEY = Fernet.generate_key().decode()


def problems(env) -> str:
    with pytest.raises(ConfigError) as error:
        load_config(env)
    return str(error.value)


def test_defaults_are_a_development_configuration():
    config = load_config({})
    assert config["APP_ENV"] == "development" and config["SYNC_INTERVAL"] == 600
    assert config["LOG_FORMAT"] == "text" and config["LOG_LEVEL_RQ"] == "WARNING"
    assert config["SESSION_COOKIE_SECURE"] is False and config["PROXY_HOPS"] == 0


@pytest.mark.parametrize("variable, value, says", [
    ("APP_ENV", "prod", "must be one of development, test, production"),
    ("ENCRYPTION_KEY", "abc", "must be Fernet keys"),
    ("SYNC_INTERVAL", "10min", "must be a whole number"),
    ("ORDERS_INTERVAL", "0", "must be at least 1"),
    ("HTTP_TIMEOUT", "-1", "must be more than 0"),
    ("MAIL_USE_TLS", "maybe", "must be true or false"),
    ("FREIGHT_RATE_LIMIT", "lots", "must be a rate"),
    ("REDIS_URL", "localhost:6379", "must be a redis://"),
    ("PUBLIC_BASE_URL", "conector.example", "must be an http:// or https:// address"),
    ("DATABASE_URL", "not a url", "must be a database address"),
    ("LOG_FORMAT", "xml", "must be one of text, json"),
])
def test_a_bad_value_names_the_variable_the_problem_and_an_example(variable, value, says):
    message = problems({variable: value})
    assert f"{variable}={value!r}" in message and says in message and "example:" in message


def test_every_bad_variable_is_listed_at_once():
    message = problems({"SYNC_INTERVAL": "10min", "ENCRYPTION_KEY": "abc"})
    assert "SYNC_INTERVAL" in message and "ENCRYPTION_KEY" in message


def test_production_refuses_development_keys_and_is_secure_with_real_ones():
    assert "SECRET_KEY" in problems({"APP_ENV": "production"})
    config = load_config({"APP_ENV": "production", "SECRET_KEY": "s" * 40, "ENCRYPTION_KEY": f"{GOOD_KEY},{GOOD_KEY}"})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["LOG_FORMAT"] == "json" and config["PROXY_HOPS"] == 1


def test_heroku_style_database_urls_are_accepted():
    assert load_config({"DATABASE_URL": "postgres://u:p@db:5432/x"})["SQLALCHEMY_DATABASE_URI"].startswith(
        "postgresql://")


@pytest.mark.parametrize("command", [["-m", "flask", "--app", "wsgi", "worker", "--burst"],
                                     ["-m", "flask", "--app", "wsgi", "scheduler"],
                                     ["-m", "gunicorn", "wsgi:app", "--bind", "127.0.0.1:0"]])
def test_the_processes_refuse_to_start_on_a_bad_value(command):
    env = {**os.environ, "SYNC_INTERVAL": "10min", "REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run([sys.executable, *command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "SYNC_INTERVAL='10min' must be a whole number" in done.stdout + done.stderr


def test_a_generated_hex_secret_is_an_encryption_key_too(app, monkeypatch):
    """app.json's generated secrets are 64 hexadecimal characters: the secrets at rest are encrypted with them."""
    import secrets

    from saas import crypto
    key = secrets.token_hex(32)
    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", key)  # given back after the test: the app is the session's
    token = crypto.encrypt("shop-key-123456")
    assert "shop-key" not in token and crypto.decrypt(token) == "shop-key-123456"
    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", f"{secrets.token_hex(32)},{key}")  # rotated: the old decrypts
    assert crypto.decrypt(token) == "shop-key-123456"
