#include "routing/sql_classifier.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace taskgres::router {
namespace {

struct Token {
  std::string word;  // upper-cased keyword or identifier; empty for punctuation
  char symbol = 0;   // punctuation character when word is empty
};

// Splits SQL into keywords/identifiers and punctuation, skipping comments,
// string literals (including E'' and dollar-quoted) and quoted identifiers.
// Returns false on an unterminated literal or comment.
bool Tokenize(absl::string_view sql, std::vector<Token>& tokens) {
  size_t i = 0;
  const size_t n = sql.size();
  auto is_word = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  while (i < n) {
    const char c = sql[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 1;  // PostgreSQL block comments nest.
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      if (depth > 0) return false;
    } else if (c == '\'' || ((c == 'E' || c == 'e') && i + 1 < n && sql[i + 1] == '\'')) {
      const bool backslash_escapes = c != '\'';
      i += backslash_escapes ? 2 : 1;
      bool closed = false;
      while (i < n) {
        if (backslash_escapes && sql[i] == '\\') {
          i += 2;
        } else if (sql[i] == '\'') {
          if (i + 1 < n && sql[i + 1] == '\'') {
            i += 2;
          } else {
            ++i;
            closed = true;
            break;
          }
        } else {
          ++i;
        }
      }
      if (!closed) return false;
      tokens.push_back({"", '\''});
    } else if (c == '"') {
      const size_t end = sql.find('"', i + 1);
      if (end == absl::string_view::npos) return false;
      tokens.push_back({"\"", 0});  // a quoted identifier never matches a keyword
      i = end + 1;
    } else if (c == '$' && i + 1 < n &&
               (sql[i + 1] == '$' || absl::ascii_isalpha(static_cast<unsigned char>(sql[i + 1])) ||
                sql[i + 1] == '_')) {
      size_t j = i + 1;
      while (j < n && sql[j] != '$' && is_word(sql[j])) ++j;
      if (j < n && sql[j] == '$') {
        const absl::string_view tag = sql.substr(i, j - i + 1);
        const size_t end = sql.find(tag, j + 1);
        if (end == absl::string_view::npos) return false;
        tokens.push_back({"", '\''});
        i = end + tag.size();
      } else {
        tokens.push_back({"", '$'});
        ++i;
      }
    } else if (is_word(c)) {
      size_t j = i;
      while (j < n && (is_word(sql[j]) || sql[j] == '$')) ++j;
      tokens.push_back({absl::AsciiStrToUpper(sql.substr(i, j - i)), 0});
      i = j;
    } else {
      tokens.push_back({"", c});
      ++i;
    }
  }
  return true;
}

// True when the tokens hold ON COMMIT DROP.
bool CommitDrops(const std::vector<Token>& tokens) {
  for (size_t i = 0; i + 2 < tokens.size(); ++i) {
    if (tokens[i].word == "ON" && tokens[i + 1].word == "COMMIT" && tokens[i + 2].word == "DROP") {
      return true;
    }
  }
  return false;
}

Classification Rejected(std::string reason) {
  return {StatementKind::kRejected, std::move(reason)};
}

}  // namespace

