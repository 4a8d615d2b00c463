import ArgumentParser

/// The exit statuses dupelink documents (in `--help`, the README and the man page).
enum ExitStatus {
    /// Everything asked for was done.
    static let success = ExitCode(0)
    /// Some files could not be read or linked; the rest was done.
    static let partial = ExitCode(1)
    /// Nothing could be scanned, or the output could not be written.
    static let failure = ExitCode(2)
    /// The command line was wrong (swift-argument-parser's `ExitCode.validationFailure`).
    static let usage = ExitCode.validationFailure
    /// SIGINT or SIGTERM stopped the run after the replacement in progress was finished.
    static let interrupted = ExitCode(130)
}
