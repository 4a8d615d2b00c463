import CXXHash

/// Streaming XXH3-128 over libxxhash's runtime-dispatched entry points, which pick the widest
/// vector unit the processor has (about three times the plain entry points' speed here).
///
/// One hasher per worker thread, reset for each file; it is not thread-safe.
package struct XXH3Hasher: ~Copyable {
    private let state: OpaquePointer

    /// Creates a hasher in its initial state.
    package init() {
        // XXH3_createState only fails when malloc does; nothing sensible can go on then.
        guard let state = XXH3_createState() else { fatalError("out of memory creating an XXH3 state") }
        self.state = state
        XXH3_128bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    /// Starts a new digest.
    package mutating func reset() { XXH3_128bits_reset(state) }

    /// Adds bytes to the digest.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = XXH3_128bits_update_dispatch(state, base, bytes.count)
    }

    /// The digest of everything added since the last reset.
    package func finalize() -> Digest {
        Digest(XXH3_128bits_digest(state))
    }

    /// The digest of one buffer.
    package static func digest(_ bytes: UnsafeRawBufferPointer) -> Digest {
        Digest(XXH3_128bits_dispatch(bytes.baseAddress, bytes.count))
    }
}

extension Digest {
    init(_ hash: XXH128_hash_t) {
        self.init(high: hash.high64, low: hash.low64)
    }
}
