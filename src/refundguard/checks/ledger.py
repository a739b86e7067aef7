"""Ledger: the buyer's adjudicated abuse on this and other platforms (``ledger.prior_abuse``).

It asks the cross-platform ledger (:mod:`refundguard.ledger`) for the entries that stand against the claim's
buyer: reviewer decisions of forged or reused evidence whose appeal window passed or whose appeal was rejected,
neither contested, revoked nor expired. It says nothing about the photos; it is a claim-level finding with a
bounded contribution: its score is capped so that, on its own, it never lifts a claim to ``high``.

Not applicable (never "nothing found") when no ledger is attached (the CLI), when the claim is not a stored open
claim, or when the buyer's identifiers were never registered. The finding is for reviewers: merchants' views of the
report leave it out (:func:`refundguard.ledger.visibility.for_merchant`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from refundguard.checks.registry import CheckContext, check
from refundguard.config import logit
from refundguard.errors import not_applicable
from refundguard.findings import Finding

CODE = "ledger.prior_abuse"


class LedgerCheckConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: score of one standing entry; each further entry adds ``score_per_more`` (at most 1)
    score_first: float = Field(0.5, ge=0.0, le=1.0)
    score_per_more: float = Field(0.25, ge=0.0, le=1.0)
    #: log-odds the finding alone must stay below the ``high`` threshold (the bound on its contribution)
    margin_below_high: float = Field(1.0, ge=0.0)


def _capped(ctx: CheckContext, score: float) -> tuple[float, bool]:
    """The score, lowered when needed so that prior + weight × score stays ``margin`` below ``high``."""
    weight = ctx.settings.weight(CODE)
    if weight <= 0:
        return score, False
    room = logit(ctx.settings.levels.high) - ctx.settings.prior_logit - ctx.config.margin_below_high
    ceiling = max(0.0, room / weight)
    return (ceiling, True) if score > ceiling else (score, False)


@check("ledger", config=LedgerCheckConfig)
def run(ctx: CheckContext) -> list[Finding]:
    if ctx.ledger is None:
        raise not_applicable("ledger.na.no_ledger")
    result = ctx.ledger.prior_abuse(ctx.claim)
    if result.count == 0:
        return []
    score, capped = _capped(ctx, min(1.0, ctx.config.score_first + ctx.config.score_per_more * (result.count - 1)))
    return [ctx.finding(CODE, image=None, score=score, variant="entries",
                        details={**result.to_dict(), "capped": capped})]
