"""``python -m bench [sync …]``: run the named benchmarks, or all of them."""
import importlib
import sys

BENCHMARKS = {"sync": ("bench.sync", "run"), "initial-load": ("bench.sync", "run_initial_load"),
              "orders": ("bench.orders", "run"), "freight": ("bench.freight", "run"),
              "freight-abuse": ("bench.freight_abuse", "run"), "portal": ("bench.portal", "run"),
              "fanout": ("bench.fanout", "run"), "freshness": ("bench.freshness", "run"),
              "reconcile": ("bench.reconcile", "run"), "tenants": ("bench.tenants", "run"),
              "staleness": ("bench.staleness", "run"), "scaleout": ("bench.scaleout", "run"),
              "approvals": ("bench.approvals", "run")}


def main(names):
    for name in names or BENCHMARKS:
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        print(f"== {name}", flush=True)
        module, function = BENCHMARKS[name]
        getattr(importlib.import_module(module), function)()


if __name__ == "__main__":
    main(sys.argv[1:])
