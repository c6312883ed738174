import sys

from saas import create_app
from saas.config import ConfigError

try:
    app = create_app()
except ConfigError as error:  # a bad setting stops the process at once, naming the variable, without a traceback
    sys.exit(f"configuration error: {error}")
