"""The storage layer: nothing else reads or writes the database.

`Store` opens the database, applies migrations and hands out transactions; the
functions in `items`, `accounts`, … take a `Session` and do one job each.
"""

from monitor.store.db import Store, open_store

__all__ = ["Store", "open_store"]
