"""Jobs run inside the Flask app context; a job started outside one (an RQ worker of another process) gets one."""
import functools

from flask import has_app_context


def with_app_context(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        from saas import create_app
        with create_app().app_context():
            return func(*args, **kwargs)
    return wrapper
