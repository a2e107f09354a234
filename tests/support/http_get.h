// Test support: a plain HTTP GET over a socket (for /metrics pages).
#ifndef TASKGRES_TESTS_SUPPORT_HTTP_GET_H_
#define TASKGRES_TESTS_SUPPORT_HTTP_GET_H_

#include <optional>
#include <string>

namespace taskgres::testing {

// The body of http://127.0.0.1:<port><path> when the answer is 200; nullopt otherwise.
std::optional<std::string> HttpGet(int port, const std::string& path);

// Runs a shell command, feeding `input` on stdin; returns the exit code and
// the combined output in *output.
int RunWithInput(const std::string& command, const std::string& input, std::string* output);

}  // namespace taskgres::testing

#endif  // TASKGRES_TESTS_SUPPORT_HTTP_GET_H_
