# shellcheck shell=bash
# ./taskgres cluster: a local PostgreSQL 15 cluster, one primary and two streaming replicas with
# synchronous_standby_names = 'ANY 1 (*)', plus failover, node stop/start and pg_rewind.
# Sourced by ./taskgres after common.sh; the entry point is cluster_main.
#
# Environment: TASKGRES_STATE_DIR (default $ROOT/.taskgres), TASKGRES_PG_PORT (default 55432;
# node N listens on 127.0.0.1:PORT+N). Data directories live under /var/tmp/taskgres-<hash of
# the state dir>/ (reachable by the postgres user even when the checkout is not); the state dir
# keeps cluster/cluster.env, cluster/node{0,1,2}.log and secrets/.

CLUSTER_NODE_IDS=(0 1 2)
CLUSTER_STREAM_TIMEOUT_S=15

# ---------------------------------------------------------------------------------------------
# Configuration and recorded state
# ---------------------------------------------------------------------------------------------

# Sets the cluster's paths and ports, then loads cluster.env when it exists.
cluster_load_config() {
  if [[ ! "${STATE_DIR}" =~ ^[A-Za-z0-9_./+@:,=~-]+$ ]]; then
    die "state directory '${STATE_DIR}' must not contain spaces, quotes or shell characters"
  fi
  CLUSTER_DIR="${STATE_DIR}/cluster"
  CLUSTER_ENV="${CLUSTER_DIR}/cluster.env"
  SECRETS_DIR="${STATE_DIR}/secrets"
  PG_PASSWORD_FILE="${SECRETS_DIR}/pg-password"
  PG_SUPERUSER_PASSWORD_FILE="${SECRETS_DIR}/pg-superuser-password"
  local hash
  hash="$(printf '%s' "${STATE_DIR}" | sha256sum | cut -c1-12)"
  PG_DATA_ROOT="/var/tmp/taskgres-${hash}"
  PG_PASSFILE="${PG_DATA_ROOT}/pgpass"

  PG_PORT_BASE="${TASKGRES_PG_PORT:-55432}"
  if [[ ! "${PG_PORT_BASE}" =~ ^[0-9]{1,5}$ ]] || ((PG_PORT_BASE < 1024 || PG_PORT_BASE > 65533)); then
    die "TASKGRES_PG_PORT='${PG_PORT_BASE}' is not a port between 1024 and 65533"
  fi
  PG_PRIMARY=0
  PG_NEEDS_REWIND=""
  CLUSTER_EXISTS=0
  if [[ -f "${CLUSTER_ENV}" ]]; then
    cluster_read_env
    CLUSTER_EXISTS=1
  fi
}

# Loads the recorded state from cluster.env (parsed, not sourced).
cluster_read_env() {
  local line key value recorded_port=""
  while IFS= read -r line || [[ -n "${line}" ]]; do
    [[ "${line}" =~ ^([A-Z_]+)=(.*)$ ]] || continue
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    value="${value#\"}"
    value="${value%\"}"
    case "${key}" in
      PG_PORT_BASE) recorded_port="${value}" ;;
      PG_PRIMARY) PG_PRIMARY="${value}" ;;
      PG_NEEDS_REWIND) PG_NEEDS_REWIND="${value}" ;;
    esac
  done <"${CLUSTER_ENV}"
  if [[ ! "${PG_PRIMARY}" =~ ^[012]$ ]]; then
    die "${CLUSTER_ENV} is damaged (PG_PRIMARY='${PG_PRIMARY}'); run ./taskgres cluster down --purge"
  fi
  if [[ -n "${recorded_port}" && "${recorded_port}" != "${PG_PORT_BASE}" ]]; then
    if [[ -n "${TASKGRES_PG_PORT:-}" && -z "${CLUSTER_PORT_WARNED:-}" ]]; then
      CLUSTER_PORT_WARNED=1
      warn "the cluster in ${STATE_DIR} was set up on port ${recorded_port}; ignoring TASKGRES_PG_PORT=${TASKGRES_PG_PORT}"
    fi
    PG_PORT_BASE="${recorded_port}"
  fi
}

# Writes cluster.env atomically from the current variables.
cluster_write_env() {
  mkdir -p "${CLUSTER_DIR}"
  local tmp
  tmp="$(mktemp "${CLUSTER_DIR}/.cluster.env.XXXXXX")"
  {
    printf '# Local PostgreSQL cluster of taskgres (written by ./taskgres cluster; sourceable).\n'
    printf 'PG_PORT_BASE=%s\n' "${PG_PORT_BASE}"
    printf 'PG_DATA_ROOT=%s\n' "${PG_DATA_ROOT}"
    printf 'PG_HOST=127.0.0.1\n'
    printf 'PG_HOSTS=%s\n' "$(cluster_hosts)"
    printf 'PG_DATABASE=taskgres\n'
    printf 'PG_USER=taskgres\n'
    printf 'PG_PASSWORD_FILE=%s\n' "${PG_PASSWORD_FILE}"
    printf 'PG_SUPERUSER=postgres\n'
    printf 'PG_SUPERUSER_PASSWORD_FILE=%s\n' "${PG_SUPERUSER_PASSWORD_FILE}"
    printf 'PG_PRIMARY=%s\n' "${PG_PRIMARY}"
    printf 'PG_NEEDS_REWIND="%s"\n' "${PG_NEEDS_REWIND}"
  } >"${tmp}"
  chmod 0644 "${tmp}"
  mv -f "${tmp}" "${CLUSTER_ENV}"
}

