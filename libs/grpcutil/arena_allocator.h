// Puts a unary call's request and response on one protobuf arena, so the
// many small sub-messages of a result set cost no individual mallocs.
#ifndef TASKGRES_LIBS_GRPCUTIL_ARENA_ALLOCATOR_H_
#define TASKGRES_LIBS_GRPCUTIL_ARENA_ALLOCATOR_H_

#include <cstddef>
#include <type_traits>

#include "google/protobuf/arena.h"
#include "grpcpp/support/message_allocator.h"

namespace taskgres {

// Arena options whose first block is `block` (owned by the caller, who must
// keep it alive as long as the arena).
inline google::protobuf::ArenaOptions ArenaOptionsWithFirstBlock(char* block, size_t size) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = size;
  return options;
}

// Register with the generated SetMessageAllocatorFor_<Method>; it must outlive the server.
template <typename Request, typename Response>
class ArenaMessageAllocator : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    // gRPC owns the holder and calls Release() (delete this) when the call is done.
    return new Holder();
  }

 private:
  class Holder : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(ArenaOptionsWithFirstBlock(buffer_, sizeof(buffer_))) {
      // A message is built for the arena; anything else (a LenientRequest) just lives on it.
      if constexpr (std::is_base_of_v<google::protobuf::MessageLite, Request>) {
        this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      } else {
        this->set_request(google::protobuf::Arena::Create<Request>(&arena_));
      }
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    // The first block lives inside the holder: a typical point read needs no
    // allocation beyond the holder itself.
    alignas(16) char buffer_[2048];
    google::protobuf::Arena arena_;
  };
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_GRPCUTIL_ARENA_ALLOCATOR_H_
