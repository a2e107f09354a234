// Flags every taskgres service accepts (each also read from TASKGRES_<NAME>).
#ifndef TASKGRES_LIBS_SERVER_SERVER_FLAGS_H_
#define TASKGRES_LIBS_SERVER_SERVER_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_client_ca_file);
ABSL_DECLARE_FLAG(absl::Duration, drain_timeout);
ABSL_DECLARE_FLAG(int, max_message_bytes);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(std::string, service_token_file);

#endif  // TASKGRES_LIBS_SERVER_SERVER_FLAGS_H_
