# shellcheck shell=bash
# ./taskgres build [--debug|--sanitize]: configures and builds with CMake and Ninja.

# Sets BUILD_KIND and BUILD_DIR from the build options in "$@".
build_select() {
  BUILD_KIND="release"
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --debug) BUILD_KIND="debug" ;;
      --sanitize) BUILD_KIND="sanitize" ;;
      --release) BUILD_KIND="release" ;;
    esac
  done
  BUILD_DIR="${TASKGRES_BUILD_DIR:-${ROOT}/build/${BUILD_KIND}}"
}

build_main() {
  build_select "$@"
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --debug | --sanitize | --release) ;;
      *) die "build: unknown option '${arg}' (use --debug or --sanitize)" ;;
    esac
  done
  local type="Release" sanitize="OFF"
  case "${BUILD_KIND}" in
    debug) type="Debug" ;;
    sanitize)
      type="RelWithDebInfo"
      sanitize="ON"
      ;;
  esac
  local start
  start="$(now_ms)"
  mkdir -p "${BUILD_DIR}"
  cmake -S "${ROOT}" -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE="${type}" -DTASKGRES_SANITIZE="${sanitize}" \
    >"${BUILD_DIR}/configure.log" 2>&1 || {
    cat "${BUILD_DIR}/configure.log" >&2
    die "build: cmake configure failed"
  }
  cmake --build "${BUILD_DIR}" -j "${TASKGRES_JOBS:-2}" || die "build: compilation failed"
  say "build: ${BUILD_KIND} build ready in ${BUILD_DIR} ($(elapsed_s "${start}") s)"
}
