/// What the walk includes.
public struct WalkOptions: Sendable, Hashable {
    /// Stay on the filesystem of each root: do not enter directories on other devices.
    public var oneFileSystem = false
    /// The smallest file size considered, in bytes. The default, 1, leaves out empty files, which are
    /// never worth linking.
    public var minimumSize: Int64 = 1
    /// The largest file size considered, in bytes, or nil for no limit.
    public var maximumSize: Int64? = nil
    /// Shell glob patterns (`fnmatch`) for names to leave out. A pattern without `/` is matched
    /// against each file and directory name; a pattern with `/` against the whole path. An excluded
    /// directory is not entered.
    public var excludes: [String] = []
    /// Whether names starting with `.` are included (roots are always included).
    public var includeHidden = true
    /// Creates the default options.
    public init() {}
}
