extension DupelinkError.Code {
    /// Two identical files could not be linked together (different filesystems, owners or
    /// permissions); both were left as they are.
    public static let refused = DupelinkError.Code("refused")
    /// A file another program has open for writing was not linked: its later writes would go to
    /// an inode with no name left, or show under every name.
    public static let openForWriting = DupelinkError.Code("open-for-writing")
    /// The link plan does not fit the scan it is executed with.
    public static let planMismatch = DupelinkError.Code("plan-mismatch")
}
