#include "pool/prepared_cache.h"

#include "absl/strings/str_cat.h"

namespace taskgres::router {

const std::string* PreparedCache::Find(absl::string_view sql) const {
  auto it = names_.find(sql);
  return it == names_.end() ? nullptr : &it->second;
}

const std::string* PreparedCache::Add(absl::string_view sql) {
  if (names_.size() >= capacity_) return nullptr;
  auto [it, inserted] = names_.try_emplace(sql, absl::StrCat("taskgres_", next_id_));
  if (inserted) ++next_id_;
  return &it->second;
}

void PreparedCache::Erase(absl::string_view sql) { names_.erase(sql); }

void PreparedCache::Clear() {
  names_.clear();
  next_id_ = 0;
}

}  // namespace taskgres::router
