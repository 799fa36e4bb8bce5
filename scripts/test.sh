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
    # The two runs share nothing (own database, own var directory, no Redis for SQLite),
    # so they run side by side: the PostgreSQL run spends much of its time waiting on
    # the database and Chromium, which leaves the second core to the SQLite run.
    sqlite_var=$(mktemp -d)
    sqlite_log="$sqlite_var/pytest.log"
    echo "== SQLite (embedded default), in the background: $sqlite_log ==" >&2
    env -u DATABASE_URL -u REDIS_URL ICPFILING_VAR_DIR="$sqlite_var" \
      "$py" -m pytest -m "not postgres and not redis and not browser" "$@" >"$sqlite_log" 2>&1 &
    sqlite_pid=$!
    echo "== PostgreSQL + Redis + Chromium ==" >&2
    pg_status=0
    DATABASE_URL=${CI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
    REDIS_URL=${CI_REDIS_URL:-redis://127.0.0.1:6379/15} \
      "$py" -m pytest "$@" || pg_status=$?
    sqlite_status=0
    wait "$sqlite_pid" || sqlite_status=$?
    echo "== SQLite (embedded default) ==" >&2
    cat "$sqlite_log"
    rm -rf "$sqlite_var"
    echo "test.sh: PostgreSQL run exit $pg_status, SQLite run exit $sqlite_status" >&2
    [ "$pg_status" -eq 0 ] && [ "$sqlite_status" -eq 0 ]
    ;;
  *)
    "$py" -m pytest "$@"
    ;;
esac
