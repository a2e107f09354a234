#include "stream_scenarios.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "process_stats.h"
#include "stack_scenarios.h"
#include "taskgres/v1/task_service.grpc.pb.h"

namespace taskgres::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Several connections: one HTTP/2 connection per stream would be unrealistic,
// one for a thousand streams would make the client the bottleneck.
std::vector<std::unique_ptr<v1::TaskService::Stub>> Stubs(const std::string& address, int count) {
  std::vector<std::unique_ptr<v1::TaskService::Stub>> stubs;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("taskgres.bench.connection", i);  // distinct args: a connection each
    stubs.push_back(v1::TaskService::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments)));
  }
  return stubs;
}

// A client stream recording when each message arrived.
template <typename Message>
class Recorder : public grpc::ClientReadReactor<Message> {
 public:
  explicit Recorder(const std::string& token) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
  void Begin() {
    this->StartRead(&message_);
    this->StartCall();
  }
  void OnReadInitialMetadataDone(bool ok) override {
    std::lock_guard lock(mutex);
    subscribed = ok;
    subscribed_signal.Notify();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      std::lock_guard lock(mutex);
      arrivals.emplace_back(message_, Clock::now());
    }
    this->StartRead(&message_);
  }
  void OnDone(const grpc::Status& s) override {
    std::lock_guard lock(mutex);
    status = s;
    if (!subscribed_signal.HasBeenNotified()) subscribed_signal.Notify();
    done.Notify();
  }

  grpc::ClientContext context;
  std::mutex mutex;
  std::vector<std::pair<Message, Clock::time_point>> arrivals;
  bool subscribed = false;
  absl::Notification subscribed_signal;
  absl::Notification done;
  grpc::Status status;

 private:
  Message message_;
};

double Mib(double bytes) { return bytes / (1024.0 * 1024.0); }

}  // namespace

absl::StatusOr<Row> RunWatchFanout(const Targets& targets, int subscribers, int writes_per_second) {
  absl::StatusOr<std::vector<std::string>> tokens =
      LoginUsers(targets.task_service, "bench-watch", 1);
  if (!tokens.ok()) return tokens.status();
  const std::string& token = tokens->front();
  const ProcessSample before = SampleProcesses({targets.task_pid});

  auto stubs = Stubs(targets.task_service, 8);
  std::vector<std::unique_ptr<Recorder<v1::TaskEvent>>> streams;
  for (int i = 0; i < subscribers; ++i) {
    auto stream = std::make_unique<Recorder<v1::TaskEvent>>(token);
    static const v1::WatchTasksRequest kRequest;
    stubs[i % stubs.size()]->async()->WatchTasks(&stream->context, &kRequest, stream.get());
    stream->Begin();
    streams.push_back(std::move(stream));
  }
  for (auto& stream : streams) {
    if (!stream->subscribed_signal.WaitForNotificationWithTimeout(absl::Seconds(30)) ||
        !stream->subscribed) {
      for (auto& s : streams) s->context.TryCancel();
      for (auto& s : streams) s->done.WaitForNotification();
      return absl::UnavailableError("a watch stream did not start");
    }
  }
  const ProcessSample subscribed = SampleProcesses({targets.task_pid});

  // The writer: tasks at a steady rate, remembering when each create was sent.
  auto writer = Stubs(targets.task_service, 1);
  std::map<int64_t, Clock::time_point> sent;
  double peak_rss = subscribed.rss_bytes;
  const auto start = Clock::now();
  const auto period = std::chrono::microseconds(1'000'000 / std::max(1, writes_per_second));
  const int writes = static_cast<int>(absl::ToDoubleSeconds(targets.duration) * writes_per_second);
  int write_errors = 0;
  for (int i = 0; i < writes; ++i) {
    std::this_thread::sleep_until(start + period * i);
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CreateTaskRequest request;
    request.set_description(absl::StrCat("fan-out event ", i));
    v1::Task task;
    const auto when = Clock::now();
    if (writer[0]->CreateTask(&context, request, &task).ok()) {
      sent[task.id()] = when;
    } else {
      ++write_errors;
    }
    if (i % 50 == 0) peak_rss = std::max(peak_rss, SampleProcesses({targets.task_pid}).rss_bytes);
  }
  const auto writing_took = Clock::now() - start;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const ProcessSample after = SampleProcesses({targets.task_pid});
  peak_rss = std::max(peak_rss, after.rss_bytes);
  for (auto& stream : streams) stream->context.TryCancel();
  for (auto& stream : streams) stream->done.WaitForNotification();

  std::vector<uint32_t> latencies;
  uint64_t delivered = 0;
  for (auto& stream : streams) {
    std::lock_guard lock(stream->mutex);
    for (const auto& [event, when] : stream->arrivals) {
      auto it = sent.find(event.task().id());
      if (event.type() != v1::TaskEvent::TYPE_CREATED || it == sent.end()) continue;
      ++delivered;
      latencies.push_back(static_cast<uint32_t>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::microseconds>(when - it->second).count())));
    }
  }
  const uint64_t expected = sent.size() * static_cast<uint64_t>(subscribers);
  Row row;
  row.scenario = "watch-fanout";
  row.clients = subscribers;
  row.ops_per_second =
      static_cast<double>(delivered) / std::chrono::duration<double>(writing_took).count();
  row.latency = Summarize(latencies);
  row.errors = (expected - std::min(expected, delivered)) + static_cast<uint64_t>(write_errors);
  row.server_rss_mib = Mib(after.rss_bytes);
  row.server_cpu_percent = 100.0 * (after.cpu_seconds - subscribed.cpu_seconds) /
                           std::chrono::duration<double>(writing_took).count();
  row.note = absl::StrFormat(
      "%d writes/s; delivered %d of %d; RSS %.1f MiB idle -> %.1f subscribed -> peak %.1f (growth "
      "%.1f MiB)",
      writes_per_second, delivered, expected, Mib(before.rss_bytes), Mib(subscribed.rss_bytes),
      Mib(peak_rss), Mib(peak_rss - before.rss_bytes));
  row.figures["rss_growth_mib"] = Mib(peak_rss - before.rss_bytes);
  return row;
}

