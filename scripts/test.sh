#!/usr/bin/env bash
# The README's test command. Sets everything up, then runs the whole suite.
#
# Locally: SQLite, and PostgreSQL/Redis/Chromium tests skip when those are absent
# (set DATABASE_URL / REDIS_URL to include them). With CI=true: the suite runs on
# the real PostgreSQL and Redis on 127.0.0.1 with Chromium, then once more on
# SQLite, and any skipped test fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-chromium.sh || echo "test.sh: no Chromium; browser tests will skip" >&2
bash scripts/ensure-fonts.sh || echo "test.sh: no CJK TrueType font; the font-embedding test will skip" >&2
export PYTHONDONTWRITEBYTECODE=1
py=.venv/bin/python
case "${CI:-}" in
  true|1|yes)
    bash scripts/ensure-services.sh
    echo "== PostgreSQL + Redis + Chromium ==" >&2
    DATABASE_URL=${CI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
    REDIS_URL=${CI_REDIS_URL:-redis://127.0.0.1:6379/15} \
      "$py" -m pytest "$@"
    echo "== SQLite (embedded default) ==" >&2
    env -u DATABASE_URL -u REDIS_URL "$py" -m pytest -m "not postgres and not redis and not browser" "$@"
    ;;
  *)
    "$py" -m pytest "$@"
    ;;
esac
