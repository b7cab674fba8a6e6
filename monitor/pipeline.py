"""The pipeline: fetch → store → classify → decide → deliver.

The scheduler only decides *when* to call these; the CLI only parses arguments and
calls the same functions. One failing account records its error and never stops
the others.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from alerts import notices, outbox, route
from classifiers.base import Classifier
from classifiers.base import load as load_classifier
from connectors.base import DEFAULT_TIMEOUT, Connector, connector_class
from monitor import __version__
from monitor.clean import clean_page
from monitor.config import AccountConfig, Config
from monitor.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    StorageError,
    TransientError,
)
from monitor.store import Store, accounts, intake, items
from monitor.store import alerts as store_alerts
from monitor.store.vault import SessionVault
from monitor.types import (
    LABELS,
    Account,
    AccountResult,
    Classification,
    Finding,
    RunReport,
    TextInput,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Progress = Callable[[str, int], None]  # (account name, items so far)


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimeoutSession(requests.Session):
    """A requests.Session whose every request has a timeout unless one is given."""

    def request(self, method: str | bytes, url: str | bytes, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def new_http_session() -> requests.Session:
    session = TimeoutSession()
    session.headers["User-Agent"] = f"community-monitor/{__version__}"
    return session


@dataclass
class Context:
    """Everything a run needs, built once."""

    config: Config
    store: Store
    classifier: Classifier
    clock: Clock = utcnow
    http: Callable[[], requests.Session] = new_http_session
    connectors: dict[str, Connector] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)  # set: finish the page, then stop
    # The caller prints the report's warnings itself (`monitor scan`): log them at INFO, not twice.
    caller_reports_warnings: bool = False


def build_context(config: Config, store: Store, *, clock: Clock = utcnow) -> Context:
    classifier = load_classifier(config.classifier.backend, **config.classifier_options)
    return Context(config, store, classifier, clock)


def account_of(cfg: AccountConfig) -> Account:
    return Account(cfg.name, cfg.platform, cfg.account_id, cfg.display_name)


def build_connector(
    config: Config, cfg: AccountConfig, session: requests.Session, *, clock: Clock | None = None
) -> Connector:
    """A connector for one account, given what it can use beyond the interface (see connectors.base):
    the pipeline's clock, and a vault for login sessions that outlive the process."""
    connector = connector_class(cfg.platform)(account_of(cfg), cfg.settings, session)
    if clock is not None and hasattr(connector, "clock"):  # its windows must agree with the marks
        connector.clock = clock
    if hasattr(connector, "vault"):
        connector.vault = SessionVault(config.state_dir / "sessions")
    return connector


def connector_for(ctx: Context, cfg: AccountConfig) -> Connector:
    if cfg.name not in ctx.connectors:
        ctx.connectors[cfg.name] = build_connector(ctx.config, cfg, ctx.http(), clock=ctx.clock)
    return ctx.connectors[cfg.name]


# ------------------------------------------------------------------ the pipeline


