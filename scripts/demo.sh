#!/usr/bin/env bash
# Runs facegate on this machine with the zero-setup defaults (SQLite under instance/, local Redis):
# migrates, (re)sets the demo admin's password, starts the web app and a worker. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

flask db upgrade
password=$(python -c 'import secrets; print(secrets.token_urlsafe(12))')
if ! flask users create-admin admin --password "$password" >/dev/null 2>&1; then
  flask users set-password admin --password "$password" >/dev/null
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "demo: stopping"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

celery -A worker worker --loglevel INFO --concurrency 1 >instance/worker.log 2>&1 &
pids+=($!)
flask run --host 127.0.0.1 --port 5000 >instance/web.log 2>&1 &
pids+=($!)

cat <<MSG

facegate demo is running.
  Web app:  http://127.0.0.1:5000/   sign in as  admin  /  $password
  Logs:     instance/web.log, instance/worker.log
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
