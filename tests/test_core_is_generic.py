"""The core speaks no marketplace: what Carrefour (or Mirakl) means lives in its connector package, so a second
marketplace is a plugin, not a fork."""
from saas.config import ROOT

CORE = ("catalog", "orders", "freight", "jobs", "web")


def test_no_core_package_names_a_marketplace():
    mentions = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                for package in CORE for path in sorted((ROOT / "saas" / package).rglob("*.py"))
                for number, line in enumerate(path.read_text().splitlines(), 1)
                if "carrefour" in line.lower() or "mirakl" in line.lower()]
    assert mentions == []
