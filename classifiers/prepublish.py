"""Pre-publication check for staff drafts (``monitor check-post``).

Policy 3.3 (prohibited content) and 4.2 (confidentiality) of the social media policy:
nothing that could identify a client (names, places, ages, descriptions, images), no
client stories even when anonymised, no personal information about clients, and no
discriminatory, offensive or unprofessional language. A draft is treated as written by
the organisation (``author_is_org=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.types import Span, TextInput

__all__ = ["Concern", "PostCheck", "check_post"]

_POLICY_CONF = (
    "Policy 3.3 and 4.2: posts must not contain anything that could identify a client, "
    "and must not share client stories, even when anonymised."
)
_POLICY_LANG = "Policy 3.3: posts must not contain discriminatory, offensive or unprofessional language."


@dataclass(frozen=True)
class Concern:
    label: str  # "confidentiality_risk", "harassment", …
    explanation: str  # plain language, cites the policy
    evidence: tuple[str, ...]
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class PostCheck:
    must_change: bool
    concerns: tuple[Concern, ...]
    masked: str  # the draft with sensitive spans masked, safe to quote in a log

    def summary(self) -> str:
        if not self.concerns:
            return "No concerns found. Still read it once more as if you were the client."
        lines = [
            "This draft must change before it is posted:"
            if self.must_change
            else "Please look again at this draft:"
        ]
        for c in self.concerns:
            lines.append(f"- {c.explanation}")
            lines.extend(f"    evidence: {e}" for e in c.evidence)
        return "\n".join(lines)


def check_post(text: str, *, platform: str | None = None, classifier_name: str = "default") -> PostCheck:
    """Check a draft post. ``must_change`` is True when a confidentiality or conduct rule is hit.

    Exit code for the CLI: 1 when ``must_change``, else 0.
    """
    from classifiers.base import load
    from classifiers.confidentiality import mask

    result = load(classifier_name).classify(
        [TextInput(text=text, platform=platform, kind="own_post", author_is_org=True)]
    )[0]
    concerns: list[Concern] = []
    if "confidentiality_risk" in result.labels:
        concerns.append(
            Concern(
                "confidentiality_risk",
                "This could identify a client or describe someone's therapy or health. "
                + _POLICY_CONF
                + " Remove names, ages, places and personal details, or do not post it.",
                result.reasons.get("confidentiality_risk", ()),
                tuple(
                    s
                    for s in result.spans
                    if s.kind in {"name", "handle", "health", "phone", "email", "postcode", "nhs_number"}
                ),
            )
        )
    elif any(s.kind in {"phone", "email", "postcode", "nhs_number"} for s in result.spans):
        concerns.append(
            Concern(
                "contact_details",
                "The draft contains contact details. Check they are the organisation's own, "
                "not a person's. " + _POLICY_CONF,
                (),
                tuple(s for s in result.spans if s.kind in {"phone", "email", "postcode", "nhs_number"}),
            )
        )
    for label in ("harassment", "hate", "threat"):
        if label in result.labels:
            concerns.append(
                Concern(
                    label,
                    "The wording may read as hostile or offensive. " + _POLICY_LANG,
                    result.reasons.get(label, ()),
                )
            )
    if result.scores.get("offensive", 0.0) >= 0.5 and not any(
        c.label in {"harassment", "hate", "threat"} for c in concerns
    ):
        concerns.append(
            Concern(
                "offensive",
                "The wording may be seen as unprofessional. " + _POLICY_LANG,
                result.reasons.get("offensive", ()),
            )
        )
    must_change = any(c.label in {"confidentiality_risk", "harassment", "hate", "threat"} for c in concerns)
    return PostCheck(must_change, tuple(concerns), mask(text, result.spans))