absl::StatusOr<Row> RunFortunes(const Targets& targets, int generators, int interval_ms) {
  absl::StatusOr<std::vector<std::string>> tokens =
      LoginUsers(targets.task_service, "bench-fortune", generators);
  if (!tokens.ok()) return tokens.status();
  const ProcessSample before = SampleProcesses({targets.fortune_pid});
  auto stubs = Stubs(targets.task_service, 4);
  v1::GenerateFortunesRequest request;
  request.set_interval_ms(interval_ms);
  request.set_clear_previous(true);
  std::vector<std::unique_ptr<Recorder<v1::Task>>> streams;
  const auto start = Clock::now();
  for (int i = 0; i < generators; ++i) {
    auto stream = std::make_unique<Recorder<v1::Task>>((*tokens)[i]);
    stubs[i % stubs.size()]->async()->GenerateFortunes(&stream->context, &request, stream.get());
    stream->Begin();
    streams.push_back(std::move(stream));
  }
  absl::SleepFor(targets.duration);
  const auto end = Clock::now();
  const ProcessSample after = SampleProcesses({targets.fortune_pid});
  for (auto& stream : streams) stream->context.TryCancel();
  for (auto& stream : streams) stream->done.WaitForNotification();

  std::vector<uint32_t> gaps;
  uint64_t fortunes = 0;
  uint64_t late = 0;
  std::string first_error;
  for (auto& stream : streams) {
    std::lock_guard lock(stream->mutex);
    fortunes += stream->arrivals.size();
    for (size_t k = 1; k < stream->arrivals.size(); ++k) {
      const auto gap = std::chrono::duration_cast<std::chrono::microseconds>(
          stream->arrivals[k].second - stream->arrivals[k - 1].second);
      gaps.push_back(static_cast<uint32_t>(gap.count()));
      if (gap.count() > int64_t{2} * interval_ms * 1000) ++late;
    }
    if (stream->status.error_code() != grpc::StatusCode::CANCELLED && first_error.empty()) {
      first_error = stream->status.error_message();
    }
  }
  const double seconds = std::chrono::duration<double>(end - start).count();
  Row row;
  row.scenario = "fortunes";
  row.clients = generators;
  row.ops_per_second = static_cast<double>(fortunes) / seconds;
  row.latency = Summarize(gaps);
  row.errors = first_error.empty() ? 0 : 1;
  row.first_error = first_error;
  row.server_rss_mib = Mib(after.rss_bytes);
  row.server_cpu_percent = 100.0 * (after.cpu_seconds - before.cpu_seconds) / seconds;
  row.note = absl::StrFormat(
      "latency columns are gaps between fortunes (interval %d ms); %d of %d gaps over 2x",
      interval_ms, late, gaps.size());
  return row;
}

}  // namespace taskgres::bench
