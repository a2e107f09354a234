#include "secrets/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace taskgres {

absl::StatusOr<std::string> ReadSecretFile(absl::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("no secret file given");
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) {
    const int err = errno;
    const std::string message =
        absl::StrCat("cannot read secret file ", path, ": ", std::strerror(err));
    return err == EACCES ? absl::PermissionDeniedError(message) : absl::NotFoundError(message);
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret(absl::StripTrailingAsciiWhitespace(content.str()));
  if (secret.empty())
    return absl::InvalidArgumentError(absl::StrCat("secret file ", path, " is empty"));
  return secret;
}

}  // namespace taskgres
