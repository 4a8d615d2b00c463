import DupelinkCore
import Glibc

/// SIGINT and SIGTERM, which ask a run to stop cleanly; SIGUSR1, which asks for a progress line;
/// and SIGPIPE, which must not stop it at all.
enum StopSignals {
    /// Installs the cancellation handlers, and unblocks the two signals in case the parent
    /// started dupelink with them blocked (a thread of a test runner or of a supervisor written
    /// with Dispatch does): blocked, a SIGTERM from systemd would go unseen until its SIGKILL.
    /// Threads created afterwards, the worker pool's included, inherit the unblocked mask.
    ///
    /// SIGPIPE is ignored: a reader that closed the pipe early (`dupelink link | head -1`) makes a
    /// write fail with `EPIPE`, which ends the run like any output error (status 2, the summary
    /// line written, the journal closed), instead of killing it in the middle.
    ///
    /// SIGUSR1 asks for one progress line on standard error, terminal or not (as `dd` prints one).
    static func install() {
        signal(SIGPIPE, SIG_IGN)
        Cancellation.installHandlers()
        ProgressRequest.installHandler()
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGUSR1)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
