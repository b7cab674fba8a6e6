"""The promise suite's state machine, run long: many more random sequences than CI runs.

    python bench/promises.py [--examples 300] [--steps 80] [--database sqlite|postgres|both]

Prints how much was exercised (sequences, steps, comments, emails, erasures, outages,
alerts given up on and delivered later) and the time taken, or the first sequence that
breaks a promise (Hypothesis shrinks it to a short, readable one). PostgreSQL needs a
server at 127.0.0.1:5432 (trust auth, database `test`) or MONITOR_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from classifiers import base as classifier_base  # noqa: E402
from connectors import base as connector_base  # noqa: E402
from monitor.store.schema import AlertEventRow, AlertRow, SetAsideRow  # noqa: E402
from tests.promises import test_machine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    connector_base.BUILTIN["fake"] = "tests.promises.platform:FakeConnector"
    classifier_base.BUILTIN["quoting"] = "tests.promises.world:QuotingClassifier"
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases:
        from tests.conftest import _postgres_reachable

        reason = _postgres_reachable()
        if reason:
            print(f"postgres: skipped ({reason})")
            databases.remove("postgres")
    failed = False
    for database in databases:
        stats: collections.Counter[str] = collections.Counter()
        machine = test_machine.machine(database)
        original = machine.teardown

        def teardown(
            self: test_machine.Promises,
            stats: collections.Counter[str] = stats,
            original: Callable[[test_machine.Promises], None] = original,
        ) -> None:
            world = self.world
            if world is not None:
                stats["sequences"] += 1
                stats["comments"] += len(world.comments)
                stats["hostile authors"] += sum(1 for a in world.authors if a.handle != a.stored_handle)
                stats["emails received (SMTP)"] += len(world.received)
                stats["emails written (outbox)"] += len(world.outbox_files())
                stats["erasure requests"] += sum(a.forgotten for a in world.authors)
                stats["confidential comments"] += len(world.secrets)
                for channel, n in world.acted.items():
                    stats[f"MD acted: {channel}"] += n
                with world.store.transaction() as s:
                    for state, n in s.execute(select(AlertRow.state, func.count()).group_by(AlertRow.state)):
                        stats[f"alerts {state}"] += n
                    given_up = select(AlertEventRow.alert_id).where(AlertEventRow.action == "failed")
                    for state, n in s.execute(
                        select(AlertRow.state, func.count())
                        .where(AlertRow.id.in_(given_up))
                        .group_by(AlertRow.state)
                    ):
                        stats[f"given up on schedule, now {state}"] += n
                    stats["items set aside at the end"] += int(
                        s.scalar(select(func.count()).select_from(SetAsideRow)) or 0
                    )
            original(self)

        machine.teardown = teardown  # type: ignore[method-assign]
        started = time.monotonic()
        try:
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=args.examples,
                    stateful_step_count=args.steps,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    derandomize=False,
                    database=None,
                ),
            )
            verdict = "every promise held"
        except Exception as exc:  # the failing sequence is printed by Hypothesis above
            traceback.print_exc()
            verdict = f"A PROMISE BROKE: {exc.__class__.__name__}: {str(exc)[:300]}"
            failed = True
        elapsed = time.monotonic() - started
        print(f"\n{database}: {verdict} ({elapsed:.0f} s, up to {args.steps} steps per sequence)")
        for key, value in sorted(stats.items()):
            print(f"  {key:<40} {value:>7}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
