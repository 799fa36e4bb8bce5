# syntax=docker/dockerfile:1
# One image for web (gunicorn), worker and beat (Celery) and the migrate job;
# docker-compose.yml picks the command. Configuration comes from the environment
# at run time (see .env.example); nothing secret is baked in.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# A TrueType CJK font so the verification-sheet PDF embeds its Chinese glyphs (R-D5).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so that editing the code does not reinstall them. The
# project declares no packages ([tool.setuptools] packages = []): installing "."
# installs only the dependencies, pinned by the lock file.
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt . && rm -rf build ./*.egg-info

COPY . .

# Translations and static files are built into the image. collectstatic must run
# in production mode: production serves static files through WhiteNoise's
# manifest storage, which needs the staticfiles.json written only by that storage
# (an embedded-mode collectstatic leaves it out and every {% static %} raises).
# The values below are throwaway placeholders that exist for this one command
# only; nothing connects to them and none of them stays in the image's environment.
RUN ICPFILING_MODE=production \
    ICPFILING_VAR_DIR=/tmp/build-var \
    DJANGO_SECRET_KEY=build-only-placeholder-never-used-at-run-time-0123456789 \
    DATABASE_URL=postgres://build:build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    S3_BUCKET=build S3_ACCESS_KEY_ID=build S3_SECRET_ACCESS_KEY=build-only \
    sh -c 'python manage.py compile_translations && python manage.py collectstatic --no-input -v 0' \
    && rm -rf /tmp/build-var

# The code stays owned by root (read-only for the app); the app user may write
# only var/ (embedded mode, if the image is ever run without ICPFILING_MODE).
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app app \
    && mkdir -p /app/var \
    && chown app:app /app/var
USER app

EXPOSE 8000
# The same server as docker-compose.yml's web service (which says why 5 sync workers), so that an
# image run on its own behaves as the measured stack does.
CMD ["gunicorn", "icpfiling.wsgi", "--bind=0.0.0.0:8000", "--workers=5", "--worker-class=sync", \
     "--worker-tmp-dir=/dev/shm", "--timeout=30", "--graceful-timeout=20", "--access-logfile=-"]
