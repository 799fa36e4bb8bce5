"""Apps, mini-programs and quick apps filed beside websites (R-AP1…R-AP5)."""
