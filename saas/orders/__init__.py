"""Marketplace orders into VTEX: polling, acceptance, checks, exactly-once placement, retries and reprocess."""
