"""Filing orders live here (issue 3 onwards)."""
