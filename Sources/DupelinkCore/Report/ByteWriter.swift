/// Collects output bytes and hands them on in large pieces, so a report of a million paths is
/// neither one huge allocation nor a million small writes.
public struct ByteWriter {
    private var buffer: [UInt8] = []
    private let sink: ([UInt8]) -> Void

    /// Creates a writer that calls `sink` with each full piece and at `flush()`.
    public init(sink: @escaping ([UInt8]) -> Void) {
        self.sink = sink
        buffer.reserveCapacity(1 << 16)
    }

    /// Appends raw bytes.
    public mutating func write<S: Sequence<UInt8>>(bytes: S) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Appends a string's UTF-8.
    public mutating func write(_ text: String) { write(bytes: text.utf8) }

    /// Hands on whatever is buffered.
    public mutating func flush() {
        if buffer.isEmpty { return }
        sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
