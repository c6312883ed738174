"""Catalog, price and stock from VTEX to a marketplace: SKU changes, bindings, import batches and the sync job."""
