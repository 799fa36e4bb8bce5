"""The password hasher: Argon2id with the parameters OWASP's Password Storage Cheat Sheet gives.

Django's own Argon2 defaults (100 MiB, 2 passes, 8 lanes) cost about 280 ms of CPU per login
on the 2-core hosts this portal targets, spread over both cores; under the load test (issue 17)
fifty logins at the start of a shift held every request behind them. OWASP's first listed
configuration, 19 MiB, 2 passes, 1 lane, costs about 29 ms here and is what it names as the
minimum for Argon2id. Hashes made with other parameters (Django's defaults) still verify, and
are rewritten with these at the user's next login (``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
