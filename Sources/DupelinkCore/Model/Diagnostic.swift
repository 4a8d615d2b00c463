import SystemPackage

/// A problem with one file or directory that did not stop the run: the file was left out.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// The stage that met the problem.
    public enum Stage: String, Sendable, Hashable, Codable {
        case walk, hash, compare, link, catalog
    }
    /// Where the problem was met.
    public var stage: Stage
    /// The error, with its path.
    public var error: DupelinkError

    /// Creates a diagnostic.
    public init(_ stage: Stage, _ error: DupelinkError) {
        self.stage = stage
        self.error = error
    }

    public var description: String { error.description }
}
