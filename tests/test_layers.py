"""The layers of ``.importlinter`` hold: each package imports only the layers below it (the contract is read from the
file and checked by import-linter against the code as it is)."""
import configparser
import subprocess
import sys
from pathlib import Path

from saas.config import ROOT


def test_every_layer_imports_only_the_layers_below_it():
    contract = configparser.ConfigParser()
    contract.read(ROOT / ".importlinter")
    layers = [line for line in contract["importlinter:contract:layers"]["layers"].splitlines() if line.strip()]
    assert len(layers) == 17 and layers[-1].strip() == "saas.timeutil"  # the file read is the one described
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 1 kept, 0 broken." in result.stdout
