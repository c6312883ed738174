import sys

from saas import create_app
from saas.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A bad setting stops the process at once, naming the variable, without a traceback. Exit status 3 is gunicorn's
    # "worker failed to boot": its master then stops too, instead of starting workers that fail the same way.
    print(f"configuration error: {error}", file=sys.stderr)
    sys.exit(3)
