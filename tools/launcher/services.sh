# shellcheck shell=bash
# ./taskgres up / down: the local cluster plus the three services in the background.
#
# Ports follow DESIGN.md; TASKGRES_UP_PORT_OFFSET=N shifts every service port by N (for running
# a second copy side by side). Logs: $STATE_DIR/logs/<service>.log; PIDs: $STATE_DIR/run/.

SERVICES=(db-router fortune-service task-service)

services_config() {
  local offset="${TASKGRES_UP_PORT_OFFSET:-0}"
  [[ "${offset}" =~ ^[0-9]+$ ]] || die "TASKGRES_UP_PORT_OFFSET='${offset}' is not a number"
  TASK_ADDR="127.0.0.1:$((50051 + offset))"
  FORTUNE_ADDR="127.0.0.1:$((50052 + offset))"
  ROUTER_ADDR="127.0.0.1:$((50053 + offset))"
  TASK_METRICS="127.0.0.1:$((9101 + offset))"
  FORTUNE_METRICS="127.0.0.1:$((9102 + offset))"
  ROUTER_METRICS="127.0.0.1:$((9103 + offset))"
  LOG_DIR="${STATE_DIR}/logs"
  RUN_DIR="${STATE_DIR}/run"
  SECRETS="${STATE_DIR}/secrets"
}

# Creates a random secret file (mode 0600) unless it exists. Nothing is printed.
make_secret() {
  local file="$1" length="$2"
  [[ -s "${file}" ]] && return 0
  (umask 077 && head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c "${length}" >"${file}")
  chmod 600 "${file}"
}

ensure_service_secrets() {
  mkdir -p "${SECRETS}"
  chmod 700 "${SECRETS}"
  make_secret "${SECRETS}/service-token" 48
  make_secret "${SECRETS}/token-key" 64
  make_secret "${SECRETS}/admin-password" 24
}

# Prints the PID recorded for service $1 if that process is still alive.
service_pid() {
  local file="${RUN_DIR}/$1.pid" pid state
  [[ -f "${file}" ]] || return 1
  pid="$(<"${file}")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  # A zombie still answers kill -0; read the state instead.
  state="$(awk '{print $3}' "/proc/${pid}/stat" 2>/dev/null || true)"
  [[ -n "${state}" && "${state}" != "Z" ]] || return 1
  printf '%s' "${pid}"
}

# Starts service $1 (binary path $2, then flags) in the background, unless running.
start_service() {
  local name="$1" binary="$2"
  shift 2
  if service_pid "${name}" >/dev/null; then
    say "up: ${name} is already running (pid $(service_pid "${name}"))"
    return 0
  fi
  [[ -x "${binary}" ]] || die "up: ${binary} is missing; run ./taskgres build"
  setsid "${binary}" "$@" >>"${LOG_DIR}/${name}.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"${RUN_DIR}/${name}.pid"
}

# Waits until service $1 at address $2 reports SERVING; dies with its log otherwise.
wait_serving() {
  local name="$1" address="$2" deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if "${BUILD_DIR}/tools/health-probe" "${address}" "" 500 2>/dev/null; then
      return 0
    fi
    if ! service_pid "${name}" >/dev/null; then
      tail -n 5 "${LOG_DIR}/${name}.log" >&2
      die "up: ${name} exited while starting (log: ${LOG_DIR}/${name}.log)"
    fi
    sleep 0.1
  done
  die "up: ${name} did not report SERVING within 60 s (log: ${LOG_DIR}/${name}.log)"
}

up_main() {
  build_select "$@"
  # Tests and the benchmark run against an existing build (TASKGRES_BUILD_DIR).
  if [[ -z "${TASKGRES_SKIP_BUILD:-}" ]]; then
    deps_main
    build_main "$@"
  fi
  cluster_main up
  cluster_load_config
  services_config
  mkdir -p "${LOG_DIR}" "${RUN_DIR}"
  ensure_service_secrets
  local start
  start="$(now_ms)"
  local common=("--service-token-file=${SECRETS}/service-token")
  start_service db-router "${BUILD_DIR}/services/db-router/db-router" "${common[@]}" \
    "--listen=${ROUTER_ADDR}" "--metrics-listen=${ROUTER_METRICS}" \
    "--db-hosts=$(cluster_hosts)" "--db-password-file=${PG_PASSWORD_FILE}"
  wait_serving db-router "${ROUTER_ADDR}"
  start_service fortune-service "${BUILD_DIR}/services/fortune-service/fortune-service" "${common[@]}" \
    "--listen=${FORTUNE_ADDR}" "--metrics-listen=${FORTUNE_METRICS}" "--db-router=${ROUTER_ADDR}"
  start_service task-service "${BUILD_DIR}/services/task-service/task-service" "${common[@]}" \
    "--listen=${TASK_ADDR}" "--metrics-listen=${TASK_METRICS}" "--db-router=${ROUTER_ADDR}" \
    "--fortune-service=${FORTUNE_ADDR}" "--token-key-file=${SECRETS}/token-key" \
    "--admin-password-file=${SECRETS}/admin-password"
  wait_serving fortune-service "${FORTUNE_ADDR}"
  wait_serving task-service "${TASK_ADDR}"
  cat <<SUMMARY
taskgres is up ($(elapsed_s "${start}") s for the services):
  task-service     ${TASK_ADDR}  (public gRPC)   metrics http://${TASK_METRICS}/metrics
  fortune-service  ${FORTUNE_ADDR}                 metrics http://${FORTUNE_METRICS}/metrics
  db-router        ${ROUTER_ADDR}                 metrics http://${ROUTER_METRICS}/metrics
  PostgreSQL       $(cluster_hosts)  (primary + 2 replicas; ./taskgres cluster status)
  admin login      username 'admin', password in ${SECRETS}/admin-password
  logs             ${LOG_DIR}/
stop everything with ./taskgres down
SUMMARY
}

# Stops service $1: SIGTERM, then SIGKILL after 10 s.
stop_service() {
  local name="$1" pid
  pid="$(service_pid "${name}")" || {
    rm -f "${RUN_DIR}/${name}.pid"
    return 0
  }
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while service_pid "${name}" >/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  if service_pid "${name}" >/dev/null; then
    warn "${name} ignored SIGTERM; killing it"
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  rm -f "${RUN_DIR}/${name}.pid"
  say "down: stopped ${name}"
}

down_main() {
  services_config
  local name
  # Public side first, so nothing new reaches the router while it stops.
  for name in task-service fortune-service db-router; do stop_service "${name}"; done
  cluster_main down "$@"
}
