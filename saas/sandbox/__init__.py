"""Simulators of Carrefour's Mirakl and of a VTEX store, for the demo, end-to-end tests and benchmarks."""
