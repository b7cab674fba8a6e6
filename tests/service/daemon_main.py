"""`monitor run` for the kill -9 tests: a keyword classifier and sub-second intervals.

Usage: python tests/service/daemon_main.py CONFIG POLL_SECONDS
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta

from monitor import config as config_mod
from monitor import pipeline, service
from monitor.store import Store
from tests.conftest import KeywordClassifier


def build(config: config_mod.Config, store: Store) -> pipeline.Context:
    return pipeline.Context(config, store, KeywordClassifier())


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
    )
    config = config_mod.load(sys.argv[1], environ=dict(os.environ))
    poll = timedelta(seconds=float(sys.argv[2]))
    timings = service.Timings(
        poll_every=poll,
        deliver_every=poll,
        first_poll_stagger=timedelta(0),
        retention_first=timedelta(hours=1),
        heartbeat_every=timedelta(seconds=1),
    )
    return service.serve(config, os.environ, timings=timings, build=build)


if __name__ == "__main__":
    sys.exit(main())
