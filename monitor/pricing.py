"""What reading a platform costs: the one price table, and the estimate built from it.

`monitor status` and the weekly digest both show `Cost.basis`, so they always agree.

Source: X API pay-per-use prices, as collected in the team's platform notes (platform-apis.md,
late 2026) from X's pricing page (https://docs.x.com/x-api/getting-started/pricing), which lists
"Posts: Read $0.005 per resource" and "User: Read $0.010 per resource"; the notes add that
"owned reads" (mentions of the account that owns the developer app) cost $0.001 and that
the same resource is charged once per UTC day. Checked on `PRICES_AS_OF`.

    route   price     what the monitor reads by it
    owned   $0.001    mentions of the watched account, when that account owns the app
    post    $0.005    everything else: its own timeline, replies found by recent search,
                      and mentions when another account owns the app (XSettings.owns_app)

Polls never read users ($0.010: no `expansions` are requested); `check-config --online` reads
the account's own user once. Prices change: edit this table, its date and the README together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from monitor.types import ReadRoute

PRICES_AS_OF = "2026-12-07"
PRICE_SOURCE = "X pay-per-use prices"
READ_PRICES_USD: Mapping[str, Mapping[ReadRoute, float]] = {
    "x": {ReadRoute.OWNED: 0.001, ReadRoute.POST: 0.005},
}


def _price(value: float) -> str:
    return f"${value:.3f}".rstrip("0").rstrip(".") if value < 0.01 else f"${value:.2f}"


@dataclass(frozen=True)
class Cost:
    """Billed reads of one platform over some period, and what they cost."""

    platform: str
    owned: int  # owned reads
    posts: int  # other post reads

    @property
    def prices(self) -> Mapping[ReadRoute, float]:
        return READ_PRICES_USD[self.platform]

    @property
    def reads(self) -> int:
        return self.owned + self.posts

    @property
    def usd(self) -> float:
        """To the cent, halves rounded up (25 × $0.001 + 12 × $0.005 = $0.085 ≈ $0.09)."""
        exact = sum(
            Decimal(str(self.prices[route])) * count
            for route, count in ((ReadRoute.OWNED, self.owned), (ReadRoute.POST, self.posts))
        )
        return float(Decimal(exact).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    @property
    def basis(self) -> str:
        """E.g. "12 owned reads × $0.001 + 30 post reads × $0.005 ≈ $0.16"."""
        owned, post = _price(self.prices[ReadRoute.OWNED]), _price(self.prices[ReadRoute.POST])
        return (
            f"{self.owned} owned read{'s' * (self.owned != 1)} × {owned} + "
            f"{self.posts} post read{'s' * (self.posts != 1)} × {post} ≈ ${self.usd:.2f}"
        )

    @property
    def source(self) -> str:
        return f"{PRICE_SOURCE} as of {PRICES_AS_OF}"


def cost(platform: str, reads: int, owned: int) -> Cost | None:
    """The cost of `reads` billed reads, `owned` of them owned reads; None if the platform is free."""
    if platform not in READ_PRICES_USD:
        return None
    return Cost(platform, owned=owned, posts=max(0, reads - owned))
