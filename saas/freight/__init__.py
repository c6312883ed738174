"""The public freight quote Carrefour calls on its checkout path: one VTEX simulation, cached, within 800 ms."""
