import DupelinkCore
import Glibc

/// SIGINT and SIGTERM, which ask a run to stop cleanly.
enum StopSignals {
    /// Installs the cancellation handlers, and unblocks the two signals in case the parent
    /// started dupelink with them blocked (a thread of a test runner or of a supervisor written
    /// with Dispatch does): blocked, a SIGTERM from systemd would go unseen until its SIGKILL.
    /// Threads created afterwards, the worker pool's included, inherit the unblocked mask.
    static func install() {
        Cancellation.installHandlers()
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
