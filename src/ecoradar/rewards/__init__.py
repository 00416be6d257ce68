"""Rewards for reporters: configurable rules, the enforcement outcome of a problem, eligibility,
the four-eyes ledger (proposed -> approved -> paid) and anonymous collection by tracking code
and secret."""
