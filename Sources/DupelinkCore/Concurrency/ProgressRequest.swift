import CLinux

/// SIGUSR1: a request for one progress line, noted by an async-signal-safe handler and taken by
/// the thread that draws progress (as `dd` prints its counters on SIGUSR1).
package enum ProgressRequest {
    /// Installs the handler; before it, SIGUSR1 would end the process.
    package static func installHandler() { dl_install_progress_handler() }

    /// Whether SIGUSR1 arrived since the last call.
    package static func take() -> Bool { dl_take_progress_request() != 0 }
}
