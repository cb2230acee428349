#!/usr/bin/env bash
# Run every check and the whole test suite (DATABASE_URL picks the database; SQLite by default).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || { echo "Cannot install Chromium: browser tests need /usr/bin/chromium" >&2; exit 1; }
fi
.venv/bin/ruff check .
.venv/bin/lint-imports
.venv/bin/mypy
# Two workers, a test file each at a time (module fixtures stay whole); each has its own database. Then, alone, the
# tests a busy machine upsets: real browsers (their waits time out) and gunicorn workers killed mid-request.
.venv/bin/pytest -q -n 2 --dist loadfile -m "not alone" "$@"
.venv/bin/pytest -q -m alone "$@" || [ $? -eq 5 ]  # 5: none selected by the arguments
