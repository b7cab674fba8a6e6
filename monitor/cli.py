"""`monitor` command line: thin commands over the functions the daemon calls.

Exit codes: 0 success, 1 runtime failure (or, for `status`, something needs attention),
2 usage or configuration error. Errors are one clear line; a traceback only with --debug.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from monitor import __version__
from monitor import config as config_mod
from monitor.config import Config
from monitor.errors import ConfigError, InputError, MonitorError

log = logging.getLogger(__name__)
DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """'60d', '12h', '30m', '2w', or an ISO date/date-time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    match = DURATION.match(value)
    if match:
        return now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a duration (30m, 12h, 60d, 2w) nor a date (2026-11-01)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class Obj:
    """What the group's options give every command."""

    def __init__(self, config_path: str | None, debug: bool) -> None:
        self.config_path = config_path
        self.debug = debug

    def config(self, demo: bool = False) -> Config:
        return config_mod.load_demo() if demo else config_mod.load(self.config_path)


class MonitorGroup(click.Group):
    """Maps domain errors to one clear line and an exit code, at the boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except ConfigError as exc:
            _fail(ctx, f"configuration error: {exc}", 2, exc)
        except InputError as exc:
            _fail(ctx, f"input error: {exc}", 2, exc)
        except MonitorError as exc:
            _fail(ctx, f"error: {exc}", 1, exc)
        except KeyboardInterrupt:
            _fail(ctx, "interrupted", 130, None)
        except BrokenPipeError:
            # the reader went away (`monitor classify … | head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:
            _fail(
                ctx, f"internal error: {exc.__class__.__name__}: {exc} (run with --debug for details)", 1, exc
            )


def _fail(ctx: click.Context, message: str, code: int, exc: BaseException | None) -> None:
    obj = ctx.find_object(Obj)
    if obj is not None and obj.debug and exc is not None:
        import traceback

        traceback.print_exception(exc)
    click.echo(message, err=True)
    ctx.exit(code)


def setup_logging(verbose: int, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    # Under systemd, journald adds timestamps; elsewhere we do.
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr, force=True)
    # Libraries that print request headers (and so tokens) at DEBUG stay quieter.
    for name in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    metavar="FILE",
    help="Configuration file (default: $MONITOR_CONFIG, ./monitor.toml, ~/.config/monitor/monitor.toml, /etc/monitor/monitor.toml).",
)
@click.option("-v", "--verbose", count=True, help="Log progress (INFO).")
@click.option("--debug", is_flag=True, help="Log everything and show tracebacks.")
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, debug: bool) -> None:
    """Watch an organisation's social-media accounts; alert the Managing Director."""
    setup_logging(verbose, debug)
    ctx.obj = Obj(config_path, debug)


def main() -> None:
    cli(prog_name="monitor")


@contextlib.contextmanager
def opened(config: Config) -> Iterator[Any]:
    from monitor.store import open_store

    store = open_store(config.database_url)
    try:
        yield store
    finally:
        store.close()


# ------------------------------------------------------------------ scan


@cli.command()
@click.option(
    "--since",
    "since_text",
    metavar="DURATION|DATE",
    help="Fetch items newer than this: 30m, 12h, 60d, 2w or 2026-11-01.",
)
@click.option("--platform", "platforms", multiple=True, help="Only accounts on this platform (repeatable).")
@click.option(
    "--account", "names", multiple=True, help="Only this account (its name in the config; repeatable)."
)
@click.option("--dry-run", is_flag=True, help="Fetch and classify, but store nothing and send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a summary.")
@click.option(
    "--demo", is_flag=True, help="Use the bundled demo data and configuration (own state directory)."
)
@click.pass_obj
def scan(
    obj: Obj,
    since_text: str | None,
    platforms: tuple[str, ...],
    names: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    demo: bool,
) -> None:
    """Fetch, classify and alert once, then exit."""
    from monitor import pipeline

    config = obj.config(demo)
    since = parse_since(since_text) if since_text else None
    chosen = [
        a
        for a in config.accounts
        if (not platforms or a.platform in platforms) and (not names or a.name in names)
    ]
    if names and len(chosen) < len(names):
        unknown = sorted(set(names) - {a.name for a in config.accounts})
        raise click.BadParameter(f"no such account: {', '.join(unknown)}", param_hint="--account")
    if not chosen:
        raise ConfigError(
            "no accounts to scan (add [[accounts]] to the configuration)", path=str(config.path)
        )
    progress = _progress if sys.stderr.isatty() and not as_json else None
    with _scan_store(config, dry_run) as store:
        ctx = pipeline.build_context(config, store)
        ctx.caller_reports_warnings = True  # printed once, in the summary or the JSON
        report = pipeline.scan(
            ctx, since=since, only=chosen, deliver=not dry_run, one_shot=True, progress=progress
        )
    if progress:
        click.echo("\r\033[K", nl=False, err=True)
    report = report if not dry_run else _as_dry(report)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print_report(report, since)
    if report.failed_accounts and len(report.failed_accounts) == len(report.accounts):
        sys.exit(1)


