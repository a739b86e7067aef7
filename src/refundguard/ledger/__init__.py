"""The cross-platform credit ledger: adjudicated refund abuse shared between platforms, privacy-preserving,
signed and appealable (docs/ledger.md).

Domain folders, like the service's:

- :mod:`.config` settings; :mod:`.identifiers` normalisation (E.164 phones, upper-case IDs);
- :mod:`.pseudonyms` RFC 9497 VOPRF through the operator (or a local HMAC in single-platform mode);
- :mod:`.records` the signed, hash-chained record format; :mod:`.feeds` publishing, serving, pulling;
- :mod:`.adjudication` decisions → entries → expiry; :mod:`.appeals`; :mod:`.lookup` the audited query;
- :mod:`.buyers` the buyer's rights; :mod:`.routes` the HTTP surface; :mod:`.operator` the OPRF operator;
- :mod:`.runtime` the per-process ``Ledger``; :mod:`.hooks` where the claim service calls in.

Importing this package imports nothing else: the service imports :mod:`.hooks` and :mod:`.models` only.
"""
