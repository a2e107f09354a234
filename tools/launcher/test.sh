# shellcheck shell=bash
# ./taskgres test [--sanitize] [ctest args]: installs, builds, runs every test (all labels).
# Tests start their own private clusters and services on free ports and stop them by PID.

test_main() {
  local build_args=() ctest_args=()
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --sanitize | --debug) build_args+=("${arg}") ;;
      *) ctest_args+=("${arg}") ;;
    esac
  done
  build_select "${build_args[@]}"
  deps_main
  build_main "${build_args[@]}"
  local start
  start="$(now_ms)"
  # ASan needs this to report leaks and stop at the first error in child processes too.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  if ctest --test-dir "${BUILD_DIR}" --output-on-failure --timeout 900 "${ctest_args[@]}"; then
    say "test: all tests passed ($(elapsed_s "${start}") s, ${BUILD_KIND} build)"
  else
    die "test: some tests failed (${BUILD_KIND} build; see the output above)"
  fi
}