# Prints "127.0.0.1:p0,127.0.0.1:p1,127.0.0.1:p2".
cluster_hosts() {
  local n hosts=()
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    hosts+=("127.0.0.1:$(node_port "${n}")")
  done
  local IFS=,
  printf '%s' "${hosts[*]}"
}

# Dies unless the cluster has been set up.
cluster_require() {
  ((CLUSTER_EXISTS)) || die "cluster is not set up; run ./taskgres cluster up"
}

# Succeeds when node $1 is listed in PG_NEEDS_REWIND.
needs_rewind() {
  [[ " ${PG_NEEDS_REWIND} " == *" $1 "* ]]
}

# Adds node $1 to PG_NEEDS_REWIND (in memory; call cluster_write_env).
mark_needs_rewind() {
  needs_rewind "$1" && return 0
  # shellcheck disable=SC2086 # the list is split on purpose
  PG_NEEDS_REWIND="$(printf '%s\n' ${PG_NEEDS_REWIND} "$1" | sort -n | xargs)"
}

# Removes node $1 from PG_NEEDS_REWIND (in memory; call cluster_write_env).
clear_needs_rewind() {
  local n kept=()
  for n in ${PG_NEEDS_REWIND}; do
    [[ "${n}" == "$1" ]] || kept+=("${n}")
  done
  PG_NEEDS_REWIND="${kept[*]}"
}

# Takes the per-state-dir lock so two cluster commands never interleave (fd 9; closed for
# every long-lived child, see node_start).
cluster_lock() {
  mkdir -p "${STATE_DIR}"
  exec 9>>"${STATE_DIR}/cluster.lock"
  flock -w 120 9 || die "another ./taskgres cluster command is still running on ${STATE_DIR}"
}

# Makes sure the app role and superuser passwords exist (0600 files in a 0700 directory).
ensure_secrets() {
  (
    umask 077
    mkdir -p "${SECRETS_DIR}"
    chmod 0700 "${SECRETS_DIR}"
    local file tmp
    for file in "${PG_PASSWORD_FILE}" "${PG_SUPERUSER_PASSWORD_FILE}"; do
      [[ -s "${file}" ]] && continue
      if ((CLUSTER_EXISTS)); then
        die "secret ${file} is missing but the cluster exists; run ./taskgres cluster down --purge, then up"
      fi
      tmp="$(mktemp "${SECRETS_DIR}/.secret.XXXXXX")"
      head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"${tmp}"
      [[ -s "${tmp}" ]] || die "could not generate a password into ${file}"
      mv -f "${tmp}" "${file}"
    done
  ) || exit 1
}

# Validates a node index argument.
check_node_arg() {
  [[ "${1:-}" =~ ^[012]$ ]] || die "node ${1:-<missing>} is not part of the cluster (expected 0, 1 or 2)"
}

# ---------------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------------

node_dir() { printf '%s/node%s' "${PG_DATA_ROOT}" "$1"; }
node_port() { printf '%s' "$((PG_PORT_BASE + $1))"; }
node_log() { printf '%s/node%s.log' "${CLUSTER_DIR}" "$1"; }

# Prints the postmaster PID of node $1 and succeeds if it is running.
node_pid() {
  local pidfile pid
  pidfile="$(node_dir "$1")/postmaster.pid"
  [[ -r "${pidfile}" ]] || return 1
  read -r pid <"${pidfile}" || return 1
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  pid_alive "${pid}" || return 1
  local comm
  read -r comm <"/proc/${pid}/comm" 2>/dev/null || return 1
  [[ "${comm}" == postgres* ]] || return 1
  printf '%s' "${pid}"
}

# Succeeds if process $1 exists and is not a zombie (our init may be slow to reap them).
pid_alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != [ZX] ]]
}

# Succeeds if node $1's postmaster is running.
node_running() {
  node_pid "$1" >/dev/null
}

# Runs SQL statements (each its own -c, so ALTER SYSTEM works) on node $1 as the superuser over
# TCP; prints unaligned tuples separated by '|'.
node_sql() {
  local n="$1"
  shift
  local args=() sql
  for sql in "$@"; do
    args+=(-c "${sql}")
  done
  as_postgres env PGPASSFILE="${PG_PASSFILE}" PGCONNECT_TIMEOUT=5 \
    PGOPTIONS='-c statement_timeout=60000' \
    "$(pg_bin psql)" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(node_port "${n}")" \
    -U postgres -d postgres "${args[@]}" </dev/null
}

