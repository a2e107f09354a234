# shellcheck shell=bash
# ./taskgres bench [scenario...] [-- bench flags]: brings up a private copy of the system (its own
# cluster and ports), starts pgpool-II in front of the same three nodes, runs tools/bench and
# prints the table; results land in bench-results/. Everything started is stopped afterwards.

BENCH_PG_PORT=56432     # cluster ports 56432-56434, pgpool 56442
BENCH_PORT_OFFSET=1000  # services on 51051-51053, metrics 10101-10103

# Writes pgpool-II's configuration for the bench cluster into $1 (owned by postgres).
bench_pgpool_config() {
  local dir="$1" port="$2"
  local password
  password="$(<"${PG_PASSWORD_FILE}")"
  mkdir -p "${dir}"
  cat >"${dir}/pgpool.conf" <<CONF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = ${port}
socket_dir = '${dir}'
pcp_listen_addresses = ''
pcp_port = $((port + 1))
pcp_socket_dir = '${dir}'
pid_file_name = '${dir}/pgpool.pid'
logdir = '${dir}'
backend_hostname0 = '127.0.0.1'
backend_port0 = $(node_port 0)
backend_weight0 = 0
backend_hostname1 = '127.0.0.1'
backend_port1 = $(node_port 1)
backend_weight1 = 1
backend_hostname2 = '127.0.0.1'
backend_port2 = $(node_port 2)
backend_weight2 = 1
load_balance_mode = on
num_init_children = 80
max_pool = 1
connection_cache = on
sr_check_period = 10
sr_check_user = 'taskgres'
sr_check_password = '${password}'
sr_check_database = 'taskgres'
health_check_period = 0
failover_on_backend_error = off
enable_pool_hba = on
pool_passwd = 'pool_passwd'
allow_clear_text_frontend_auth = off
CONF
  printf 'host all all 127.0.0.1/32 scram-sha-256\n' >"${dir}/pool_hba.conf"
  printf 'taskgres:TEXT%s\n' "${password}" >"${dir}/pool_passwd"
  : >"${dir}/pcp.conf"
  chmod 700 "${dir}"
  chmod 600 "${dir}"/*
  [[ ${EUID} -eq 0 ]] && chown -R postgres:postgres "${dir}"
  return 0
}

bench_main() {
  local scenarios=() flags=() arg after_dashes=0
  for arg in "$@"; do
    if ((after_dashes)); then
      flags+=("${arg}")
    elif [[ "${arg}" == "--" ]]; then
      after_dashes=1
    else
      scenarios+=("${arg}")
    fi
  done
  build_select
  deps_main
  build_main
  export TASKGRES_STATE_DIR="${ROOT}/.taskgres/bench"
  export TASKGRES_PG_PORT="${BENCH_PG_PORT}"
  export TASKGRES_UP_PORT_OFFSET="${BENCH_PORT_OFFSET}"
  STATE_DIR="$(realpath -m -- "${TASKGRES_STATE_DIR}")"
  # A fresh database each time, so runs compare.
  "${ROOT}/taskgres" down --purge >/dev/null 2>&1 || true
  "${ROOT}/taskgres" up | tail -n 8
  cluster_load_config
  services_config

  local pgpool_dir="${PG_DATA_ROOT}/pgpool" pgpool_port=$((BENCH_PG_PORT + 10)) pgpool_pid=""
  if command -v pgpool >/dev/null; then
    bench_pgpool_config "${pgpool_dir}" "${pgpool_port}"
    as_postgres pgpool -n -f "${pgpool_dir}/pgpool.conf" -F "${pgpool_dir}/pcp.conf" \
      -a "${pgpool_dir}/pool_hba.conf" >"${LOG_DIR}/pgpool.log" 2>&1 &
    local deadline=$((SECONDS + 30))
    until PGPASSWORD="$(<"${PG_PASSWORD_FILE}")" "$(pg_bin psql)" -h 127.0.0.1 -p "${pgpool_port}" -U taskgres \
      -d taskgres -Atqc 'SELECT 1' >/dev/null 2>&1; do
      ((SECONDS < deadline)) || {
        tail -n 20 "${LOG_DIR}/pgpool.log" >&2
        die "bench: pgpool-II did not come up"
      }
      sleep 0.2
    done
    pgpool_pid="$(tr -dc 0-9 <"${pgpool_dir}/pgpool.pid" 2>/dev/null || true)"
  else
    warn "pgpool-II is not installed; its scenarios are skipped"
  fi

  local password conn replicas
  password="$(<"${PG_PASSWORD_FILE}")"
  conn="user=taskgres dbname=taskgres password=${password} host=127.0.0.1"
  replicas="${conn} port=$(node_port 1);${conn} port=$(node_port 2)"
  local bench_flags=(
    "--router=${ROUTER_ADDR}" "--task-service=${TASK_ADDR}"
    "--service-token-file=${SECRETS}/service-token"
    "--primary=${conn} port=$(node_port 0)" "--replicas=${replicas}"
    "--router-pid=$(service_pid db-router)" "--task-pid=$(service_pid task-service)"
    "--fortune-pid=$(service_pid fortune-service)" "--out=${ROOT}/bench-results"
  )
  if [[ -n "${pgpool_pid}" ]]; then
    bench_flags+=("--pgpool=${conn} port=${pgpool_port}" "--pgpool-pid=${pgpool_pid}")
  fi
  if ((${#scenarios[@]})); then
    bench_flags+=("--scenarios=$(IFS=,; printf '%s' "${scenarios[*]}")")
  fi
  local status=0
  "${BUILD_DIR}/tools/bench/taskgres-bench" "${bench_flags[@]}" "${flags[@]}" || status=$?
  if [[ -n "${pgpool_pid}" ]]; then kill -TERM "${pgpool_pid}" 2>/dev/null || true; fi
  "${ROOT}/taskgres" down --purge >/dev/null 2>&1 || true
  return "${status}"
}
