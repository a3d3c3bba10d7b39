// This file implements the SIGINT/SIGTERM/SIGUSR1 stop flag (see stop_signal.hpp).
#include "util/stop_signal.hpp"

#include <atomic>
#include <csignal>

namespace hwnas {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal) {
  g_signal.store(signal);
  g_stop.store(true);
  std::signal(signal, SIG_DFL);  // a second signal terminates at once
}

}  // namespace

void install_stop_signal_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // mpirun kills a job soon after forwarding SIGTERM, but passes SIGUSR1 on and waits:
  // batch scripts ask for it before the wall time (docs/hpc.md).
  std::signal(SIGUSR1, on_stop_signal);
}

bool stop_requested() { return g_stop.load(); }
void throw_if_stop_requested() {
  if (g_stop.load()) throw StopRequested();
}
int stop_signal_number() { return g_signal.load(); }
void request_stop() { g_stop.store(true); }
void reset_stop_request() {
  g_stop.store(false);
  g_signal.store(0);
}

}  // namespace hwnas