# Like node_sql but reads the SQL from stdin (keeps passwords out of process arguments).
node_sql_stdin() {
  as_postgres env PGPASSFILE="${PG_PASSFILE}" PGCONNECT_TIMEOUT=5 \
    PGOPTIONS='-c statement_timeout=60000' \
    "$(pg_bin psql)" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(node_port "$1")" \
    -U postgres -d postgres -f -
}

# Writes stdin to file $1 as the postgres user, mode 0600.
write_pg_file() {
  # shellcheck disable=SC2016 # $1 expands in the inner shell
  as_postgres sh -c 'umask 077 && cat >"$1"' sh "$1"
}

# Starts node $1 and waits until it accepts connections (30 s). The server's output goes to
# cluster/nodeN.log through a descriptor we open (the postgres user may not reach the state dir).
node_start() {
  local n="$1" log
  log="$(node_log "${n}")"
  mkdir -p "${CLUSTER_DIR}"
  if ! as_postgres "$(pg_bin pg_ctl)" -D "$(node_dir "${n}")" -w -t 30 start \
    >>"${log}" 2>&1 </dev/null 9>&-; then
    tail -n 8 "${log}" >&2
    die "node ${n} failed to start on 127.0.0.1:$(node_port "${n}"); see ${log}"
  fi
}

# Stops node $1 with mode $2 (fast|immediate) and waits until the postmaster is gone.
node_stop() {
  local n="$1" mode="${2:-fast}" pid
  pid="$(node_pid "${n}")" || return 0
  as_postgres "$(pg_bin pg_ctl)" -D "$(node_dir "${n}")" -m "${mode}" -W stop \
    >>"$(node_log "${n}")" 2>&1 </dev/null || true
  wait_pid_gone "${pid}" 60 || return 1
}

# Waits up to $2 seconds for process $1 to exit (polls every 10 ms).
wait_pid_gone() {
  local pid="$1" deadline=$(($(now_ms) + $2 * 1000))
  while pid_alive "${pid}"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.01
  done
}

# Stops node $1 (fast), killing it if it does not stop in time; used by down.
node_stop_for_sure() {
  local n="$1" pid
  pid="$(node_pid "${n}")" || return 0
  if ! node_stop "${n}" fast; then
    warn "node ${n} did not stop within 60 s; killing postmaster ${pid}"
    kill -KILL "${pid}" 2>/dev/null || true
    wait_pid_gone "${pid}" 10 || die "could not stop node ${n} (pid ${pid})"
  fi
}

# Writes node $1's own settings; $2 = 1 adds synchronous_standby_names (set once all exist).
write_node_conf() {
  local n="$1" sync="$2"
  {
    printf '# Node-specific settings (written by ./taskgres cluster).\n'
    printf "port = %s\n" "$(node_port "${n}")"
    printf "cluster_name = 'node%s'\n" "${n}"
    if ((sync)); then
      printf "synchronous_standby_names = 'ANY 1 (*)'\n"
    fi
  } | write_pg_file "$(node_dir "${n}")/taskgres-node.conf"
}

# Prints the primary_conninfo a replica uses to stream from node $2; $1 is the replica.
primary_conninfo() {
  printf 'host=127.0.0.1 port=%s user=postgres passfile=%s application_name=node%s' \
    "$(node_port "$2")" "${PG_PASSFILE}" "$1"
}

# Makes stopped node $1 a replica of node $2: node conf (with synchronous_standby_names when
# $3 = 1), standby.signal, primary_conninfo.
configure_replica() {
  local n="$1" primary="$2" sync="$3" dir auto
  dir="$(node_dir "${n}")"
  write_node_conf "${n}" "${sync}"
  : | write_pg_file "${dir}/standby.signal"
  auto="${dir}/postgresql.auto.conf"
  {
    if [[ -f "${auto}" ]]; then
      grep -v -E '^[[:space:]]*primary_conninfo[[:space:]]*=' "${auto}" || true
    else
      printf '# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n'
    fi
    printf "primary_conninfo = '%s'\n" "$(primary_conninfo "${n}" "${primary}")"
  } | write_pg_file "${auto}.taskgres-tmp"
  as_postgres mv -f "${auto}.taskgres-tmp" "${auto}"
}

# Prints the current timeline of primary node $1 (from the name of its current WAL file).
primary_timeline() {
  node_sql "$1" "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"
}

# Waits (polling inside the server) until replica $1 streams from node $2 on timeline $3.
wait_streaming_from() {
  local n="$1" primary="$2" tli="$3" port tries=$((CLUSTER_STREAM_TIMEOUT_S * 100))
  port="$(node_port "${primary}")"
  node_sql "${n}" "DO \$\$ BEGIN
      FOR i IN 1..${tries} LOOP
        IF EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'
                   AND sender_port = ${port} AND received_tli = ${tli}) THEN RETURN; END IF;
        PERFORM pg_sleep(0.01);
      END LOOP;
      RAISE EXCEPTION 'timeout';
    END \$\$" >/dev/null 2>&1 ||
    die "node ${n} is not streaming from node ${primary} (port ${port}) after ${CLUSTER_STREAM_TIMEOUT_S} s; see $(node_log "${n}")"
}

