#include "load_driver.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace taskgres::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Phase shared by all clients: 0 warm-up, 1 measuring, 2 stopping.
struct Phase {
  std::atomic<int> value{0};
};

struct ClientState {
  Clock::time_point started;
  std::vector<uint32_t> latencies_us;
  uint64_t ops = 0;
  uint64_t errors = 0;
};

uint32_t Micros(Clock::duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

void Merge(std::vector<ClientState>& clients, LoadOutcome& outcome) {
  for (ClientState& client : clients) {
    outcome.ops += client.ops;
    outcome.errors += client.errors;
    outcome.latencies_us.insert(outcome.latencies_us.end(), client.latencies_us.begin(),
                                client.latencies_us.end());
  }
}

}  // namespace

LoadOutcome RunAsync(AsyncOp& op, const LoadOptions& options) {
  Phase phase;
  std::vector<ClientState> clients(options.concurrency);
  std::atomic<int> running{options.concurrency};
  absl::Notification all_stopped;
  std::mutex error_mutex;
  std::string first_error;

  // Each client issues its next operation from the previous one's completion.
  struct Loop {
    static void Next(AsyncOp& op, int id, ClientState& state, Phase& phase,
                     std::atomic<int>& running, absl::Notification& all_stopped,
                     std::mutex& error_mutex, std::string& first_error) {
      if (phase.value.load(std::memory_order_acquire) == 2) {
        if (running.fetch_sub(1) == 1) all_stopped.Notify();
        return;
      }
      state.started = Clock::now();
      op.Issue(id, [&op, id, &state, &phase, &running, &all_stopped, &error_mutex, &first_error](
                       bool ok, const std::string& error) {
        if (phase.value.load(std::memory_order_acquire) == 1) {
          state.latencies_us.push_back(Micros(Clock::now() - state.started));
          ++state.ops;
          if (!ok) {
            ++state.errors;
            std::lock_guard lock(error_mutex);
            if (first_error.empty()) first_error = error;
          }
        }
        Next(op, id, state, phase, running, all_stopped, error_mutex, first_error);
      });
    }
  };
  for (int i = 0; i < options.concurrency; ++i) {
    Loop::Next(op, i, clients[i], phase, running, all_stopped, error_mutex, first_error);
  }
  absl::SleepFor(options.warmup);
  const auto start = Clock::now();
  phase.value.store(1, std::memory_order_release);
  absl::SleepFor(options.duration);
  phase.value.store(2, std::memory_order_release);
  const auto end = Clock::now();
  all_stopped.WaitForNotification();

  LoadOutcome outcome;
  outcome.seconds = std::chrono::duration<double>(end - start).count();
  Merge(clients, outcome);
  outcome.first_error = first_error;
  return outcome;
}

LoadOutcome RunBlocking(const std::function<std::unique_ptr<BlockingClient>(int)>& make_client,
                        const LoadOptions& options) {
  Phase phase;
  std::vector<ClientState> clients(options.concurrency);
  std::mutex mutex;
  std::string first_error;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < options.concurrency; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<BlockingClient> client = make_client(i);
      ++ready;
      ClientState& state = clients[i];
      std::string error;
      while (phase.value.load(std::memory_order_acquire) != 2) {
        if (client == nullptr) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        const auto started = Clock::now();
        const bool ok = client->RunOnce(&error);
        if (phase.value.load(std::memory_order_acquire) == 1) {
          state.latencies_us.push_back(Micros(Clock::now() - started));
          ++state.ops;
          if (!ok) {
            ++state.errors;
            std::lock_guard lock(mutex);
            if (first_error.empty()) first_error = error;
          }
        }
      }
      if (client == nullptr) {
        std::lock_guard lock(mutex);
        if (first_error.empty()) first_error = "a client could not connect";
        ++state.errors;
      }
    });
  }
  while (ready.load() < options.concurrency)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  absl::SleepFor(options.warmup);
  const auto start = Clock::now();
  phase.value.store(1, std::memory_order_release);
  absl::SleepFor(options.duration);
  phase.value.store(2, std::memory_order_release);
  const auto end = Clock::now();
  for (std::thread& thread : threads) thread.join();

  LoadOutcome outcome;
  outcome.seconds = std::chrono::duration<double>(end - start).count();
  Merge(clients, outcome);
  outcome.first_error = first_error;
  return outcome;
}

}  // namespace taskgres::bench