def scan(
    ctx: Context,
    *,
    since: datetime | None = None,
    only: Sequence[AccountConfig] | None = None,
    deliver: bool = True,
    one_shot: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """One pass over the accounts: fetch → store → classify → decide → deliver.

    `one_shot` (a manual `monitor scan`): this pass has seen everything it will see, so
    alerts waiting only to group more comments from the same thread go out now.
    """
    started = ctx.clock()
    chosen = [a for a in (only if only is not None else ctx.config.accounts) if a.enabled]
    with ctx.store.transaction() as session:
        accounts.ensure(session, [account_of(a) for a in chosen])
    results = tuple(poll(ctx, cfg, since=since, progress=progress) for cfg in chosen)
    classified, findings, queued = classify_pending(ctx)
    if one_shot:
        with ctx.store.transaction() as session:
            route.close_groups(session, ctx.config, ctx.clock())
    sent = outbox.deliver_due(ctx.store, ctx.config, ctx.clock()) if deliver else 0
    with ctx.store.transaction() as session:
        waiting = store_alerts.waiting(session)
    return RunReport(
        started_at=started,
        finished_at=ctx.clock(),
        accounts=results,
        items_classified=classified,
        findings=dict(findings),
        alerts_queued=queued,
        alerts_sent=sent,
        alerts_waiting=waiting,
        outbox=str(ctx.config.outbox_dir) if ctx.config.smtp is None else None,
    )


def poll(
    ctx: Context, cfg: AccountConfig, *, since: datetime | None = None, progress: Progress | None = None
) -> AccountResult:
    """Fetch one account and store what it returns, page by page (fetch → clean → store)."""
    now = ctx.clock()
    with ctx.store.transaction() as session:
        accounts.record_attempt(session, cfg.name, now)
        marks = items.load_marks(session, cfg.name)
    intake.retry_set_aside(ctx.store, cfg.name, now, keep_raw=ctx.config.retention.keep_raw)
    fetched = new = updated = requests_made = reads = 0
    warnings: list[str] = []
    try:
        connector = connector_for(ctx, cfg)
        for raw_page in connector.fetch(marks, since):
            page = clean_page(raw_page)  # the one boundary: every string from a platform made safe
            saved = intake.save_page(
                ctx.store, cfg.name, cfg.platform, page, now, keep_raw=ctx.config.retention.keep_raw
            )
            if saved.set_aside:
                report_set_aside(ctx, cfg, saved.set_aside, now)
            for warning in page.warnings:
                log.log(
                    logging.INFO if ctx.caller_reports_warnings else logging.WARNING,
                    "%s: %s",
                    cfg.name,
                    warning,
                )
            warnings.extend(page.warnings)
            fetched += len(page.items)
            new, updated = new + saved.new, updated + saved.updated
            requests_made, reads = requests_made + page.requests, reads + saved.billed_reads
            if progress:
                progress(cfg.name, fetched)
            if ctx.stop.is_set():  # shutting down: this page is committed, the mark resumes the rest
                break
    except ConnectorError as exc:
        record_failure(ctx, cfg, exc)
        return AccountResult(cfg.name, fetched, new, updated, requests_made, reads, str(exc), tuple(warnings))
    except StorageError:
        raise  # the database itself is failing: the daemon's job runner deals with that
    except Exception as exc:  # a bug in one connector must not stop the others
        log.exception("%s: unexpected error while polling", cfg.name)
        failure = TransientError(f"internal error: {exc.__class__.__name__}: {exc}")
        record_failure(ctx, cfg, failure)
        return AccountResult(
            cfg.name, fetched, new, updated, requests_made, reads, str(failure), tuple(warnings)
        )
    with ctx.store.transaction() as session:
        accounts.record_success(session, cfg.name, ctx.clock())
    return AccountResult(cfg.name, fetched, new, updated, requests_made, reads, None, tuple(warnings))


def report_set_aside(ctx: Context, cfg: AccountConfig, errors: Sequence[str], now: datetime) -> None:
    """Items that could not be stored: one operator notice per account per day, never silence."""
    with ctx.store.transaction() as session:
        notices.queue(
            session,
            ctx.config,
            now,
            topic="set-aside",
            account=cfg.name,
            message=f"{len(errors)} item(s) from {cfg.name} could not be stored and were set aside "
            f"(the account carries on; they are retried at every poll). First error: {errors[0]}. "
            "See `monitor status`.",
            key=f"operator:set-aside:{cfg.name}:{now.date().isoformat()}",
        )


def backoff(failures: int, *, base: float = 60.0, cap: float = 3600.0) -> timedelta:
    """Exponential backoff with full jitter: 1 min, 2, 4 … capped at an hour."""
    ceiling = min(cap, base * 2 ** max(0, failures - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def record_failure(ctx: Context, cfg: AccountConfig, exc: ConnectorError) -> None:
    now = ctx.clock()
    with ctx.store.transaction() as session:
        row = accounts.get(session, cfg.name)
        failures = (row.consecutive_failures or 0) + 1
        # Expired tokens and requests that can never work need a person, not more retries.
        attention = str(exc) if isinstance(exc, AuthError | PermanentError) else None
        if isinstance(exc, RateLimited):
            not_before = exc.reset_at
        else:
            not_before = now + backoff(failures, cap=6 * 3600 if attention else 3600)
        first_attention = attention is not None and row.needs_attention is None
        accounts.record_failure(
            session, cfg.name, str(exc), now, not_before=not_before, needs_attention=attention
        )
        if first_attention:  # exactly one operator notice per dead token
            topic = "auth" if isinstance(exc, AuthError) else "connector"
            notices.queue(session, ctx.config, now, topic=topic, account=cfg.name, message=str(exc))
    level = logging.ERROR if attention else logging.WARNING
    log.log(level, "%s: %s (next try not before %s)", cfg.name, exc, not_before.isoformat(timespec="seconds"))


def classify_pending(ctx: Context) -> tuple[int, Counter[str], int]:
    """Classify every stored item that has not been classified yet (classify → decide)."""
    classified, findings, queued, last_id = 0, Counter[str](), 0, 0
    while True:
        with ctx.store.transaction() as session:
            rows = items.pending(session, ctx.config.classifier.batch_size, after_id=last_id)
            batch = [(r.id, TextInput(r.text or "", r.platform, r.kind, r.author_is_org)) for r in rows]
        if not batch or ctx.stop.is_set():
            return classified, findings, queued
        results = classify_safely(ctx.classifier, [text for _, text in batch])
        verdicts = [(i, to_findings(r)) for (i, _), r in zip(batch, results, strict=True)]
        try:
            counted, added = decide_batch(ctx, verdicts)
        except StorageError:  # one item's findings or alert cannot be stored: the others must be
            log.warning("a batch of %d classifications could not be stored at once; one by one", len(batch))
            counted, added = Counter[str](), 0
            for verdict in verdicts:
                try:
                    one, n = decide_batch(ctx, [verdict])
                except StorageError as exc:
                    set_aside_routing(ctx, verdict[0], verdict[1], str(exc))
                    continue
                counted, added = counted + one, added + n
        findings.update(counted)
        queued += added
        classified += len(batch)
        last_id = batch[-1][0]


def decide_batch(ctx: Context, verdicts: Sequence[tuple[int, list[Finding]]]) -> tuple[Counter[str], int]:
    """Store a batch's findings and queue its alerts, in one transaction (the transactional outbox)."""
    now, counted, queued, failed = ctx.clock(), Counter[str](), 0, []
    with ctx.store.transaction() as session, session.no_autoflush:
        by_id = items.rows_by_id(session, [item_id for item_id, _ in verdicts])
        rows = [(by_id[i], found) for i, found in verdicts if i in by_id]
        items.save_classifications(session, rows, ctx.classifier.name, now)
        for row, found in rows:
            if not found:
                continue
            try:
                with session.begin_nested():  # a bug routing one item never loses the batch
                    queued += route.decide(session, ctx.config, row, found, now)
            except Exception as exc:
                log.exception("item %d: its alert could not be queued; set aside", row.id)
                row.classified_at = None  # classified and routed again at the next pass
                failed.append((row.id, found, f"{exc.__class__.__name__}: {exc}"))
                continue
            counted.update(f.label for f in found)
    for item_id, found, error in failed:
        set_aside_routing(ctx, item_id, found, error)
    intake.routed(ctx.store, [i for i, found in verdicts if found and i not in {f[0] for f in failed}])
    return counted, queued


def set_aside_routing(ctx: Context, item_id: int, found: Sequence[Finding], error: str) -> None:
    """An item whose alert could not be queued: recorded, retried, and reported to the operator at once."""
    now = ctx.clock()
    with ctx.store.transaction() as session:
        row = items.rows_by_id(session, [item_id]).get(item_id)
        account, platform = (row.account, row.platform) if row else ("?", "?")
    if not intake.set_aside_route(ctx.store, item_id, account, platform, error, now):
        return
    labels = ", ".join(f.label for f in found) or "no label"
    with ctx.store.transaction() as session:
        notices.queue(
            session,
            ctx.config,
            now,
            topic="set-aside",
            account=account,
            message=f"Item {item_id} on {account} was flagged ({labels}) but its alert could not be "
            f"queued: {error}. It is retried at every classification pass; until then look at it "
            f"with `monitor status`. This is a bug: please report it.",
            key=f"operator:route:{item_id}",
        )


def to_findings(result: Classification) -> list[Finding]:
    return [
        Finding(label, float(result.scores.get(label, 0.0)), tuple(result.reasons.get(label, ())))
        for label in LABELS
        if label in result.labels
    ]


def classify_safely(classifier: Classifier, batch: list[TextInput]) -> list[Classification]:
    """Classify a batch; if the batch fails, item by item, so one poison text blocks nothing."""
    try:
        return classifier.classify(batch)
    except Exception:
        log.exception(
            "classifier %s failed on a batch of %d; retrying one by one", classifier.name, len(batch)
        )
    results = []
    for text in batch:
        try:
            results.extend(classifier.classify([text]))
        except Exception:
            log.exception(
                "classifier %s failed on one item; it is flagged for a person to read", classifier.name
            )
            results.append(UNCLASSIFIABLE)
    return results


# An item the classifier could not read is shown to a person rather than dropped.
UNCLASSIFIABLE = Classification(
    labels=("negative_publicity",),
    scores={label: 0.0 for label in (*LABELS, "offensive")} | {"negative_publicity": 0.5},
    reasons={"negative_publicity": ("the classifier could not read this item; please look at it",)},
)
