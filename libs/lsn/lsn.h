// PostgreSQL log sequence numbers: "16/B374D848" <-> 64-bit integer.
#ifndef TASKGRES_LIBS_LSN_LSN_H_
#define TASKGRES_LIBS_LSN_LSN_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace taskgres {

// Parses PostgreSQL's "X/Y" hexadecimal text form; nullopt when malformed.
std::optional<uint64_t> ParseLsn(absl::string_view text);

// Formats as PostgreSQL does ("0/16B3748").
std::string FormatLsn(uint64_t lsn);

}  // namespace taskgres

#endif  // TASKGRES_LIBS_LSN_LSN_H_
