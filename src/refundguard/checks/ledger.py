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
from refundguard.errors import NotApplicable
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
        raise NotApplicable("no ledger attached to this analysis (the claim service attaches it)")
    result = ctx.ledger.prior_abuse(ctx.claim)
    if result.count == 0:
        return []
    score, capped = _capped(ctx, min(1.0, ctx.config.score_first + ctx.config.score_per_more * (result.count - 1)))
    facts = result.to_dict()
    totals = ", ".join(f"{cur} {amount:,.2f}" for cur, amount in sorted(result.totals.items()))
    platforms = ", ".join(result.platforms)
    when = f"{facts['first_decided_on']} – {facts['last_decided_on']}"
    return [ctx.finding(
        CODE, image=None, score=score,
        en=f"The buyer has {result.count} adjudicated abuse entr{'y' if result.count == 1 else 'ies'} "
           f"(forged or reused evidence) on {platforms}, {totals} in total, decided {when}.",
        zh=f"该买家在 {platforms} 有 {result.count} 条经裁定的滥用记录（伪造或重复使用凭证），合计 {totals}，"
           f"裁定时间 {when}。",
        details={**facts, "capped": capped})]
