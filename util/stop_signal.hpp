// This file implements the stop request raised by SIGINT / SIGTERM / SIGUSR1: long work polls
// stop_requested() between units (candidates, epochs) and winds down cleanly.
#pragma once

#include <stdexcept>

namespace hwnas {

/// Thrown from inside long loops (checking or sampling a large search space) when a stop was
/// requested: the unit of work in progress is abandoned and nothing of it is recorded.
class StopRequested : public std::runtime_error {
 public:
  StopRequested() : std::runtime_error("stop signal (SIGINT, SIGTERM or SIGUSR1)") {}
};

/// Installs handlers for SIGINT, SIGTERM and SIGUSR1 that set the stop flag. A second signal
/// restores the default action, so pressing Ctrl-C twice still kills a stuck process.
void install_stop_signal_handlers();
bool stop_requested();
/// @throws StopRequested when a stop was requested.
void throw_if_stop_requested();
/// The signal that requested the stop (0 when none did, or request_stop() was called).
int stop_signal_number();
/// For tests and programmatic stops.
void request_stop();
void reset_stop_request();

}  // namespace hwnas
