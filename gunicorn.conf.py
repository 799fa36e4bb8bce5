"""gunicorn settings shared by `make run`, the Dockerfile and docker-compose (gunicorn reads this file
from its working directory). The access log must not carry the bearer tokens of phone links,
tracking links and reset links, nor personal data (R-X5, finding 7): every atom is scrubbed."""

logger_class = "icpfiling.core.scrub.ScrubbingGunicornLogger"
