import DupelinkTestSupport
import Testing
@_spi(Stages) @testable import DupelinkCore

@Suite struct XXH3Tests {
    @Test func digestMatchesXXH128SumKnownAnswers() {
        // Known answers printed by `printf hello | xxh128sum` and `head -c 100000 /dev/zero | xxh128sum`.
        let hello = Array("hello".utf8).withUnsafeBytes { XXH3Hasher.digest($0) }
        #expect(hello.description == "b5e9c1ad071b3e7fc779cfaa5e523818")
        let zeros = [UInt8](repeating: 0, count: 100_000).withUnsafeBytes { XXH3Hasher.digest($0) }
        #expect(zeros.description == "e1f876364c6fec62315c72a64b7df4d2")
    }

    @Test func streamingInPiecesEqualsOneShot() {
        let bytes = patternBytes(count: 1_000_003, seed: 7)
        var hasher = XXH3Hasher()
        bytes.withUnsafeBytes { all in
            var offset = 0
            for piece in [1, 63, 4096, 100_000, 1 << 20] {
                let end = min(all.count, offset + piece)
                hasher.update(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
            #expect(offset == all.count)
            #expect(hasher.finalize() == XXH3Hasher.digest(all))
        }
    }

    @Test func digestHexRoundTrips() {
        let digest = Digest(high: 0x0123_4567_89AB_CDEF, low: 0xF)
        #expect(digest.description == "0123456789abcdef000000000000000f")
        #expect(Digest(hex: digest.description) == digest)
        #expect(Digest(hex: "xyz") == nil)
    }
}