def _as_dry(report: Any) -> Any:
    import dataclasses

    return dataclasses.replace(report, dry_run=True, outbox=None)


@contextlib.contextmanager
def _scan_store(config: Config, dry_run: bool) -> Iterator[Any]:
    """The real store, or for --dry-run a throwaway copy of it (so the prediction is exact)."""
    with opened(config) as store:
        if not dry_run:
            yield store
            return
        with store.scratch() as scratch:
            yield scratch


def _progress(account: str, count: int) -> None:
    click.echo(f"\r\033[K{account}: {count} items", nl=False, err=True)


def _print_report(report: Any, since: datetime | None) -> None:
    window = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
    click.echo(f"Scanned {len(report.accounts)} account(s){window}{' (dry run)' if report.dry_run else ''}")
    for a in report.accounts:
        status = (
            click.style(f"FAILED: {a.error}", fg="red")
            if a.error
            else f"{a.items_fetched} fetched, {a.items_new} new"
        )
        click.echo(f"  {a.account:<28} {status}")
        for warning in a.warnings[:10]:
            click.echo(click.style(f"    {warning}", fg="yellow"))
        if len(a.warnings) > 10:
            click.echo(
                click.style(f"    … and {len(a.warnings) - 10} more (`--json` lists them all)", fg="yellow")
            )
    click.echo(f"Classified {report.items_classified} item(s)")
    for label, count in sorted(report.findings.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {label:<22} {count}")
    if report.dry_run:
        click.echo(f"Alerts that would be sent: {report.alerts_queued} (dry run: nothing stored or sent)")
    else:
        where = f" (written to {report.outbox})" if report.outbox else ""
        click.echo(f"Alerts: {report.alerts_queued} queued, {report.alerts_sent} delivered{where}")
        if report.alerts_waiting:
            click.echo(
                f"{report.alerts_waiting} alert(s) waiting (quiet hours or mail retrying): "
                "`monitor status` shows them; the daemon sends them when due"
            )


# ------------------------------------------------------------------ classify


@cli.command()
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help='Read one JSON object per line ({"id", "text", …}); \'-\' for stdin.',
)
@click.option(
    "--backend", default=None, help="Classifier backend (default: from the config, else 'default')."
)
@click.pass_obj
def classify(obj: Obj, text: str | None, jsonl: Any, backend: str | None) -> None:
    """Classify TEXT, or every line of a JSONL file, and print the verdicts."""
    from classifiers.base import load
    from monitor.types import TextInput

    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    options: dict[str, Any] = {}
    if backend is None:
        backend = "default"
        with contextlib.suppress(ConfigError):
            if obj.config_path or os.environ.get("MONITOR_CONFIG"):
                cfg = obj.config()
                backend, options = cfg.classifier.backend, cfg.classifier_options
    classifier = load(backend, **options)
    if text is not None:
        result = classifier.classify([TextInput(text)])[0]
        _print_verdict(text, result)
        return
    batch: list[tuple[Any, TextInput]] = []
    for number, line in enumerate(jsonl, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or "text" not in record or "id" not in record:
                raise ValueError("needs at least 'id' and 'text'")
            item = TextInput(
                str(record["text"]),
                record.get("platform"),
                record.get("kind"),
                bool(record.get("author_is_org", False)),
            )
        except (ValueError, TypeError) as exc:
            click.echo(f"line {number}: skipped: {exc}", err=True)
            continue
        batch.append((record["id"], item))
        if len(batch) >= 500:
            _emit(classifier, batch)
            batch = []
    _emit(classifier, batch)


def _emit(classifier: Any, batch: list[tuple[Any, Any]]) -> None:
    if not batch:
        return
    for (item_id, _), result in zip(batch, classifier.classify([i for _, i in batch]), strict=True):
        click.echo(json.dumps(verdict_json(item_id, result), ensure_ascii=False))


def verdict_json(item_id: Any, result: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "labels": list(result.labels),
        "scores": {k: round(float(v), 4) for k, v in result.scores.items()},
        "reasons": {k: list(v) for k, v in result.reasons.items() if k in result.labels},
    }


def _print_verdict(text: str, result: Any) -> None:
    if not result.labels:
        click.echo("No concerns found.")
    for label in result.labels:
        click.echo(click.style(f"{label}", bold=True) + f"  (score {result.scores.get(label, 0):.2f})")
        for reason in result.reasons.get(label, ()):
            click.echo(f"  - {reason}")
    click.echo(
        "Scores: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(result.scores.items(), key=lambda kv: -kv[1]))
    )


@cli.command("check-post")
@click.argument("text", required=False)
@click.option(
    "--file",
    "path",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help="Read the draft from a file ('-' for stdin).",
)
@click.option("--platform", default=None, help="Where it will be posted (facebook, instagram, x, …).")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def check_post_command(text: str | None, path: Any, platform: str | None, as_json: bool) -> None:
    """Check a draft before posting it on an official account (policy 3.3 and 4.2).

    Exits 1 when the draft must change (it could identify a client, or reads as hostile).
    """
    from classifiers.prepublish import check_post

    if (text is None) == (path is None):
        raise click.UsageError("give either TEXT or --file FILE")
    draft = text if text is not None else path.read()
    verdict = check_post(draft, platform=platform)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "must_change": verdict.must_change,
                    "concerns": [
                        {
                            "label": c.label,
                            "explanation": c.explanation,
                            "evidence": list(c.evidence),
                            "spans": [
                                {
                                    "start": s.start,
                                    "end": s.end,
                                    "kind": s.kind,
                                    "text": draft[s.start : s.end],
                                }
                                for s in c.spans
                            ],
                        }
                        for c in verdict.concerns
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(verdict.summary())
        for concern in verdict.concerns:
            for span in concern.spans:
                click.echo(
                    f"  - in your draft: \u201c{draft[span.start : span.end]}\u201d ({span.kind.replace('_', ' ')})"
                )
    if verdict.must_change:
        sys.exit(1)


# ------------------------------------------------------------------ configuration and database


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=Path("monitor.toml"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, force: bool) -> None:
    """Write a commented example configuration to PATH (default ./monitor.toml)."""
    from importlib.resources import files

    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists (use --force to overwrite)")
    example = files("monitor.defaults").joinpath("monitor.example.toml").read_text(encoding="utf-8")
    path.write_text(example, encoding="utf-8")
    click.echo(f"Wrote {path}. Edit it, then run: monitor -c {path} check-config")
    from classifiers.encoder import ENCODER_MISSING, find_model

    if find_model() is None:
        click.echo(f"Warning: {ENCODER_MISSING}")


@cli.command("check-config")
@click.option("--online", is_flag=True, help="Also verify each account's credentials with one cheap call.")
@click.option("--demo", is_flag=True, help="Check the bundled demo configuration.")
@click.pass_obj
def check_config(obj: Obj, online: bool, demo: bool) -> None:
    """Validate the configuration and print it, secrets masked."""
    config = obj.config(demo)
    from monitor import checks

    found = checks.offline(config)
    problems = list(found.problems)
    click.echo(f"# {config.path}: valid")
    click.echo(json.dumps(config_mod.masked(config), indent=2, default=str))
    for warning in found.warnings:
        click.echo(click.style(f"warning: {warning}", fg="yellow"), err=True)
    if online:
        problems += checks.online(config)
    for problem in problems:
        click.echo(click.style(f"problem: {problem}", fg="red"), err=True)
    if problems:
        sys.exit(1)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--demo", is_flag=True)
@click.pass_obj
def db_upgrade(obj: Obj, demo: bool) -> None:
    """Apply pending migrations (also done automatically on start)."""
    from monitor.store import open_store

    config = obj.config(demo)
    store = open_store(config.database_url, migrate=False)
    try:
        applied = store.upgrade()
        click.echo(
            f"{store.url}: {'applied ' + ', '.join(applied) if applied else 'up to date'} (at {store.current_revision()})"
        )
    finally:
        store.close()


# ------------------------------------------------------------------ status


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--demo", is_flag=True)
@click.pass_obj
def status(obj: Obj, as_json: bool, demo: bool) -> None:
    """Health of every account, the outbox and open alerts; exit 1 if something needs attention."""
    from monitor import health

    config = obj.config(demo)
    with opened(config) as store:
        report = health.collect(config, store, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        click.echo(health.render_text(report, config))
    if report.problems:
        sys.exit(1)


from monitor.cli_service import forget, run  # noqa: E402

cli.add_command(run)
cli.add_command(forget)

from monitor.cli_moderation import hide  # noqa: E402

cli.add_command(hide)

from monitor.cli_digest import digest  # noqa: E402

cli.add_command(digest)

from monitor.cli_alerts import alerts_group  # noqa: E402

cli.add_command(alerts_group)

from monitor.cli_web import feedback_group, web  # noqa: E402

cli.add_command(web)
cli.add_command(feedback_group)
