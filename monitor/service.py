"""The daemon (`monitor run`): decides *when* to call the pipeline, and nothing else.

Jobs, each with a fixed id so a restart never duplicates one (the schedule is rebuilt
from the configuration at every start; everything that must survive a restart — marks,
not-before times, the outbox — lives in the database):

    poll:<account>   every account's interval, with jitter; honours the account's not-before
    deliver          the outbox, every 30 s (and at once after a poll queued an alert)
    escalate         unacknowledged alerts, every 5 min
    digest           the weekly digest, at the configured day and time
    retention        the daily purge of old comment text (03:30, and a few minutes after start)
    heartbeat        proves the scheduler and its thread pool work; pings systemd's watchdog

Beside the scheduler, with `[imap]` a thread reads replies to alerts (IDLE where offered, else
every `imap.poll_seconds`), and with `[web] enabled = true` a thread serves the web inbox.

Failure policy: a failing account is recorded and retried later (the pipeline's job);
a job that raises is logged and the next run goes on; a database that keeps failing
for `db_outage_limit` makes the process exit non-zero so systemd restarts it; a job
wedged for `stuck_after` stops the watchdog pings so systemd restarts it. Never a live
process that has silently stopped working.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time as _time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts import outbox
from classifiers.base import notices as classifier_notices
from monitor import pipeline
from monitor.config import AccountConfig, Config
from monitor.errors import AlreadyRunning, StorageError
from monitor.sdnotify import Notifier
from monitor.store import Store, accounts, open_store, retention, schedule, web

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Timings:
    """How often the housekeeping jobs run and how long a fault is tolerated."""

    deliver_every: timedelta = timedelta(seconds=30)
    escalate_every: timedelta = timedelta(minutes=5)
    heartbeat_every: timedelta = timedelta(seconds=30)  # without a watchdog; else a third of it
    retention_at: str = "03:30"  # local time
    retention_first: timedelta = timedelta(minutes=5)  # also soon after start (restarts at 03:00)
    first_poll_stagger: timedelta = timedelta(seconds=2)  # accounts' first polls spread out, at most
    stuck_after: timedelta = timedelta(minutes=15)  # a job running longer is wedged
    stalled_after: timedelta = timedelta(minutes=10)  # no job finished for this long: wedged
    db_outage_limit: timedelta = timedelta(minutes=5)  # then exit 1 and let systemd restart us
    stop_timeout: float = 8.0  # seconds for running jobs to finish after SIGTERM
    poll_every: timedelta | None = None  # override every account's interval (tests, benchmarks)


def poll_interval(cfg: AccountConfig, timings: Timings) -> timedelta:
    return timings.poll_every or timedelta(minutes=max(1, cfg.interval_minutes))


def first_poll_step(accounts: list[AccountConfig], timings: Timings) -> timedelta:
    """The gap between accounts' first polls: `first_poll_stagger`, narrowed so that every
    account is polled once within the shortest poll interval, whatever the number of accounts
    (200 accounts polled every 5 min start 1.5 s apart, all within 5 min, not 2 s apart over 7)."""
    if not accounts:
        return timings.first_poll_stagger
    shortest = min(poll_interval(cfg, timings) for cfg in accounts)
    return min(timings.first_poll_stagger, shortest / len(accounts))


def jitter_seconds(interval: timedelta) -> int:
    """Up to a tenth of the interval, at most a minute: accounts drift apart, none is late."""
    return int(min(60.0, interval.total_seconds() / 10))


class Service:
    def __init__(
        self,
        ctx: pipeline.Context,
        notifier: Notifier | None = None,
        timings: Timings = Timings(),
    ) -> None:
        self.ctx = ctx
        self.config: Config = ctx.config
        self.store: Store = ctx.store
        self.notifier = notifier or Notifier(None)
        self.timings = timings
        self.accounts = {a.name: a for a in self.config.accounts if a.enabled}
        workers = len(self.accounts) + 6  # one per job: a slow job never starves another
        self.scheduler = BackgroundScheduler(
            timezone=self.config.tz,
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self.exit_code = 0
        self.reason = ""
        self._stop = threading.Event()
        self._state = threading.Condition()
        self._running: dict[str, datetime] = {}  # job id → started (by ctx.clock)
        self._progress_at: datetime | None = None  # a job other than the heartbeat finished
        self._db_failing_since: datetime | None = None
        self._classify_lock = threading.Lock()
        self._deliver_lock = threading.Lock()
        self._wedged_logged = False
        self.pings = 0
        self._replies: threading.Thread | None = None
        self._web: Any = None  # monitor.web.server.Running

    # ------------------------------------------------------------ the schedule

    def add_jobs(self) -> None:
        """(Re)create every job under its fixed id; calling it twice changes nothing."""
        now = self.ctx.clock()
        t = self.timings
        step = first_poll_step(list(self.accounts.values()), t)
        for index, cfg in enumerate(self.accounts.values()):
            interval = poll_interval(cfg, t)
            self.scheduler.add_job(
                self.poll_job,
                IntervalTrigger(seconds=interval.total_seconds(), jitter=jitter_seconds(interval)),
                args=(cfg.name,),
                id=f"poll:{cfg.name}",
                name=f"poll {cfg.name}",
                replace_existing=True,
                next_run_time=now + index * step,
                # A run late by less than one interval still runs; later ones are coalesced
                # into one. (APScheduler 3's default of 1 s would silently skip late polls.)
                misfire_grace_time=max(1, int(interval.total_seconds())),
            )
        every = self._every
        every("deliver", self.deliver_job, t.deliver_every, first=now)
        every("escalate", self.escalate_job, t.escalate_every, first=now + t.escalate_every)
        beat = self.heartbeat_interval()
        every("heartbeat", self.heartbeat_job, beat, first=now + beat)  # after READY=1
        hour, minute = (int(part) for part in self.config.digest.time.split(":"))
        self.scheduler.add_job(
            self.digest_job,
            CronTrigger(
                day_of_week=self.config.digest.day, hour=hour, minute=minute, timezone=self.config.tz
            ),
            id="digest",
            name="weekly digest",
            replace_existing=True,
            misfire_grace_time=6 * 3600,  # a late digest is still useful the same morning
        )
        if digest_overdue(self.config, now):
            # This week's digest time has passed: if the daemon was down then, send it now
            # (sending is idempotent per ISO week, so a digest already sent is not repeated).
            self.scheduler.add_job(
                self.digest_job,
                "date",
                run_date=now + timedelta(minutes=1),
                id="digest-catch-up",
                name="weekly digest (catch up)",
                replace_existing=True,
                misfire_grace_time=3600,
            )
        hour, minute = (int(part) for part in t.retention_at.split(":"))
        self.scheduler.add_job(
            self.retention_job,
            CronTrigger(hour=hour, minute=minute, timezone=self.config.tz),
            id="retention",
            name="retention purge",
            replace_existing=True,
            next_run_time=now + t.retention_first,
            misfire_grace_time=12 * 3600,
        )

    def _every(self, job_id: str, func: Callable[[], Any], interval: timedelta, first: datetime) -> None:
        seconds = max(interval.total_seconds(), 0.05)
        self.scheduler.add_job(
            func,
            IntervalTrigger(seconds=seconds),
            id=job_id,
            name=job_id,
            replace_existing=True,
            next_run_time=first,
            misfire_grace_time=max(1, int(seconds)),
        )

    def heartbeat_interval(self) -> timedelta:
        if self.notifier.watchdog is not None:
            return self.notifier.watchdog / 3
        return self.timings.heartbeat_every

    # ------------------------------------------------------------ running jobs

    def _run(self, job_id: str, func: Callable[[], Any], *, uses_db: bool = True) -> Any:
        """Run one job: record that it runs, isolate its failure, track database health."""
        with self._state:
            self._running[job_id] = self.ctx.clock()
        try:
            result = func()
        except StorageError as exc:
            self._database_failed(exc)
            return None
        except Exception:
            log.exception("job %s failed; it runs again at its next time", job_id)
            return None
        else:
            if uses_db:
                self._database_ok()
            return result
        finally:
            with self._state:
                self._running.pop(job_id, None)
                if job_id != "heartbeat":
                    self._progress_at = self.ctx.clock()
                self._state.notify_all()

    def poll_job(self, name: str) -> None:
        self._run(f"poll:{name}", lambda: self._poll(name))

    def _poll(self, name: str) -> None:
        cfg = self.accounts[name]
        now = self.ctx.clock()
        with self.store.transaction() as session:
            wait_until = schedule.not_before(session, name)
        if wait_until is not None and wait_until > now:
            log.debug("%s: waiting until %s (rate limit or backoff)", name, wait_until.isoformat())
            self._plan_next(name)
            return
        pipeline.poll(self.ctx, cfg)
        self._plan_next(name)
        queued = self._classify()
        if queued:
            self.deliver_job()  # alerts go out now, not at the next delivery run

    def _plan_next(self, name: str) -> None:
        """Record the next poll; push it past the account's not-before when there is one."""
        with self.store.transaction() as session:
            wait_until = schedule.not_before(session, name)
        job = self.scheduler.get_job(f"poll:{name}")
        planned: datetime | None = job.next_run_time if job is not None else None
        if job is not None and wait_until is not None and (planned is None or wait_until > planned):
            job.modify(next_run_time=wait_until)
            planned = wait_until
        with self.store.transaction() as session:
            schedule.set_next_poll(session, name, planned)

    def _classify(self) -> int:
        with self._classify_lock:  # one classifier pass at a time: items are classified once
            _, _, queued = pipeline.classify_pending(self.ctx)
        return queued

    def deliver_job(self) -> None:
        if not self._deliver_lock.acquire(blocking=False):
            return  # a delivery is running; the next one picks up what it missed
        try:
            sent = self._run("deliver", lambda: outbox.deliver_due(self.store, self.config, self.ctx.clock()))
            if sent:
                log.info("delivered %d email(s)", sent)
        finally:
            self._deliver_lock.release()

    def escalate_job(self) -> None:
        from alerts import escalate

        self._run("escalate", lambda: escalate.check(self.store, self.config, self.ctx.clock()))

    def digest_job(self) -> None:
        def send() -> None:
            from alerts import digest  # imported when due: the digest is optional for the daemon

            if digest.send_weekly(self.store, self.config, self.ctx.clock()):
                log.info("weekly digest queued")

        self._run("digest", send)

    def retention_job(self) -> None:
        def purge() -> None:
            now = self.ctx.clock()
            days = self.config.retention.text_days
            done = retention.purge_all(self.store, now, text_days=days)
            with self.store.transaction() as session:  # expired sign-in links, sessions, rate counts
                web.sweep(session, now)
            files = retention.purge_eml(self.config.outbox_dir, now, text_days=days)
            if done.items or files:
                log.info(
                    "retention: erased the text of %d item(s) older than %d days, %d email file(s)",
                    done.items,
                    days,
                    files,
                )

        self._run("retention", purge)

    def replies_loop(self) -> None:
        """Read the replies mailbox until stopped: a reply acts within one poll (seconds with IDLE)."""
        from monitor import inbox
        from monitor.errors import MailboxError

        assert self.config.imap is not None
        wait = self.config.imap.poll_seconds
        while not self._stop.is_set():

            def once() -> None:
                try:
                    inbox.watch(
                        self.store, self.config, self.ctx.clock, self._stop, lambda _: self.deliver_job()
                    )
                except MailboxError as exc:
                    log.error("replies mailbox: %s; trying again in %d s", exc, wait)
                    self._stop.wait(wait)

            self._run("replies", once)

    def start_extras(self) -> None:
        """The replies reader and the web inbox, when configured."""
        if self.config.imap is not None:
            self._replies = threading.Thread(target=self.replies_loop, name="replies", daemon=True)
            self._replies.start()
        if self.config.web.enabled:
            from monitor.web import create_app, server

            self._web = server.start(create_app(self.config, self.store), self.config.web.bind)

    def stop_extras(self) -> None:
        if self._web is not None:
            self._web.stop()
            self._web = None
        if self._replies is not None:
            self._replies.join(timeout=self.timings.stop_timeout)
            self._replies = None

    def heartbeat_job(self) -> None:
        """Ping the watchdog only while the scheduler demonstrably makes progress."""
        self._run("heartbeat", self._heartbeat, uses_db=False)

    def _heartbeat(self) -> None:
        now = self.ctx.clock()
        problem = self.wedged(now)
        if problem:
            if not self._wedged_logged:
                log.error("%s: not pinging the watchdog, so systemd restarts the daemon", problem)
                self._wedged_logged = True
            return
        self._wedged_logged = False
        if self.store.engine.dialect.name == "postgresql":
            self._check_lock()
        try:  # what `monitor status` reads: a daemon that stops beating is reported
            with self.store.transaction() as session:
                schedule.heartbeat(session, now)
        except StorageError as exc:
            self._database_failed(exc)
            return
        if self.notifier.ping():
            self.pings += 1

    def poll_seconds(self) -> int:
        """The shortest poll interval: `status` calls the daemon dead after two of them without a beat."""
        intervals = [poll_interval(cfg, self.timings) for cfg in self.accounts.values()]
        shortest = min(intervals, default=timedelta(minutes=10))
        return max(int(shortest.total_seconds()), int(self.heartbeat_interval().total_seconds()), 1)

    def wedged(self, now: datetime) -> str | None:
        """Why the daemon is not working, or None when it is."""
        with self._state:
            running = dict(self._running)
            progress = self._progress_at
            failing = self._db_failing_since
        for job_id, started in running.items():
            if job_id != "heartbeat" and now - started > self.timings.stuck_after:
                return f"job {job_id} has been running since {started:%H:%M:%S} UTC"
        if progress is not None and now - progress > self.timings.stalled_after:
            return f"no job has finished since {progress:%H:%M:%S} UTC"
        if failing is not None and now - failing > self.timings.db_outage_limit:
            return f"the database has been failing since {failing:%H:%M:%S} UTC"
        return None

    # ------------------------------------------------------------ database health

    def _database_failed(self, exc: StorageError) -> None:
        now = self.ctx.clock()
        with self._state:
            if self._db_failing_since is None:
                self._db_failing_since = now
            since = self._db_failing_since
        log.error("database error (failing since %s): %s", since.isoformat(timespec="seconds"), exc)
        if now - since > self.timings.db_outage_limit:
            self.stop(1, f"the database has been failing since {since:%Y-%m-%d %H:%M:%S} UTC")

    def _database_ok(self) -> None:
        with self._state:
            recovered = self._db_failing_since is not None
            self._db_failing_since = None
        if recovered:
            log.warning("the database is reachable again")
            if self.store.engine.dialect.name == "postgresql":
                self._check_lock()

    def _check_lock(self) -> None:
        """PostgreSQL drops advisory locks with the session: take ours back after an outage."""
        if self.store.lock_held():
            return
        try:
            self.store.acquire_lock()
        except AlreadyRunning:
            log.critical("another monitor daemon took the single-instance lock while the database was down")
            self.stop(1, "another daemon holds the single-instance lock")
            return
        except StorageError as exc:
            log.warning("cannot check the single-instance lock: %s", exc)
            return
        log.warning("the single-instance lock had been lost (database restart?); taken again")

    # ------------------------------------------------------------ start and stop

    def resume(self) -> None:
        """What every start does before scheduling: record the start, retry emails given up on."""
        now = self.ctx.clock()
        with self.store.transaction() as session:
            schedule.daemon_started(
                session, now, pid=os.getpid(), host=socket.gethostname(), poll_seconds=self.poll_seconds()
            )
        released = outbox.release_failed(self.store, now)  # the cause may have been fixed before a restart
        if released:
            log.warning("retrying %d email(s) that had been given up on", released)

    def start(self) -> None:
        self.resume()
        self.add_jobs()
        self.scheduler.start()
        self.start_extras()
        for name in self.accounts:
            job = self.scheduler.get_job(f"poll:{name}")
            with self.store.transaction() as session:
                schedule.set_next_poll(session, name, job.next_run_time if job else None)
        self.notifier.ready(f"watching {len(self.accounts)} account(s)")
        log.warning(
            "monitor daemon started: %d account(s), database %s, watchdog %s",
            len(self.accounts),
            self.store.url,
            f"{self.notifier.watchdog.total_seconds():g} s" if self.notifier.watchdog else "off",
        )
        for notice in classifier_notices(self.ctx.classifier):
            log.warning("%s", notice)

    def stop(self, code: int = 0, reason: str = "") -> None:
        """Ask the daemon to stop (from a signal handler or a job); `wait()` returns."""
        if code and not self.exit_code:
            self.exit_code, self.reason = code, reason
        self._stop.set()

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def shutdown(self) -> bool:
        """Stop the scheduler and wait for running jobs; False if one did not finish in time."""
        self.notifier.stopping()
        self.ctx.stop.set()  # pipeline loops finish their page or batch, then return
        self._stop.set()
        self.stop_extras()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = _time.monotonic() + self.timings.stop_timeout
        with self._state:
            while self._running and (left := deadline - _time.monotonic()) > 0:
                self._state.wait(left)
            unfinished = sorted(self._running)
        try:
            with self.store.transaction() as session:
                schedule.daemon_stopped(session, self.ctx.clock())
        except StorageError as exc:
            log.warning("could not record the stop: %s", exc)
        if unfinished:
            log.error(
                "stopping with %s still running; its open transaction is rolled back by the database",
                ", ".join(unfinished),
            )
            return False
        return True


