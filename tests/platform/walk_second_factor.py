"""Tenant-walk recipe for the second-factor pages (R-X3): they act on the signed-in user only."""

NO_OBJECT = {"accounts:second_factor_setup", "accounts:second_factor_verify"}
