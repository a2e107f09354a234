// Reading secrets (tokens, keys, passwords) from files.
#ifndef TASKGRES_LIBS_SECRETS_SECRET_FILE_H_
#define TASKGRES_LIBS_SECRETS_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace taskgres {

// Returns the file's content without trailing whitespace. NOT_FOUND or
// PERMISSION_DENIED when unreadable, INVALID_ARGUMENT when empty. The error
// names the file, never its content.
absl::StatusOr<std::string> ReadSecretFile(absl::string_view path);

}  // namespace taskgres

#endif  // TASKGRES_LIBS_SECRETS_SECRET_FILE_H_
