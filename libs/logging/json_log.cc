#include "logging/json_log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace taskgres::log {
namespace {

// Process-wide logging settings: written once at start-up, then only read.
struct Settings {
  std::once_flag service_once;
  std::string service = "taskgres";
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
};

Settings& GetSettings() {
  static Settings settings;
  return settings;
}

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

Field::Field(absl::string_view key, absl::string_view value) : key_(key) {
  AppendJsonString(value, json_);
}

Field::Field(absl::string_view key, bool value) : key_(key), json_(value ? "true" : "false") {}

Field::Field(absl::string_view key, double value) : key_(key) {
  // JSON has no NaN or infinity; render them as null.
  json_ = (value == value && value - value == 0) ? absl::StrFormat("%.6g", value) : "null";
}

void AppendJsonString(absl::string_view text, std::string& out) {
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string FormatLine(absl::Time time, Level level, absl::string_view service,
                       absl::string_view message, std::span<const Field> fields) {
  std::string line = "{\"time\":";
  AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()), line);
  line += ",\"level\":";
  AppendJsonString(LevelName(level), line);
  line += ",\"service\":";
  AppendJsonString(service, line);
  line += ",\"message\":";
  AppendJsonString(message, line);
  for (const Field& field : fields) {
    line.push_back(',');
    AppendJsonString(field.key(), line);
    line.push_back(':');
    line += field.json();
  }
  line += "}\n";
  return line;
}

void SetService(absl::string_view service) {
  Settings& settings = GetSettings();
  std::call_once(settings.service_once, [&] { settings.service = std::string(service); });
}

void SetMinLevel(Level level) { GetSettings().min_level.store(static_cast<int>(level)); }

void Write(Level level, absl::string_view message, std::initializer_list<Field> fields) {
  Settings& settings = GetSettings();
  if (static_cast<int>(level) < settings.min_level.load(std::memory_order_relaxed)) return;
  const std::string line = FormatLine(absl::Now(), level, settings.service, message,
                                      std::span(fields.begin(), fields.size()));
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere left to report a broken stderr.
    written += static_cast<size_t>(n);
  }
}

}  // namespace taskgres::log
