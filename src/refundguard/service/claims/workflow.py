"""The claim lifecycle as a table. Pure: no I/O.

::

    created ─► analysing ─► auto_approved ──────────────────────────────────► closed
                   ▲   ├──► awaiting_merchant ─► in_review ─► decided ────────► closed
                   │   └──► in_review ──────────────┘  │  ▲       ▲
                   │                                   ▼  │ expired│
                   ├─── evidence received ──── awaiting_evidence ──┘ (decided early)
                   └──── new evidence (merchant references, buyer's extra photos) in a window or in review

``decided`` carries an outcome: approved or rejected. A reviewer's request for more evidence is not an outcome
but the state ``awaiting_evidence``, addressed to the buyer or the merchant, with a deadline: the addressed party's
evidence re-opens the analysis and then goes to a reviewer; at the deadline the claim goes back to the reviewer
queue with that fact (never to an automatic refund or rejection).
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    CREATED = "created"
    ANALYSING = "analysing"
    AUTO_APPROVED = "auto_approved"
    AWAITING_MERCHANT = "awaiting_merchant"
    IN_REVIEW = "in_review"
    AWAITING_EVIDENCE = "awaiting_evidence"
    DECIDED = "decided"
    CLOSED = "closed"


class Outcome(StrEnum):
    """A reviewer's decision. ``more_evidence_requested`` opens an evidence request; it is never stored as an
    outcome of a decided claim."""

    APPROVED = "approved"
    REJECTED = "rejected"
    MORE_EVIDENCE_REQUESTED = "more_evidence_requested"


class Party(StrEnum):
    """Who is asked for more evidence: the buyer (through the platform) or the merchant."""

    BUYER = "buyer"
    MERCHANT = "merchant"


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    EXPIRED = "expired"


ALLOWED_TRANSITIONS: dict[State, frozenset[State]] = {
    State.CREATED: frozenset({State.ANALYSING}),
    State.ANALYSING: frozenset({State.AUTO_APPROVED, State.AWAITING_MERCHANT, State.IN_REVIEW}),
    State.AUTO_APPROVED: frozenset({State.CLOSED}),
    State.AWAITING_MERCHANT: frozenset({State.ANALYSING, State.IN_REVIEW, State.AWAITING_EVIDENCE, State.DECIDED}),
    State.IN_REVIEW: frozenset({State.ANALYSING, State.AWAITING_EVIDENCE, State.DECIDED}),
    State.AWAITING_EVIDENCE: frozenset({State.ANALYSING, State.IN_REVIEW, State.DECIDED}),
    State.DECIDED: frozenset({State.CLOSED}),
    State.CLOSED: frozenset(),
}

#: States in which new evidence may be attached (and triggers a re-analysis); in ``awaiting_evidence`` only the
#: addressed party's evidence is accepted.
OPEN_FOR_EVIDENCE = frozenset({State.AWAITING_MERCHANT, State.IN_REVIEW, State.AWAITING_EVIDENCE})
#: States in which a reviewer decides.
DECIDABLE = frozenset({State.IN_REVIEW, State.AWAITING_MERCHANT, State.AWAITING_EVIDENCE})


def can_transition(current: str, target: str) -> bool:
    """Whether the lifecycle allows ``current -> target``."""
    try:
        return State(target) in ALLOWED_TRANSITIONS[State(current)]
    except ValueError:
        return False
