#include "validation/text_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace taskgres {
namespace {

// Decodes one UTF-8 sequence at `text[i]`; returns its length, or 0 when
// malformed (overlong forms, surrogates and values past U+10FFFF included).
size_t DecodeUtf8(absl::string_view text, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length;
  uint32_t value;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    value = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kMinimum[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
    return 0;
  *code_point = value;
  return length;
}

}  // namespace

absl::StatusOr<std::string> ValidateDescription(absl::string_view description) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(description);
  if (trimmed.empty()) return absl::InvalidArgumentError("Can't add an empty task");
  size_t characters = 0;
  for (size_t i = 0; i < trimmed.size();) {
    uint32_t code_point = 0;
    const size_t length = DecodeUtf8(trimmed, i, &code_point);
    if (length == 0)
      return absl::InvalidArgumentError("The task description is not valid UTF-8 text");
    const bool control = (code_point < 0x20 && code_point != '\n') || code_point == 0x7F ||
                         (code_point >= 0x80 && code_point <= 0x9F);
    if (control) {
      return absl::InvalidArgumentError(
          absl::StrFormat("The task description contains a control character (U+%04X); only line "
                          "breaks are allowed",
                          code_point));
    }
    ++characters;
    i += length;
  }
  if (characters > kMaxDescriptionChars) {
    return absl::InvalidArgumentError(absl::StrCat("A task can be at most ", kMaxDescriptionChars,
                                                   " characters long; this one has ", characters));
  }
  return std::string(trimmed);
}

absl::Status ValidateUsername(absl::string_view username) {
  bool ok = username.size() >= 3 && username.size() <= 32;
  for (char c : username) {
    ok = ok &&
         (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "A username must be 3 to 32 characters long and use only lower-case letters, digits, '_', "
      "'.' or '-'");
}

absl::Status ValidatePassword(absl::string_view password) {
  if (password.size() >= 8 && password.size() <= 128) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("A password must be 8 to 128 bytes long; this one has ", password.size()));
}

}  // namespace taskgres
