// This file implements the stop request raised by SIGINT / SIGTERM / SIGUSR1: long work polls
// stop_requested() between units (candidates, epochs) and winds down cleanly.
#pragma once

namespace hwnas {

/// Installs handlers for SIGINT, SIGTERM and SIGUSR1 that set the stop flag. A second signal
/// restores the default action, so pressing Ctrl-C twice still kills a stuck process.
void install_stop_signal_handlers();
bool stop_requested();
/// For tests and programmatic stops.
void request_stop();
void reset_stop_request();

}  // namespace hwnas
