"""Mirakl, once: its client, its files and orders, the connector every operator shares and the generic operator."""
