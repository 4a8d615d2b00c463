import Glibc

/// The command line's exact bytes.
///
/// Swift decodes arguments as UTF-8, replacing bytes that are not with U+FFFD, so a root whose name
/// is not UTF-8 would be lost. This finds the raw argument that decodes to the parsed string.
enum RawArguments {
    static func bytes(for argument: String) -> [UInt8] {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let raw = UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if String(decoding: raw, as: UTF8.self) == argument { return Array(raw) }
        }
        return Array(argument.utf8)
    }
}
