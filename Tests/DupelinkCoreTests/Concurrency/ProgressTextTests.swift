import Testing

@_spi(Stages) @testable import DupelinkCore

/// The progress line says, for each stage, what is done of what is known, the rate and, once it
/// has a basis, the time left.
@Suite struct ProgressTextTests {
    func reading(_ stage: ScanProgress.Stage, files: Int = 0, bytes: Int64 = 0, done: Int = 0, total: Int = 0, elapsed: Double)
        -> ProgressText.Reading
    {
        ProgressText.Reading(stage: stage, filesWalked: files, bytesRead: bytes, jobsDone: done, jobsTotal: total, elapsed: elapsed)
    }

    @Test func eachStageSaysWhatIsDoneTheRateAndTheTimeLeft() {
        #expect(ProgressText.line(reading(.walk, files: 120_000, elapsed: 3)) == "walking: 120000 files (40000 files/s)")
        #expect(ProgressText.line(reading(.walk, files: 500, elapsed: 0.2)) == "walking: 500 files", "no rate before a second")
        #expect(
            ProgressText.line(reading(.content, bytes: 3 << 30, done: 1_000, total: 4_000, elapsed: 10))
                == "comparing: 1000/4000 groups, 3.0 GiB read (307 MiB/s), about 0:30 left")
        #expect(
            ProgressText.line(reading(.headTail, bytes: 1 << 20, done: 10, total: 40, elapsed: 1))
                == "reading heads and tails: 10/40 files, 1.0 MiB read (1.0 MiB/s), about 0:03 left")
        #expect(ProgressText.line(reading(.link, done: 1, total: 3_601, elapsed: 1)) == "linking: 1/3601, about 1:00:00 left")
        #expect(ProgressText.line(reading(.link, done: 0, total: 10, elapsed: 5)) == "linking: 0/10", "no basis yet")
        #expect(ProgressText.line(reading(.done, elapsed: 9)) == "")
    }
}