# Waits until primary $1 has $2 walsenders streaming. Reads pg_stat_get_wal_senders() itself:
# the pg_stat_replication view joins pg_stat_get_activity(), whose snapshot is frozen for the
# whole transaction, so walsenders that connect while the loop runs would never show up.
wait_replicas_streaming() {
  local primary="$1" want="$2" tries=$((CLUSTER_STREAM_TIMEOUT_S * 100))
  node_sql "${primary}" "DO \$\$ BEGIN
      FOR i IN 1..${tries} LOOP
        IF (SELECT count(*) FROM pg_stat_get_wal_senders() WHERE state = 'streaming') >= ${want}
        THEN RETURN; END IF;
        PERFORM pg_sleep(0.01);
      END LOOP;
      RAISE EXCEPTION 'timeout';
    END \$\$" >/dev/null 2>&1 ||
    die "the primary (node ${primary}) does not see ${want} streaming replica(s) after ${CLUSTER_STREAM_TIMEOUT_S} s; see ${CLUSTER_DIR}/node*.log"
}

# Converts an LSN "X/Y" to an integer.
lsn_to_int() {
  local hi="${1%/*}" lo="${1#*/}"
  printf '%s' "$(((16#${hi} << 32) | 16#${lo}))"
}

# Succeeds if something listens on 127.0.0.1:$1.
port_in_use() {
  (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Clones node $1 from running primary node $2 with pg_basebackup (no configuration).
clone_from_primary() {
  local n="$1" primary="$2"
  as_postgres env PGPASSFILE="${PG_PASSFILE}" PGCONNECT_TIMEOUT=5 \
    "$(pg_bin pg_basebackup)" -h 127.0.0.1 -p "$(node_port "${primary}")" -U postgres \
    -D "$(node_dir "${n}")" -X stream -c fast --no-sync >>"$(node_log "${n}")" 2>&1 </dev/null 9>&-
}

# Brings stopped node $1 back as a replica of the recorded primary: clones it if its data is
# missing, rewinds it if it is listed in PG_NEEDS_REWIND, configures and starts it.
start_as_replica() {
  local n="$1" primary="${PG_PRIMARY}" log
  log="$(node_log "${n}")"
  if [[ ! -f "$(node_dir "${n}")/PG_VERSION" ]]; then
    say "node ${n}: data directory missing; cloning it from node ${primary}"
    as_postgres rm -rf "$(node_dir "${n}")"
    clone_from_primary "${n}" "${primary}" || die "pg_basebackup of node ${n} failed; see ${log}"
    clear_needs_rewind "${n}"
    cluster_write_env
  elif needs_rewind "${n}"; then
    say "node ${n}: rewinding onto node ${primary}'s timeline (pg_rewind)"
    # pg_rewind reads the source's timeline from its control file, which a freshly promoted
    # primary only updates at its first checkpoint (PG15 spreads that one out): without this,
    # pg_rewind says "no rewind required" and the node can never follow the new timeline.
    node_sql "${primary}" "CHECKPOINT" >/dev/null || die "CHECKPOINT on primary node ${primary} failed"
    rm -f "$(node_dir "${n}")/standby.signal" 2>/dev/null || true
    if ! as_postgres "$(pg_bin pg_rewind)" --target-pgdata="$(node_dir "${n}")" --no-sync \
      --source-server="host=127.0.0.1 port=$(node_port "${primary}") user=postgres dbname=postgres passfile=${PG_PASSFILE} connect_timeout=5" \
      >>"${log}" 2>&1 </dev/null 9>&-; then
      tail -n 8 "${log}" >&2
      die "pg_rewind of node ${n} from node ${primary} failed; see ${log}"
    fi
    clear_needs_rewind "${n}"
    cluster_write_env
  fi
  # pg_rewind copies the source's configuration files, so always rewrite ours.
  configure_replica "${n}" "${primary}" 1
  node_start "${n}"
}

# Prints "recovery|receive_lsn|replay_lsn" of node $1 ("t|0/30000A0|0/30000A0").
replica_position() {
  node_sql "$1" "SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_receive_lsn(), '0/0'),
                        COALESCE(pg_last_wal_replay_lsn(), '0/0')"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

cluster_usage() {
  cat <<'EOF'
usage: ./taskgres cluster <command>

  up             create the local cluster (primary + 2 streaming replicas) or start its stopped nodes
  down [--purge] stop all nodes (fast); --purge also deletes the data, cluster state and passwords
  purge          same as down --purge
  status         one line per node: port, running, role, LSN, lag, upstream
  failover       kill the primary, promote the most advanced replica, re-point the other one
  stop-node N    stop node N (0, 1 or 2)
  start-node N   start node N; a non-primary node rejoins as a replica (pg_rewind when needed)

environment: TASKGRES_STATE_DIR (default <repo>/.taskgres), TASKGRES_PG_PORT (default 55432;
node N listens on 127.0.0.1:PORT+N)
EOF
}

# ./taskgres cluster <command> [args]
cluster_main() {
  local cmd="${1:-help}"
  shift || true
  case "${cmd}" in
    help | -h | --help)
      cluster_usage
      return 0
      ;;
    up | down | purge | status | failover | stop-node | start-node) ;;
    *) die "unknown cluster command '${cmd}' (try ./taskgres cluster help)" ;;
  esac
  require_pg_bin
  cluster_load_config
  case "${cmd}" in
    status)
      cluster_status
      return 0
      ;;
    up) (($# == 0)) || die "cluster up takes no arguments" ;;
    down) [[ -z "${1:-}" || "$1" == --purge ]] || die "unknown option '$1' for cluster down (expected --purge)" ;;
    stop-node | start-node)
      check_node_arg "${1:-}"
      cluster_require
      ;;
    failover) cluster_require ;;
  esac
  cluster_lock
  cluster_load_config # again, under the lock: another command may just have changed the state
  case "${cmd}" in
    up) cluster_up ;;
    down) cluster_down "$([[ "${1:-}" == --purge ]] && echo 1 || echo 0)" ;;
    purge) cluster_down 1 ;;
    failover)
      cluster_require
      cluster_failover
      ;;
    stop-node)
      cluster_require
      cluster_stop_node "$1"
      ;;
    start-node)
      cluster_require
      cluster_start_node "$1"
      ;;
  esac
}

