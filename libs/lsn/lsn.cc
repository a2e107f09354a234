#include "lsn/lsn.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace taskgres {

std::optional<uint64_t> ParseLsn(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == text.size())
    return std::nullopt;
  const absl::string_view high = text.substr(0, slash);
  const absl::string_view low = text.substr(slash + 1);
  if (high.size() > 8 || low.size() > 8) return std::nullopt;
  uint32_t hi = 0;
  uint32_t lo = 0;
  if (!absl::SimpleHexAtoi(high, &hi) || !absl::SimpleHexAtoi(low, &lo)) return std::nullopt;
  // SimpleHexAtoi accepts a "0x" prefix and signs; PostgreSQL does not.
  for (char c : text) {
    if (c != '/' && !absl::ascii_isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

std::string FormatLsn(uint64_t lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

}  // namespace taskgres
