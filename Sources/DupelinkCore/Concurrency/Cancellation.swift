import CLinux

/// Whether SIGINT or SIGTERM asked the run to stop.
///
/// The signal handler only records the signal; every stage checks this flag between jobs, and the
/// linker between replacements, so a replacement in progress is always finished or undone first.
package enum Cancellation {
    /// Installs the SIGINT and SIGTERM handlers. A second signal ends the process at once.
    package static func installHandlers() { dl_install_cancel_handlers() }

    /// Whether a stop was requested.
    package static var isRequested: Bool { dl_cancel_signal() != 0 }

    /// The signal that requested the stop, or 0.
    package static var signal: Int32 { dl_cancel_signal() }

    /// Forgets a recorded request (for tests and long-lived callers).
    package static func reset() { dl_reset_cancel() }
}
