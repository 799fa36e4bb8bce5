"""Verification points live here (issue 6)."""