Classification ClassifyStatement(absl::string_view sql, StatementContext context) {
  if (absl::StripAsciiWhitespace(sql).empty()) return Rejected("the SQL statement is empty");
  std::vector<Token> tokens;
  if (!Tokenize(sql, tokens)) {
    return Rejected("the SQL has an unterminated string, quoted identifier or comment");
  }
  // Drop trailing semicolons; any other top-level ';' separates statements.
  while (!tokens.empty() && tokens.back().word.empty() && tokens.back().symbol == ';')
    tokens.pop_back();
  if (tokens.empty()) return Rejected("the SQL has no statement (only comments or semicolons)");
  for (const Token& token : tokens) {
    if (token.word.empty() && token.symbol == ';') {
      return Rejected("send one SQL statement per call (found ';' between statements)");
    }
  }

  const std::string& first = tokens[0].word;
  const std::string second = tokens.size() > 1 ? tokens[1].word : "";
  static const absl::flat_hash_set<std::string> kTransactionControl = {
      "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"};
  static const absl::flat_hash_set<std::string> kSessionState = {
      "PREPARE", "EXECUTE", "DEALLOCATE", "RESET", "DISCARD", "LISTEN", "UNLISTEN",
      "LOAD",    "COPY",    "DECLARE",    "FETCH", "MOVE",    "CLOSE"};
  if (kTransactionControl.contains(first)) {
    return Rejected(absl::StrCat(first,
                                 " is not allowed: each Execute runs in its own transaction; use "
                                 "ExecuteTransaction to group statements"));
  }
  if (kSessionState.contains(first)) {
    return Rejected(absl::StrCat(first,
                                 " is not allowed: it would change the state of a pooled "
                                 "connection shared with other callers"));
  }
  if (first == "SET") {
    if (context == StatementContext::kTransaction && second == "LOCAL")
      return {StatementKind::kWrite, ""};
    return Rejected(context == StatementContext::kTransaction
                        ? "only SET LOCAL is allowed: plain SET would outlive the transaction on a "
                          "pooled connection"
                        : "SET is not allowed: it would change a pooled connection; use SET LOCAL "
                          "inside ExecuteTransaction");
  }
  // Statements PostgreSQL refuses inside a transaction block.
  const bool concurrently = std::any_of(tokens.begin(), tokens.end(),
                                        [](const Token& t) { return t.word == "CONCURRENTLY"; });
  const bool cluster_level = (first == "CREATE" || first == "DROP" || first == "ALTER") &&
                             (second == "DATABASE" || second == "TABLESPACE" ||
                              second == "SYSTEM" || second == "SUBSCRIPTION");
  if (first == "VACUUM" || concurrently || cluster_level) {
    return Rejected(absl::StrCat(first, cluster_level ? " " : "", cluster_level ? second : "",
                                 concurrently ? " CONCURRENTLY" : "",
                                 " cannot run inside a transaction; run it directly on the "
                                 "database"));
  }

  // Session state hidden inside a statement would also outlive the call on a
  // pooled connection.
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& word = tokens[i].word;
    if (word == "SET_CONFIG") {
      return Rejected(
          "set_config() is not allowed: it can change a pooled connection's session; use SET "
          "LOCAL inside ExecuteTransaction");
    }
    const bool advisory =
        absl::StartsWith(word, "PG_ADVISORY_") || absl::StartsWith(word, "PG_TRY_ADVISORY_");
    if (advisory && !absl::StrContains(word, "_XACT_")) {
      return Rejected(absl::StrCat(
          absl::AsciiStrToLower(word),
          "() is a session-level lock that would stay on a pooled connection; use the _xact_ "
          "form inside ExecuteTransaction"));
    }
    const std::string& before = i > 0 ? tokens[i - 1].word : "";
    const bool temporary =
        (word == "TEMP" || word == "TEMPORARY") &&
        (before == "CREATE" || before == "INTO" || before == "LOCAL" || before == "GLOBAL");
    if (temporary && !(context == StatementContext::kTransaction && CommitDrops(tokens))) {
      return Rejected(
          "temporary tables would stay on a pooled connection; create them inside "
          "ExecuteTransaction with ON COMMIT DROP");
    }
  }

  static const absl::flat_hash_set<std::string> kReadStarts = {"SELECT", "VALUES", "TABLE",
                                                               "WITH",   "SHOW",   "EXPLAIN"};
  if (!kReadStarts.contains(first)) return {StatementKind::kWrite, ""};

  static const absl::flat_hash_set<std::string> kWritingWords = {
      "INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "ANALYZE", "ANALYSE",
      // Functions that write or need a transaction id; they fail on a replica.
      "NEXTVAL", "SETVAL", "PG_NOTIFY", "TXID_CURRENT", "PG_CURRENT_XACT_ID", "LO_CREATE",
      "LO_UNLINK", "LO_IMPORT", "PG_ADVISORY_XACT_LOCK", "PG_ADVISORY_XACT_LOCK_SHARED",
      "PG_TRY_ADVISORY_XACT_LOCK", "PG_TRY_ADVISORY_XACT_LOCK_SHARED"};
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& word = tokens[i].word;
    if (kWritingWords.contains(word)) return {StatementKind::kWrite, ""};
    // Row locks: FOR UPDATE is caught above; FOR SHARE / FOR KEY SHARE / FOR NO KEY UPDATE here.
    if (word == "FOR" && i + 1 < tokens.size() &&
        (tokens[i + 1].word == "SHARE" || tokens[i + 1].word == "KEY" ||
         tokens[i + 1].word == "NO")) {
      return {StatementKind::kWrite, ""};
    }
  }
  return {StatementKind::kRead, ""};
}

}  // namespace taskgres::router
