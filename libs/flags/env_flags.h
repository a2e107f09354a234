// Command-line flags with TASKGRES_* environment fallback.
#ifndef TASKGRES_LIBS_FLAGS_ENV_FLAGS_H_
#define TASKGRES_LIBS_FLAGS_ENV_FLAGS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace taskgres {

// The environment variable read for a flag: "db-hosts" -> "TASKGRES_DB_HOSTS".
std::string EnvNameForFlag(absl::string_view flag_name);

// Sets every registered flag whose TASKGRES_<NAME> variable `lookup` returns
// non-null. Returns INVALID_ARGUMENT naming the variable when a value does not parse.
absl::Status ApplyFlagsFromEnvironment(const std::function<const char*(const char*)>& lookup);

// Applies the environment, then parses argv (the command line wins). On a bad
// flag or value prints one line naming the problem and exits 2. Honours --help.
void ParseFlagsOrExit(int argc, char** argv, absl::string_view usage);

}  // namespace taskgres

#endif  // TASKGRES_LIBS_FLAGS_ENV_FLAGS_H_
