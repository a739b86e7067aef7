"""The OPRF operator: a small HTTP service that evaluates blinded pseudonym requests for the members.

It holds the OPRF key and nothing else: no ledger data, no feeds, no identifiers (it only ever receives blinded
group elements). It authenticates each member by its Ed25519 request signature and rate-limits each member
(token bucket), so that no member can turn it into a dictionary of phone numbers. Its log lines name the member,
the number of elements and the outcome, never an element.
"""
