"""Verification-point applications (R-K1..R-K3): filled in by the programme's issue."""

__all__: list[str] = []
