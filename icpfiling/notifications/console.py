"""Console email for the embedded run: what a person reads, not what SMTP carries.

Django's console backend prints the MIME message as it would go over the wire, so any
non-ASCII body (every Chinese email) appears base64-encoded and the confirmation link
in it cannot be read or clicked. This backend prints the headers a person needs and
the decoded text of each ``text/*`` part. Production keeps the SMTP backend
(``settings.MAILERS``); only the embedded default uses this one.
"""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

# The headers worth reading in a terminal, in this order.
_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date")


class EmailBackend(DjangoConsoleBackend):
    """Prints headers plus the decoded text body of each message."""

    def write_message(self, message):
        msg = message.message()
        lines = [f"{name}: {msg[name]}" for name in _HEADERS if msg[name] is not None]
        for part in msg.walk():
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            if part.get_content_disposition() == "attachment":
                lines.append(f"[attachment: {part.get_filename()}]")
                continue
            # get_content() undoes base64/quoted-printable and decodes the charset.
            lines.extend(["", part.get_content().rstrip("\n")])
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")
