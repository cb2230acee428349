#!/usr/bin/env bash
# Start Otklik on its embedded default: SQLite in instance/, demo data on first start, scheduler in-process.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh requirements.txt
export OTKLIK_SCHEDULER=${OTKLIK_SCHEDULER:-1}
export OTKLIK_SECURE_COOKIES=${OTKLIK_SECURE_COOKIES:-0}  # served on plain http://127.0.0.1
.venv/bin/flask --app app init-db --demo
echo "Otklik: http://127.0.0.1:${PORT:-5000}"
exec .venv/bin/flask --app app run --host 127.0.0.1 --port "${PORT:-5000}"
