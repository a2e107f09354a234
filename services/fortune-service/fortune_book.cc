#include "fortune_book.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "validation/text_rules.h"

namespace taskgres::fortune {

absl::StatusOr<FortuneBook> FortuneBook::Load(const std::vector<std::string>& paths) {
  if (paths.empty()) return absl::InvalidArgumentError("no fortune file given (--fortunes)");
  FortuneBook book;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read the fortune file ", path));
    std::ostringstream text;
    text << in.rdbuf();
    book.AddText(text.str());
  }
  if (book.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("the fortune files hold no usable fortune (",
                                                   book.skipped(), " entries skipped)"));
  }
  return book;
}

void FortuneBook::AddText(absl::string_view text) {
  std::string entry;
  bool any_line = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    if (line == "%") {
      AddEntry(entry);
      entry.clear();
      any_line = false;
      continue;
    }
    if (any_line) entry.push_back('\n');
    entry.append(line.data(), line.size());
    any_line = true;
  }
  // Text after the last "%" is an entry too (a file need not end with one).
  if (!absl::StripAsciiWhitespace(entry).empty()) AddEntry(entry);
}

void FortuneBook::AddEntry(absl::string_view entry) {
  absl::StatusOr<std::string> valid = ValidateDescription(entry);
  if (valid.ok()) {
    entries_.push_back(*std::move(valid));
  } else {
    ++skipped_;
  }
}

}  // namespace taskgres::fortune
