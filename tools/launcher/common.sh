# shellcheck shell=bash
# Shared helpers of the ./taskgres launcher (sourced, never executed).
#
# Provides: ROOT (repository root), STATE_DIR (absolute, from TASKGRES_STATE_DIR), logging
# (say, warn, die), as_postgres (run a command as the postgres user when we are root) and
# pg_bin (path of a PostgreSQL program).

if [[ -z "${ROOT:-}" ]]; then
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
fi

# Small state (logs, cluster.env, secrets). Always absolute: its hash names the data root.
# shellcheck disable=SC2034 # used by the sourcing scripts
STATE_DIR="$(realpath -m -- "${TASKGRES_STATE_DIR:-$ROOT/.taskgres}")"

PG_BIN_DIR="${TASKGRES_PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"

# Prints a progress/result line on stdout.
say() {
  printf '%s\n' "$*"
}

# Prints a warning line on stderr.
warn() {
  printf 'taskgres: warning: %s\n' "$*" >&2
}

# Prints one clear error line on stderr and exits non-zero.
die() {
  printf 'taskgres: error: %s\n' "$*" >&2
  exit 1
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root),
# directly otherwise. Runs from / so that an unreachable working directory does not matter.
as_postgres() {
  if [[ ${EUID} -eq 0 ]]; then
    (cd / && exec runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Prints the absolute path of the PostgreSQL program $1 (initdb, pg_ctl, psql, ...).
pg_bin() {
  printf '%s/%s' "${PG_BIN_DIR}" "$1"
}

# Dies unless the PostgreSQL server programs are installed.
require_pg_bin() {
  local tool
  for tool in initdb pg_ctl psql pg_basebackup pg_rewind; do
    [[ -x "$(pg_bin "${tool}")" ]] ||
      die "PostgreSQL 15 program '${tool}' not found in ${PG_BIN_DIR} (install postgresql-15 or set TASKGRES_PG_BIN_DIR)"
  done
  if [[ ${EUID} -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    die "running as root needs a 'postgres' system user (install postgresql-15)"
  fi
}

# Prints the current time in milliseconds since the epoch.
now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  printf '%s' "$((t / 1000))"
}

# Prints milliseconds elapsed since $1 (a now_ms value) as seconds with 2 decimals, e.g. "2.41".
elapsed_s() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%02d' "$((ms / 1000))" "$(((ms % 1000) / 10))"
}
