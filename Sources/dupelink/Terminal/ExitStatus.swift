import ArgumentParser

/// The exit statuses dupelink documents (in `--help`, the README and the man page).
///
/// When several apply, the first in this order wins: interrupted, failure, locked, partial,
/// nothing to do, success.
enum ExitStatus {
    /// Everything asked for was done: `scan` completed; `link` linked at least one name (or, with
    /// `--dry-run`, planned at least one); a `catalog` command did its work.
    static let success = ExitCode(0)
    /// Some files could not be read or linked (the warnings say which); the rest was done.
    static let partial = ExitCode(1)
    /// Nothing could be scanned, the catalog could not be used or was not trusted (another user
    /// could change it), the output could not be written, or an input file was unusable.
    static let failure = ExitCode(2)
    /// `link` found nothing to link: no duplicates, or every one refused. (`scan` exits 0 then.)
    static let nothingToDo = ExitCode(3)
    /// Another dupelink run holds the catalog, and `--wait` ran out.
    static let locked = ExitCode(4)
    /// The command line was wrong (swift-argument-parser's `ExitCode.validationFailure`).
    static let usage = ExitCode.validationFailure
    /// SIGINT or SIGTERM stopped the run after the replacement in progress was finished.
    static let interrupted = ExitCode(130)
}

/// A reason to stop the run: the message for standard error (printed as `dupelink: <message>`)
/// and the documented status to exit with.
struct CommandFailure: Error {
    /// The status to exit with.
    var status: ExitCode
    /// What went wrong and what to do, naming the file involved.
    var message: String
}
