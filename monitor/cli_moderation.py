"""`monitor hide ITEM_ID`: a person hides one item on its platform. Nothing is hidden automatically."""

from __future__ import annotations

import click

from monitor.errors import InputError


@click.command("hide")
@click.argument("item_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def hide(obj: object, item_id: str, yes: bool) -> None:
    """Hide ITEM_ID on its platform: the item number an alert email or `monitor alerts show` gives
    ("Item number: 123"), or the platform's own id for it."""
    from monitor.cli import Obj, opened
    from monitor.pipeline import build_connector, new_http_session
    from monitor.store.moderation import find_item

    assert isinstance(obj, Obj)
    config = obj.config()
    with opened(config) as store, store.transaction() as session:
        item = find_item(session, item_id)
    if item is None:
        raise InputError(
            f"no stored item {item_id!r} (give the item number from an alert email or "
            "`monitor alerts show ID`, or the platform's id)"
        )
    cfg = next((a for a in config.accounts if a.name == item.account), None)
    if cfg is None:
        raise InputError(
            f"item {item.id} belongs to account {item.account!r}, which is not in the configuration"
        )
    preview = (item.text or "(text erased)").replace("\n", " ")
    preview = preview if len(preview) <= 120 else preview[:117] + "…"
    click.echo(
        f"Item {item.id} on {item.account} ({item.platform}, {item.kind}) by {item.author or 'unknown'}:"
    )
    click.echo(f"  {preview}")
    if item.deleted:
        click.echo("The platform already reports this item deleted.")
    if not yes and not click.confirm("Hide it on the platform?", default=False):
        click.echo("Nothing was hidden.")
        return
    connector = build_connector(config, cfg, new_http_session())
    connector.hide(item.external_id)
    click.echo(f"Hidden on {item.platform}: {item.external_id}")
