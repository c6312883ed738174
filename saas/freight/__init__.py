"""The public freight quote a marketplace calls on its checkout path: one VTEX simulation, cached, within 800 ms."""
