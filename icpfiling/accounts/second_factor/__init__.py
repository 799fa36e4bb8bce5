"""R-X3: a TOTP second factor (django-otp) with single-use recovery codes.

Required for provider staff, authority reviewers and the operator; applicants may opt in.
The embedded demo run lets staff in with email and password alone through one setting,
``ICPFILING_DEMO_PASSWORD_ONLY_LOGIN``, which production refuses to start with.
"""
