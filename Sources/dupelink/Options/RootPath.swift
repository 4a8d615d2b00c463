import Glibc

/// Roots as the scan keeps them: absolute, without `.` components or repeated slashes.
enum RootPath {
    /// `path` made absolute: a relative one is put after the working directory (which `getcwd`
    /// gives without symbolic links); `.` components and repeated slashes are dropped, which
    /// changes nothing about what is named. A path with a `..` component is resolved with
    /// `realpath` instead, since `a/link/..` need not be `a`; one that cannot be resolved is kept
    /// as given, and the walk reports why it cannot be scanned.
    static func absolute(_ path: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        var full = path
        if path.first != slash {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            guard getcwd(&buffer, buffer.count) != nil else { return path }
            full = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) } + [slash] + path
        }
        let components = full.split(separator: slash, omittingEmptySubsequences: true)
        if components.contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) {
            let cPath = full.cString
            guard let resolved = realpath(cPath, nil) else { return path }
            defer { free(resolved) }
            return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
        }
        let kept = components.filter { !$0.elementsEqual([0x2E]) }
        return kept.isEmpty ? [slash] : kept.flatMap { [slash] + $0 }
    }
}