def install_signal_handlers(service: Service) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.warning("received %s: stopping", signal.Signals(signum).name)
        service.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def serve(
    config: Config,
    environ: Mapping[str, str],
    *,
    timings: Timings = Timings(),
    build: Callable[[Config, Store], pipeline.Context] = pipeline.build_context,
) -> int:
    """`monitor run`: lock, migrate, schedule, run until SIGTERM; return the exit code."""
    notifier = Notifier.from_environ(environ)
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # "Running job …" every 30 s is noise
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    store = open_store(config.database_url, migrate=False)
    try:
        store.acquire_lock()  # before migrating: two daemons never migrate at once
        store.upgrade()
        ctx = build(config, store)
        with store.transaction() as session:
            accounts.ensure(session, [pipeline.account_of(a) for a in config.accounts])
        service = Service(ctx, notifier, timings)
        install_signal_handlers(service)
        service.start()
        service.wait()
        clean = service.shutdown()
    except BaseException:
        store.close()
        raise
    if service.exit_code:
        log.error("exiting with status %d: %s", service.exit_code, service.reason)
    else:
        log.warning("monitor daemon stopped")
    if not clean:  # worker threads still hold a request: leave without joining them
        logging.shutdown()
        os._exit(service.exit_code)
    store.close()
    notifier.close()
    return service.exit_code


def digest_overdue(config: Config, now: datetime) -> bool:
    """Whether this ISO week's scheduled digest time (in the configured zone) has passed."""
    hour, minute = (int(part) for part in config.digest.time.split(":"))
    trigger = CronTrigger(day_of_week=config.digest.day, hour=hour, minute=minute, timezone=config.tz)
    local = now.astimezone(config.tz)
    week_start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    fire = trigger.get_next_fire_time(None, week_start)
    return fire is not None and fire <= now
