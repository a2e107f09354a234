// The fortunes to draw from, loaded from files in the classic `fortune`
// format (entries separated by lines holding only "%").
#ifndef TASKGRES_FORTUNE_SERVICE_FORTUNE_BOOK_H_
#define TASKGRES_FORTUNE_SERVICE_FORTUNE_BOOK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace taskgres::fortune {

class FortuneBook {
 public:
  // Reads every file. Entries that would not be valid task descriptions
  // (empty, too long, control characters) are skipped and counted.
  // NOT_FOUND for an unreadable file; INVALID_ARGUMENT when no entry is usable.
  static absl::StatusOr<FortuneBook> Load(const std::vector<std::string>& paths);

  // Parses one file's text, appending usable entries.
  void AddText(absl::string_view text);

  size_t size() const { return entries_.size(); }
  int skipped() const { return skipped_; }

  // The entry chosen by `random` (any 64-bit value). Requires size() > 0.
  const std::string& Pick(uint64_t random) const { return entries_[random % entries_.size()]; }

 private:
  void AddEntry(absl::string_view entry);

  std::vector<std::string> entries_;
  int skipped_ = 0;
};

}  // namespace taskgres::fortune

#endif  // TASKGRES_FORTUNE_SERVICE_FORTUNE_BOOK_H_
