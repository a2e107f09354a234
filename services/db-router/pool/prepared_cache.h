// Names of statements prepared on one connection, keyed by SQL text.
#ifndef TASKGRES_DB_ROUTER_POOL_PREPARED_CACHE_H_
#define TASKGRES_DB_ROUTER_POOL_PREPARED_CACHE_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace taskgres::router {

class PreparedCache {
 public:
  explicit PreparedCache(size_t capacity) : capacity_(capacity) {}

  // The statement name for `sql` if it is prepared (or being prepared).
  const std::string* Find(absl::string_view sql) const;

  // Assigns a new name for `sql`; null when the cache is full (run unprepared).
  const std::string* Add(absl::string_view sql);

  // Forgets `sql` (its PREPARE failed).
  void Erase(absl::string_view sql);

  // Forgets everything (the connection was replaced).
  void Clear();

  size_t size() const { return names_.size(); }

 private:
  size_t capacity_;
  size_t next_id_ = 0;
  absl::flat_hash_map<std::string, std::string> names_;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_POOL_PREPARED_CACHE_H_
