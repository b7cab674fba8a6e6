"""An erasure request (UK GDPR art. 17), carried out everywhere the monitor keeps or wrote text.

`forget` is what `monitor forget` (and the web inbox's erasure page) call:

1. the store erases the person's items and findings, remembers a hash of each item's
   platform id so the comment is never stored again when it is fetched again, trims the
   person's comments out of alerts that also cover other people, deletes queued emails
   that were only about them, and keeps sent ones as a record without text;
2. `.eml` copies in the outbox directory follow: an alert only about the person is
   removed; an alert that also covers others is written again without the person's
   comment (same file, Message-ID and date), so nobody else's alert is lost;
3. digests queued or written since the person's first erased comment are built again
   from what is stored now.

Copies outside the monitor (emails already delivered by SMTP, the platform itself) are
not touched: the command says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from alerts import digest, outbox
from monitor.config import Config
from monitor.store import Store, retention

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erased:
    items: int
    alerts_deleted: int  # queued emails only about this person
    alerts_kept: int  # sent alerts only about this person: kept as a record, without text
    alerts_trimmed: int  # alerts that also cover others: the person's comments removed
    files_removed: int
    files_rewritten: int
    digests_rebuilt: int


def forget(
    store: Store, config: Config, handle: str, now: datetime, *, platform: str | None = None
) -> Erased:
    with store.transaction() as session:
        done = retention.forget(session, handle, now, platform=platform)
    removed = outbox.remove_copies(config.outbox_dir, done.alerts_scrubbed)
    rewritten = outbox.rewrite_copies(store, config, done.alerts_trimmed)
    rebuilt = digest.rebuild_since(store, config, min(done.created)) if done.created else 0
    store.scrub()
    log.info(
        "erasure request: %d item(s) erased, %d email file(s) removed, %d rewritten, %d digest(s) rebuilt",
        done.items,
        removed,
        rewritten,
        rebuilt,
    )
    return Erased(
        done.items,
        done.alerts_deleted,
        len(done.alerts_scrubbed),
        len(done.alerts_trimmed),
        removed,
        rewritten,
        rebuilt,
    )
