extension DupelinkError.Code {
    /// Two identical files could not be linked together (different filesystems, owners or
    /// permissions); both were left as they are.
    public static let refused = DupelinkError.Code("refused")
    /// The link plan does not fit the scan it is executed with.
    public static let planMismatch = DupelinkError.Code("plan-mismatch")
}
