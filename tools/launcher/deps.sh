# shellcheck shell=bash
# ./taskgres deps: installs the Debian packages taskgres needs, when missing.

# Build, run and test dependencies (Debian 12 names).
DEPS_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  prometheus-cpp-dev libpq-dev libgtest-dev libgmock-dev libbenchmark-dev libsodium-dev
  postgresql-15 postgresql-contrib
  prometheus pgpool2 curl procps iproute2 clang-format clang-tidy
)

# Prints the packages of DEPS_PACKAGES that are not installed.
deps_missing() {
  local package status
  for package in "${DEPS_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "${package}" 2>/dev/null || true)"
    [[ "${status}" == "install ok installed" ]] || printf '%s\n' "${package}"
  done
}

deps_main() {
  local missing
  mapfile -t missing < <(deps_missing)
  if ((${#missing[@]} == 0)); then
    say "deps: all ${#DEPS_PACKAGES[@]} packages are installed"
    return 0
  fi
  local command="apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ ${EUID} -ne 0 ]]; then
    printf 'taskgres: missing packages: %s\nrun as root: apt-get update && %s\n' "${missing[*]}" "${command}" >&2
    return 1
  fi
  say "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || die "apt-get update failed"
  # The postgresql package would start a default cluster on 5432; ours run on their own ports.
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends ${missing[*]} >/dev/null || die "apt-get install failed: ${command}"
  say "deps: installed ${#missing[@]} packages"
}