# up: creates the cluster from nothing, or starts whichever nodes are stopped.
cluster_up() {
  if ((CLUSTER_EXISTS)) && [[ ! -d "${PG_DATA_ROOT}" ]]; then
    warn "the data of the recorded cluster (${PG_DATA_ROOT}) is gone; creating a new cluster"
    rm -f "${CLUSTER_ENV}"
    CLUSTER_EXISTS=0
    PG_PRIMARY=0
    PG_NEEDS_REWIND=""
  fi
  ensure_secrets
  if ((CLUSTER_EXISTS)); then
    cluster_up_existing
  else
    cluster_create
  fi
}

# Stops every node left running by an interrupted cluster_create (EXIT trap).
cluster_abort_create() {
  local n
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    node_stop "${n}" immediate >/dev/null 2>&1 || true
  done
  as_postgres rm -f "${PG_DATA_ROOT}/initdb.pw" 2>/dev/null || true
  printf 'taskgres: cluster setup did not finish; nodes stopped, logs kept in %s\n' "${CLUSTER_DIR}" >&2
}

# Creates the three nodes from nothing.
cluster_create() {
  local t0 n
  t0="$(now_ms)"
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    if port_in_use "$(node_port "${n}")"; then
      die "port $(node_port "${n}") on 127.0.0.1 is already in use (set TASKGRES_PG_PORT to another base port)"
    fi
  done
  if [[ -e "${PG_DATA_ROOT}" ]]; then
    warn "removing leftovers of an unfinished setup in ${PG_DATA_ROOT}"
    for n in "${CLUSTER_NODE_IDS[@]}"; do
      node_stop "${n}" immediate || die "could not stop leftover node ${n} in ${PG_DATA_ROOT}"
    done
    rm -rf "${PG_DATA_ROOT}"
  fi
  mkdir -p "${CLUSTER_DIR}"
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    : >"$(node_log "${n}")"
  done
  if [[ ${EUID} -eq 0 ]]; then
    install -d -m 0700 -o postgres -g postgres "${PG_DATA_ROOT}"
  else
    install -d -m 0700 "${PG_DATA_ROOT}"
  fi
  trap cluster_abort_create EXIT
  trap 'exit 130' INT TERM

  local superuser_password app_password locale=C
  superuser_password="$(<"${PG_SUPERUSER_PASSWORD_FILE}")"
  app_password="$(<"${PG_PASSWORD_FILE}")"
  printf '127.0.0.1:*:*:postgres:%s\n' "${superuser_password}" | write_pg_file "${PG_PASSFILE}"
  printf '%s\n' "${superuser_password}" | write_pg_file "${PG_DATA_ROOT}/initdb.pw"
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    locale=C.UTF-8
  fi

  # Node 0: initdb, configuration, start, application role and database.
  local dir0 log0
  dir0="$(node_dir 0)"
  log0="$(node_log 0)"
  if ! as_postgres "$(pg_bin initdb)" -D "${dir0}" -U postgres --auth=scram-sha-256 \
    --pwfile="${PG_DATA_ROOT}/initdb.pw" --no-sync --no-instructions --encoding=UTF8 \
    --locale="${locale}" >>"${log0}" 2>&1 </dev/null; then
    tail -n 8 "${log0}" >&2
    die "initdb failed; see ${log0}"
  fi
  as_postgres rm -f "${PG_DATA_ROOT}/initdb.pw"
  # shellcheck disable=SC2016 # $1 expands in the inner shell
  cat <<EOF | as_postgres sh -c 'cat >>"$1"' sh "${dir0}/postgresql.conf"

# ---- taskgres local cluster (written by ./taskgres cluster up) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '${PG_DATA_ROOT}'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
hot_standby_feedback = on
wal_log_hints = on
wal_keep_size = '512MB'
max_connections = 300
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
shared_buffers = 128MB
synchronous_commit = on
# After an unclean stop, sync the data directory with one syncfs() instead of fsync per file.
recovery_init_sync_method = syncfs
# Replicas retry a lost primary every second (default 5 s) so they re-attach quickly.
wal_retrieve_retry_interval = '1s'
# port, cluster_name and synchronous_standby_names differ per node:
include_if_exists = 'taskgres-node.conf'
EOF
  cat <<'EOF' | write_pg_file "${dir0}/pg_hba.conf"
# taskgres: TCP on the loopback only, SCRAM for everything (written by ./taskgres cluster up).
host all all 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
EOF
  write_node_conf 0 0
  node_start 0
  if ! node_sql_stdin 0 >>"${log0}" 2>&1 <<EOF; then
CREATE ROLE taskgres LOGIN PASSWORD '${app_password}';
CREATE DATABASE taskgres OWNER taskgres;
EOF
    die "could not create the taskgres role and database; see ${log0}"
  fi

  # Nodes 1 and 2: cloned in parallel, then started as replicas of node 0.
  local pids=() failed=0 i
  for n in 1 2; do
    clone_from_primary "${n}" 0 &
    pids+=($!)
  done
  for i in 0 1; do
    wait "${pids[i]}" || failed=1
  done
  ((failed == 0)) || die "pg_basebackup of the replicas failed; see $(node_log 1) and $(node_log 2)"
  for n in 1 2; do
    configure_replica "${n}" 0 0
  done
  pids=()
  for n in 1 2; do
    (node_start "${n}") &
    pids+=($!)
  done
  for i in 0 1; do
    wait "${pids[i]}" || failed=1
  done
  ((failed == 0)) || die "the replicas failed to start"

  # Only now require a synchronous standby: earlier, the role/database creation would block.
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    write_node_conf "${n}" 1
    as_postgres "$(pg_bin pg_ctl)" -D "$(node_dir "${n}")" reload >/dev/null 2>&1 ||
      die "could not reload node ${n}"
  done
  wait_replicas_streaming 0 2

  PG_PRIMARY=0
  PG_NEEDS_REWIND=""
  cluster_write_env
  CLUSTER_EXISTS=1
  trap - EXIT INT TERM
  say "cluster up in $(elapsed_s "${t0}") s (created from nothing):"
  say "  node 0  127.0.0.1:$(node_port 0)  primary"
  say "  node 1  127.0.0.1:$(node_port 1)  replica (streaming, synchronous ANY 1)"
  say "  node 2  127.0.0.1:$(node_port 2)  replica (streaming, synchronous ANY 1)"
  say "  database taskgres, role taskgres (password in ${PG_PASSWORD_FILE}); state in ${CLUSTER_ENV}"
}

