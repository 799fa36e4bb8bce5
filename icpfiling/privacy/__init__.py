"""Identity data at rest (R-X1): encrypted fields, blind indexes, key rotation, the dump check.

Below both apps and beside ``icpfiling.core``: it imports only Django and ``cryptography``.
"""
