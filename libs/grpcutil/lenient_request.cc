#include "grpcutil/lenient_request.h"

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/wire_format_lite.h"

namespace taskgres {

bool ParseKeepingInvalidText(absl::string_view bytes, google::protobuf::Message& message) {
  const int size = static_cast<int>(bytes.size());
  if (message.ParseFromArray(bytes.data(), size)) return true;  // the usual case

  using google::protobuf::FieldDescriptor;
  using google::protobuf::internal::WireFormatLite;
  // Copy every field except the strings that are not UTF-8; parse the copy,
  // then set those strings through reflection, which does not check them.
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  std::string kept;
  std::vector<std::pair<const FieldDescriptor*, std::string>> raw_text;
  {
    google::protobuf::io::ArrayInputStream in_stream(bytes.data(), size);
    google::protobuf::io::CodedInputStream input(&in_stream);
    google::protobuf::io::StringOutputStream out_stream(&kept);
    google::protobuf::io::CodedOutputStream output(&out_stream);
    while (const uint32_t tag = input.ReadTag()) {
      const FieldDescriptor* field =
          descriptor->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
      const bool text =
          field != nullptr && field->type() == FieldDescriptor::TYPE_STRING &&
          WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
      if (!text) {
        if (!WireFormatLite::SkipField(&input, tag, &output)) return false;
        continue;
      }
      std::string value;
      if (!WireFormatLite::ReadBytes(&input, &value)) return false;
      // Protobuf's own check: exactly the strings its parser refuses.
      if (google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                              static_cast<int>(value.size()))) {
        WireFormatLite::WriteBytes(field->number(), value, &output);
      } else {
        raw_text.emplace_back(field, std::move(value));
      }
    }
    if (!input.ConsumedEntireMessage()) return false;
  }  // flushes `output` into `kept`
  message.Clear();
  if (raw_text.empty() || !message.ParseFromString(kept)) return false;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  for (auto& [field, value] : raw_text) {
    if (field->is_repeated()) {
      reflection->AddString(&message, field, std::move(value));
    } else {
      reflection->SetString(&message, field, std::move(value));
    }
  }
  return true;
}

}  // namespace taskgres