# Starts the stopped nodes of an existing cluster, primary first.
cluster_up_existing() {
  local t0 p="${PG_PRIMARY}" n started=() running=0
  t0="$(now_ms)"
  if ! node_running "${p}"; then
    [[ -f "$(node_dir "${p}")/PG_VERSION" ]] ||
      die "the data of primary node ${p} is missing in ${PG_DATA_ROOT}; run ./taskgres cluster down --purge, then up"
    write_node_conf "${p}" 1
    node_start "${p}"
    started+=("${p}")
  fi
  [[ "$(node_sql "${p}" "SELECT pg_is_in_recovery()" 2>/dev/null)" == f ]] ||
    die "node ${p} is recorded as the primary but does not answer as one; see $(node_log "${p}")"
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    ((n == p)) && continue
    if ! node_running "${n}"; then
      start_as_replica "${n}"
      started+=("${n}")
    fi
    running=$((running + 1))
  done
  wait_replicas_streaming "${p}" "${running}"
  if ((${#started[@]} == 0)); then
    say "cluster already up: primary node ${p} on 127.0.0.1:$(node_port "${p}"), replicas streaming"
  else
    say "cluster up in $(elapsed_s "${t0}") s: started node(s) ${started[*]}; primary node ${p} on 127.0.0.1:$(node_port "${p}"), replicas streaming"
  fi
}

# down [--purge]: stops every node (primary first so replicas get its shutdown checkpoint).
cluster_down() {
  local purge="$1" n order=("${PG_PRIMARY}") stopped=()
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    ((n == PG_PRIMARY)) || order+=("${n}")
  done
  if [[ -d "${PG_DATA_ROOT}" ]]; then
    for n in "${order[@]}"; do
      if node_running "${n}"; then
        node_stop_for_sure "${n}"
        stopped+=("${n}")
      fi
    done
  fi
  if ((purge)); then
    rm -rf "${PG_DATA_ROOT}" "${CLUSTER_DIR}"
    rm -f "${PG_PASSWORD_FILE}" "${PG_SUPERUSER_PASSWORD_FILE}" "${STATE_DIR}/cluster.lock"
    say "cluster purged: stopped node(s) ${stopped[*]:-none}; removed ${PG_DATA_ROOT}, ${CLUSTER_DIR} and the PostgreSQL passwords"
  elif ((CLUSTER_EXISTS)) || ((${#stopped[@]} > 0)); then
    say "cluster down: stopped node(s) ${stopped[*]:-none}; data kept in ${PG_DATA_ROOT}"
  else
    say "cluster is not set up; nothing to stop"
  fi
}

# status: one line per node.
cluster_status() {
  cluster_require
  local n line recovery lsn receiver primaries=() primary_lsn="" summary
  local -A state role lsns upstream
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    state[${n}]=stopped role[${n}]=- lsns[${n}]=- upstream[${n}]=-
    if ! node_running "${n}"; then
      [[ -f "$(node_dir "${n}")/PG_VERSION" ]] || state[${n}]=missing
      continue
    fi
    state[${n}]=running
    if ! line="$(node_sql "${n}" "SELECT pg_is_in_recovery(),
          CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_replay_lsn()::text, '-')
               ELSE pg_current_wal_lsn()::text END,
          COALESCE((SELECT status || ' from ' || sender_host || ':' || sender_port
                    FROM pg_stat_wal_receiver), 'not streaming')" 2>/dev/null)"; then
      state[${n}]="running(no answer)"
      continue
    fi
    IFS='|' read -r recovery lsn receiver <<<"${line}"
    lsns[${n}]="${lsn}"
    if [[ "${recovery}" == f ]]; then
      role[${n}]=primary
      primaries+=("${n}")
      primary_lsn="${lsn}"
    else
      role[${n}]=replica
      upstream[${n}]="${receiver}"
    fi
  done
  printf '%-5s %-6s %-18s %-8s %-12s %-10s %s\n' NODE PORT STATE ROLE LSN LAG_BYTES UPSTREAM
  local lag
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    lag=-
    if [[ "${role[${n}]}" == replica && -n "${primary_lsn}" && "${lsns[${n}]}" == */* ]]; then
      lag=$(($(lsn_to_int "${primary_lsn}") - $(lsn_to_int "${lsns[${n}]}")))
      ((lag >= 0)) || lag=0
    fi
    printf '%-5s %-6s %-18s %-8s %-12s %-10s %s\n' "${n}" "$(node_port "${n}")" "${state[${n}]}" \
      "${role[${n}]}" "${lsns[${n}]}" "${lag}" "${upstream[${n}]}"
  done
  summary="primary: node ${PG_PRIMARY} (127.0.0.1:$(node_port "${PG_PRIMARY}"))"
  if [[ "${role[${PG_PRIMARY}]}" != primary ]]; then
    summary+=", recorded but not running as primary"
  fi
  if ((${#primaries[@]} > 1)); then
    summary+="; WARNING: several nodes are primaries: ${primaries[*]}"
  fi
  if [[ -n "${PG_NEEDS_REWIND}" ]]; then
    summary+="; needs rewind before rejoining: node(s) ${PG_NEEDS_REWIND} (./taskgres cluster start-node N)"
  fi
  say "${summary}"
}

# failover: kills the primary, promotes the most advanced replica, re-points the other.
cluster_failover() {
  local t0 old="${PG_PRIMARY}" n candidates=() pid
  t0="$(now_ms)"
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    ((n == old)) && continue
    if node_running "${n}" && [[ "$(node_sql "${n}" "SELECT pg_is_in_recovery()" 2>/dev/null)" == t ]]; then
      candidates+=("${n}")
    fi
  done
  ((${#candidates[@]} > 0)) || die "no running replica to promote; start one first (./taskgres cluster start-node N)"

  local killed="was not running"
  if pid="$(node_pid "${old}")"; then
    as_postgres "$(pg_bin pg_ctl)" -D "$(node_dir "${old}")" -m immediate -W stop \
      >>"$(node_log "${old}")" 2>&1 </dev/null || true
    wait_pid_gone "${pid}" 10 || die "primary node ${old} (pid ${pid}) did not stop within 10 s"
    killed="killed"
  fi

  # Most advanced = most WAL received (promotion replays all of it), then most replayed.
  local best="" best_receive=-1 best_replay=-1 line recovery receive replay r_int p_int report=()
  for n in "${candidates[@]}"; do
    line="$(replica_position "${n}")" || die "replica node ${n} stopped answering during failover"
    IFS='|' read -r recovery receive replay <<<"${line}"
    r_int="$(lsn_to_int "${receive}")"
    p_int="$(lsn_to_int "${replay}")"
    ((r_int >= p_int)) || r_int="${p_int}"
    report+=("node ${n} received ${receive} replayed ${replay}")
    if ((r_int > best_receive || (r_int == best_receive && p_int > best_replay))); then
      best="${n}" best_receive="${r_int}" best_replay="${p_int}"
    fi
  done

  if ! as_postgres "$(pg_bin pg_ctl)" -D "$(node_dir "${best}")" -w -t 30 promote \
    >>"$(node_log "${best}")" 2>&1 </dev/null; then
    die "promotion of node ${best} failed; see $(node_log "${best}")"
  fi
  local t_promoted
  t_promoted="$(elapsed_s "${t0}")"
  PG_PRIMARY="${best}"
  mark_needs_rewind "${old}"
  for n in "${CLUSTER_NODE_IDS[@]}"; do
    ((n == best || n == old)) && continue
    [[ " ${candidates[*]} " == *" ${n} "* ]] || mark_needs_rewind "${n}"
  done
  cluster_write_env

  local repointed=() tli
  for n in "${candidates[@]}"; do
    ((n == best)) && continue
    node_sql "${n}" "ALTER SYSTEM SET primary_conninfo = '$(primary_conninfo "${n}" "${best}")'" \
      "SELECT pg_reload_conf()" >/dev/null || die "could not re-point node ${n} to node ${best}"
    repointed+=("${n}")
  done
  tli="$(primary_timeline "${best}")" || die "new primary node ${best} does not answer"
  for n in "${repointed[@]}"; do
    wait_streaming_from "${n}" "${best}" "${tli}"
  done

  say "failover done in $(elapsed_s "${t0}") s (promoted after ${t_promoted} s):"
  say "  old primary node ${old} (port $(node_port "${old}")) ${killed}; it needs a rewind: ./taskgres cluster start-node ${old}"
  say "  candidates: $(printf '%s; ' "${report[@]}" | sed 's/; $//')"
  say "  promoted node ${best} (port $(node_port "${best}")) to primary on timeline ${tli}"
  if ((${#repointed[@]} > 0)); then
    say "  node(s) ${repointed[*]} now streaming from node ${best}"
  else
    warn "no other replica is running: commits on node ${best} wait until a replica rejoins (synchronous_standby_names = 'ANY 1 (*)')"
  fi
}

# stop-node N: stops node N (fast).
cluster_stop_node() {
  local n="$1" other running_replicas=0
  if ! node_running "${n}"; then
    say "node ${n} is already stopped"
    return 0
  fi
  node_stop "${n}" fast || die "node ${n} did not stop within 60 s"
  say "node ${n} (port $(node_port "${n}")) stopped"
  if ((n == PG_PRIMARY)); then
    warn "node ${n} is the primary: writes are unavailable until ./taskgres cluster start-node ${n} or ./taskgres cluster failover"
    return 0
  fi
  for other in "${CLUSTER_NODE_IDS[@]}"; do
    ((other == PG_PRIMARY || other == n)) && continue
    node_running "${other}" && running_replicas=$((running_replicas + 1))
  done
  if ((running_replicas == 0)); then
    warn "no replica is running now: commits on the primary wait until one is back (synchronous_standby_names = 'ANY 1 (*)')"
  fi
}

# start-node N: starts the primary as is, any other node as a replica of the current primary.
cluster_start_node() {
  local n="$1" p="${PG_PRIMARY}" t0 tli
  t0="$(now_ms)"
  if ((n == p)); then
    if node_running "${n}"; then
      say "node ${n} (primary) is already running"
      return 0
    fi
    write_node_conf "${n}" 1
    node_start "${n}"
    local other replicas=0
    for other in "${CLUSTER_NODE_IDS[@]}"; do
      ((other != n)) && node_running "${other}" && replicas=$((replicas + 1))
    done
    wait_replicas_streaming "${n}" "${replicas}"
    say "node ${n} (primary) started on port $(node_port "${n}") in $(elapsed_s "${t0}") s; ${replicas} replica(s) streaming"
    return 0
  fi
  node_running "${p}" ||
    die "primary node ${p} is not running; start it first (./taskgres cluster start-node ${p}) or fail over"
  if node_running "${n}"; then
    if needs_rewind "${n}"; then
      warn "node ${n} is running but must be rewound onto the current timeline; stopping it"
      node_stop "${n}" fast || die "node ${n} did not stop within 60 s"
    elif [[ "$(node_sql "${n}" "SELECT pg_is_in_recovery()" 2>/dev/null)" == t ]]; then
      node_sql "${n}" "ALTER SYSTEM SET primary_conninfo = '$(primary_conninfo "${n}" "${p}")'" \
        "SELECT pg_reload_conf()" >/dev/null || die "could not point node ${n} at node ${p}"
      tli="$(primary_timeline "${p}")" || die "primary node ${p} does not answer"
      wait_streaming_from "${n}" "${p}" "${tli}"
      say "node ${n} is already running; streaming from node ${p} (port $(node_port "${p}"))"
      return 0
    else
      warn "node ${n} is running but is not a replica of node ${p}; stopping it to rewind it"
      node_stop "${n}" fast || die "node ${n} did not stop within 60 s"
      mark_needs_rewind "${n}"
      cluster_write_env
    fi
  fi
  start_as_replica "${n}"
  tli="$(primary_timeline "${p}")" || die "primary node ${p} does not answer"
  wait_streaming_from "${n}" "${p}" "${tli}"
  say "node ${n} started on port $(node_port "${n}") in $(elapsed_s "${t0}") s; streaming from node ${p} (port $(node_port "${p}"))"
}
