#include "tasks/write_lsn_memory.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace taskgres::tasks {

WriteLsnMemory::Shard& WriteLsnMemory::ShardFor(const std::string& username) const {
  return shards_[absl::Hash<std::string>{}(username) % kShards];
}

void WriteLsnMemory::Remember(const std::string& username, uint64_t lsn) {
  if (lsn == 0) return;
  Shard& shard = ShardFor(username);
  absl::MutexLock lock(&shard.mutex);
  if (shard.lsn.size() >= max_per_shard_ && !shard.lsn.contains(username)) shard.lsn.clear();
  uint64_t& known = shard.lsn[username];
  known = std::max(known, lsn);
}

uint64_t WriteLsnMemory::Get(const std::string& username) const {
  Shard& shard = ShardFor(username);
  absl::MutexLock lock(&shard.mutex);
  auto it = shard.lsn.find(username);
  return it == shard.lsn.end() ? 0 : it->second;
}

}  // namespace taskgres::tasks
