// One JSON object per line on stderr: time, level, service, message, fields.
// Never pass passwords, tokens or SQL parameters as fields.
#ifndef TASKGRES_LIBS_LOGGING_JSON_LOG_H_
#define TASKGRES_LIBS_LOGGING_JSON_LOG_H_

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace taskgres::log {

enum class Level { kDebug, kInfo, kWarning, kError };

// A key and a value already rendered as JSON.
class Field {
 public:
  Field(absl::string_view key, absl::string_view value);
  Field(absl::string_view key, const char* value) : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, const std::string& value) : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, bool value);
  Field(absl::string_view key, double value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) Field(absl::string_view key, T value)
      : key_(key), json_(std::to_string(value)) {}

  const std::string& key() const { return key_; }
  const std::string& json() const { return json_; }

 private:
  std::string key_;
  std::string json_;
};

// Appends `text` to `out` as a quoted JSON string.
void AppendJsonString(absl::string_view text, std::string& out);

// Renders one log line (with trailing newline). Pure; used by the writers.
std::string FormatLine(absl::Time time, Level level, absl::string_view service,
                       absl::string_view message, std::span<const Field> fields);

// Names the service in every line of this process. Call once, first thing in main.
void SetService(absl::string_view service);

// Lines below `level` are dropped (default kInfo).
void SetMinLevel(Level level);

// Writes one line to stderr with a single write(2), so lines from threads never interleave.
void Write(Level level, absl::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kDebug, message, fields);
}
inline void Info(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, message, fields);
}
inline void Warning(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarning, message, fields);
}
inline void Error(absl::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, message, fields);
}

}  // namespace taskgres::log

#endif  // TASKGRES_LIBS_LOGGING_JSON_LOG_H_
