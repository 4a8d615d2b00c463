extension Collection<UInt8> {
    /// These bytes (a path or a name) as the NUL-terminated C string a system call takes: the one
    /// place bytes become `[CChar]`. A path never holds a NUL byte; one here would end the string
    /// early, so callers check names for NUL where they come from outside (reports, arguments).
    package var cString: [CChar] {
        [CChar](unsafeUninitializedCapacity: count + 1) { buffer, initialized in
            var index = 0
            for byte in self {
                buffer[index] = CChar(bitPattern: byte)
                index += 1
            }
            buffer[index] = 0
            initialized = index + 1
        }
    }
}
