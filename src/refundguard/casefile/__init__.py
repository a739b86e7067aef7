"""The case as the law and the reader see it: legal tiers (:mod:`.legal`) and the claim's facts (:mod:`.facts`)."""
