#include "flags/env_flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace taskgres {

std::string EnvNameForFlag(absl::string_view flag_name) {
  std::string name = absl::StrCat("TASKGRES_", flag_name);
  for (char& c : name) c = c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return name;
}

absl::Status ApplyFlagsFromEnvironment(const std::function<const char*(const char*)>& lookup) {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->IsRetired()) continue;
    const std::string env_name = EnvNameForFlag(name);
    const char* value = lookup(env_name.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      // The value itself is not echoed: it may be a secret.
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", env_name, " is not a valid --", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

void ParseFlagsOrExit(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  absl::Status env = ApplyFlagsFromEnvironment([](const char* n) { return std::getenv(n); });
  if (!env.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(env.message()).c_str());
    std::exit(2);
  }
  // Accept --service-token-file as well as absl's --service_token_file.
  std::vector<std::string> normalized(argv, argv + argc);
  for (size_t i = 1; i < normalized.size(); ++i) {
    std::string& arg = normalized[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = start; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  std::vector<char*> args;
  for (std::string& arg : normalized) args.push_back(arg.data());
  // absl prints its own message and exits non-zero on an unknown flag or bad value.
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
}

}  // namespace taskgres
