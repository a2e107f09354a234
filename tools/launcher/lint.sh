# shellcheck shell=bash
# ./taskgres lint [--format-only]: clang-format (check only) and clang-tidy (.clang-tidy) over our sources.

lint_sources() {
  (cd "${ROOT}" && git ls-files -- 'libs/*.cc' 'libs/*.h' 'services/*.cc' 'services/*.h' 'tools/*.cc' \
    'tools/*.h' 'tests/*.cc' 'tests/*.h')
}

lint_main() {
  local files status=0
  mapfile -t files < <(lint_sources)
  say "lint: clang-format on ${#files[@]} files"
  (cd "${ROOT}" && clang-format --dry-run --Werror "${files[@]}") || status=1
  # --format-only: the quick half, run by the test suite.
  if [[ "${1:-}" == "--format-only" ]]; then
    ((status == 0)) || die "lint: run clang-format -i on the files above"
    say "lint: formatting clean"
    return 0
  fi
  build_select
  [[ -f "${BUILD_DIR}/compile_commands.json" ]] || build_main
  # clang-tidy needs the generated protobuf headers: build first.
  cmake --build "${BUILD_DIR}" -j "${TASKGRES_JOBS:-2}" >/dev/null || die "lint: build failed"
  local sources=()
  local file
  for file in "${files[@]}"; do [[ "${file}" == *.cc ]] && sources+=("${ROOT}/${file}"); done
  say "lint: clang-tidy on ${#sources[@]} files"
  run-clang-tidy -quiet -p "${BUILD_DIR}" -j "${TASKGRES_JOBS:-2}" "${sources[@]}" >"${BUILD_DIR}/clang-tidy.log" 2>&1 ||
    status=1
  if ((status)); then
    grep -E "(warning|error):" "${BUILD_DIR}/clang-tidy.log" | sort -u | head -50 >&2
    die "lint: problems found (full clang-tidy output: ${BUILD_DIR}/clang-tidy.log)"
  fi
  say "lint: clean"
}
