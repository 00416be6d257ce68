"""Analyser parameters uploaded by devices (HJ 212-2017 CN=3020, codes i13001-i13013) and
their history per point and factor (issue 20)."""
