#include "tasks/list_query.h"

#include "absl/strings/str_cat.h"
#include "db/schema.h"

namespace taskgres::tasks {
namespace {

// Two statements rather than "owner = $1 OR $1 = '*'", so each keeps a plan using its index.
std::string BuildListTasksSql(bool everyone) {
  return absl::StrCat("SELECT ", kTaskColumns, " FROM tasks WHERE ",
                      everyone ? "$1::text IS NOT NULL" : "owner = $1",
                      " AND id > $2 AND ($3::boolean IS NULL OR done = $3)"
                      " AND ($4::text IS NULL OR source = $4) ORDER BY id LIMIT $5");
}

}  // namespace

const std::string& ListTasksSql(bool everyone) {
  static const std::string* const kEveryone = new std::string(BuildListTasksSql(true));
  static const std::string* const kOneOwner = new std::string(BuildListTasksSql(false));
  return everyone ? *kEveryone : *kOneOwner;
}

}  // namespace taskgres::tasks
