// Input rules shared by the services (task descriptions, accounts), with
// messages a person understands.
#ifndef TASKGRES_LIBS_VALIDATION_TEXT_RULES_H_
#define TASKGRES_LIBS_VALIDATION_TEXT_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace taskgres {

inline constexpr size_t kMaxDescriptionChars = 1000;

// Trims surrounding whitespace and checks: 1 to 1000 characters, valid
// UTF-8, no control characters except newline. Returns the trimmed text or
// INVALID_ARGUMENT ("Can't add an empty task", ...).
absl::StatusOr<std::string> ValidateDescription(absl::string_view description);

// 3 to 32 characters from [a-z0-9_.-].
absl::Status ValidateUsername(absl::string_view username);

// 8 to 128 bytes.
absl::Status ValidatePassword(absl::string_view password);

}  // namespace taskgres

#endif  // TASKGRES_LIBS_VALIDATION_TEXT_RULES_H_
