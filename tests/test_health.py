def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(app, client):
    from redis import Redis
    saved = app.extensions["redis"]
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["redis"] = saved
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("error") and response.get_json()["database"] == "ok"


def test_times_are_shown_in_brasilia_time():
    from datetime import datetime

    from saas.timeutil import local_time
    assert local_time(datetime(2026, 11, 26, 15, 0)) == "26/11/2026 12:00"  # stored UTC, shown UTC−3
    assert local_time(None) == ""
