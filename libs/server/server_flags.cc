#include "server/server_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "",
          "gRPC address, host:port (default: the service's local port on 127.0.0.1)");
ABSL_FLAG(
    std::string, metrics_listen, "",
    "Prometheus /metrics address, host:port (default: the service's metrics port on 127.0.0.1)");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain; with --tls-key-file serves TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls-cert-file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, clients must present a certificate it signed (mTLS)");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(3),
          "On SIGTERM, how long in-flight calls may finish before they are cancelled");
ABSL_FLAG(int, max_message_bytes, 16 << 20, "Largest request message accepted");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(std::string, service_token_file, "",
          "File holding the internal service credential (sent as 'authorization: Bearer <token>')");
