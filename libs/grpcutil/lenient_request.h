// A request type for callback handlers whose text fields may hold invalid
// UTF-8. Protobuf refuses to parse such a proto3 string, and gRPC's callback
// API then answers a bare UNIMPLEMENTED; parsed leniently, the bytes reach the
// service's own validation, which answers INVALID_ARGUMENT with a message a
// person understands.
#ifndef TASKGRES_LIBS_GRPCUTIL_LENIENT_REQUEST_H_
#define TASKGRES_LIBS_GRPCUTIL_LENIENT_REQUEST_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/serialization_traits.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace taskgres {

// Wraps a request message so that it is parsed by ParseKeepingInvalidText.
template <typename Message>
struct LenientRequest {
  Message message;
};

// Parses `bytes` into `message` like ParseFromArray, except that a top-level
// string field holding invalid UTF-8 is kept as it is instead of failing the
// parse. False when the bytes are not a message of that type at all.
bool ParseKeepingInvalidText(absl::string_view bytes, google::protobuf::Message& message);

}  // namespace taskgres

namespace grpc {

template <typename Message>
class SerializationTraits<taskgres::LenientRequest<Message>, void> {
 public:
  static Status Serialize(const taskgres::LenientRequest<Message>& request, ByteBuffer* buffer,
                          bool* own_buffer) {
    return SerializationTraits<Message>::Serialize(request.message, buffer, own_buffer);
  }
  static Status Deserialize(ByteBuffer* buffer, taskgres::LenientRequest<Message>* request) {
    Slice slice;
    Status dumped = buffer->DumpToSingleSlice(&slice);
    buffer->Clear();
    if (!dumped.ok()) return dumped;
    const absl::string_view bytes(reinterpret_cast<const char*>(slice.begin()), slice.size());
    if (!taskgres::ParseKeepingInvalidText(bytes, request->message)) {
      return Status(StatusCode::INTERNAL, "the request is not a valid message");
    }
    return Status::OK;
  }
};

}  // namespace grpc

#endif  // TASKGRES_LIBS_GRPCUTIL_LENIENT_REQUEST_H_
