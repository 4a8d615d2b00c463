import Foundation
import Testing

@_spi(Stages) @testable import DupelinkCore

@Suite("Digest cache")
struct CatalogDigestCacheTests {
    let disk = FilesystemID(rawValue: "uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    let other = FilesystemID(rawValue: "fsid:00000000deadbeef")

    @Test func storedDigestsComeBackForUnchangedFiles() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let withFull = makeStatus(inode: 11)
        let withoutFull = makeStatus(inode: 12, size: 1 << 40)
        let neverStored = makeStatus(inode: 13)
        // Inode and digest halves above Int64.max must survive the trip through signed columns.
        let bigInode = makeStatus(inode: UInt64.max - 1)
        try catalog.store([
            DigestEntry(
                filesystem: disk, status: withFull,
                digests: CachedDigests(headTail: makeDigest(1), full: makeDigest(2))),
            DigestEntry(filesystem: disk, status: withoutFull, digests: CachedDigests(headTail: makeDigest(3))),
            DigestEntry(
                filesystem: disk, status: bigInode,
                digests: CachedDigests(headTail: Digest(high: .max, low: 1 << 63), full: Digest(high: 0, low: .max))),
        ])

        // Out of key order, one inode asked twice: results still follow the input.
        let found = try catalog.cachedDigests(
            for: [neverStored, withoutFull, withFull, bigInode, withoutFull], filesystems: identities([(2049, disk)]))

        #expect(
            found == [
                nil,
                CachedDigests(headTail: makeDigest(3)),
                CachedDigests(headTail: makeDigest(1), full: makeDigest(2)),
                CachedDigests(headTail: Digest(high: .max, low: 1 << 63), full: Digest(high: 0, low: .max)),
                CachedDigests(headTail: makeDigest(3)),
            ])
    }

    @Test(arguments: ["size", "modificationTime", "changeTime"])
    func staleFingerprintIsRefused(changed field: String) throws {
        let catalog = try Catalog.inMemory()
        let stored = makeStatus(inode: 42)
        try catalog.store([
            DigestEntry(filesystem: disk, status: stored, digests: CachedDigests(headTail: makeDigest(4), full: makeDigest(5)))
        ])
        var now = stored
        switch field {
        case "size": now.size += 1
        case "modificationTime": now.modificationTime += 1
        default: now.changeTime += 1
        }

        let found = try catalog.cachedDigests(for: [now, stored], filesystems: identities([(2049, disk)]))

        #expect(found[0] == nil)
        // The unchanged fingerprint still finds it, so the nil above is the refusal, not a miss.
        #expect(found[1] == CachedDigests(headTail: makeDigest(4), full: makeDigest(5)))
    }

    /// The lookup steps through the rows beside the sorted inodes and searches again when it falls
    /// far behind: rows asked for densely, sparsely, past the last row, and on two
    /// filesystems must all be found, and no row of the other filesystem.
    @Test func lookupsDenseSparseAndAcrossFilesystemsFindExactlyTheStoredRows() throws {
        let catalog = try Catalog.inMemory()
        var entries: [DigestEntry] = []
        for inode in stride(from: UInt64(10), through: 3000, by: 10) {
            entries.append(DigestEntry(filesystem: disk, status: makeStatus(inode: inode),
                digests: CachedDigests(headTail: makeDigest(inode))))
            entries.append(DigestEntry(filesystem: other, status: makeStatus(device: 64, inode: inode + 5),
                digests: CachedDigests(headTail: makeDigest(inode + 5))))
        }
        try catalog.store(entries)
        // Dense runs, gaps of hundreds of rows, inodes between rows, and past the end.
        let asked: [UInt64] = [10, 20, 30, 40, 50, 55, 60, 1500, 1510, 1511, 2990, 3000, 3010, 5, 2000, 2010, 990]
        var statuses = asked.map { makeStatus(inode: $0) }
        statuses += asked.map { makeStatus(device: 64, inode: $0 + 5) }

        let found = try catalog.cachedDigests(for: statuses, filesystems: identities([(2049, disk), (64, other)]))

        for (status, hit) in zip(statuses, found) {
            let inode = status.id.inode
            let stored = status.id.device == 64 ? (inode - 5) % 10 == 0 && inode - 5 >= 10 && inode - 5 <= 3000
                : inode % 10 == 0 && inode >= 10 && inode <= 3000
            #expect(hit == (stored ? CachedDigests(headTail: makeDigest(inode)) : nil), "device \(status.id.device) inode \(inode)")
        }
    }

    @Test func sameInodeOnAnotherFilesystemIsNotFound() throws {
        let catalog = try Catalog.inMemory()
        let status = makeStatus(inode: 7)
        try catalog.store([DigestEntry(filesystem: disk, status: status, digests: CachedDigests(headTail: makeDigest(6)))])
        var elsewhere = status
        elsewhere.id.device = 64

        let found = try catalog.cachedDigests(
            for: [elsewhere, status, makeStatus(device: 99, inode: 7)],
            filesystems: identities([(2049, disk), (64, other)]))

        // Device 99 was never resolved: nothing can be trusted for it.
        #expect(found == [nil, CachedDigests(headTail: makeDigest(6)), nil])
    }

    @Test func storeReplacesAnInodeAndKeepsTheFullDigestOnlyForTheSameFingerprint() throws {
        let catalog = try Catalog.inMemory()
        let first = makeStatus(inode: 8)
        try catalog.store([
            DigestEntry(filesystem: disk, status: first, digests: CachedDigests(headTail: makeDigest(1), full: makeDigest(2)))
        ])
        // Same fingerprint, head/tail only (a later run that did not need the full digest).
        try catalog.store([DigestEntry(filesystem: disk, status: first, digests: CachedDigests(headTail: makeDigest(1)))])
        let known = identities([(2049, disk)])
        #expect(try catalog.cachedDigests(for: [first], filesystems: known) == [CachedDigests(headTail: makeDigest(1), full: makeDigest(2))])

        // The file changed: the old full digest must not survive.
        var changed = first
        changed.changeTime += 10
        try catalog.store([DigestEntry(filesystem: disk, status: changed, digests: CachedDigests(headTail: makeDigest(9)))])

        #expect(try catalog.cachedDigests(for: [first, changed], filesystems: known) == [nil, CachedDigests(headTail: makeDigest(9))])
        #expect(try catalog.info().digestCount == 1)
    }

    @Test func pruneForgetsVanishedAndChangedInodesOnlyOnTheWalkedFilesystems() throws {
        let catalog = try Catalog.inMemory()
        let kept = makeStatus(inode: 1)
        let changed = makeStatus(inode: 2)
        let vanished = makeStatus(inode: 3)
        let elsewhere = makeStatus(device: 64, inode: 3)
        try catalog.store([
            DigestEntry(filesystem: disk, status: kept, digests: CachedDigests(headTail: makeDigest(1))),
            DigestEntry(filesystem: disk, status: changed, digests: CachedDigests(headTail: makeDigest(2))),
            DigestEntry(filesystem: disk, status: vanished, digests: CachedDigests(headTail: makeDigest(3))),
            DigestEntry(filesystem: other, status: elsewhere, digests: CachedDigests(headTail: makeDigest(4))),
        ])
        var changedNow = changed
        changedNow.changeTime += 1

        // Only `disk` was walked: `other` must be left alone.
        let removed = try catalog.pruneDigests(existing: [kept, changedNow], filesystems: identities([(2049, disk)]))

        #expect(removed == 2)
        let found = try catalog.cachedDigests(
            for: [kept, changed, vanished, elsewhere], filesystems: identities([(2049, disk), (64, other)]))
        #expect(found == [CachedDigests(headTail: makeDigest(1)), nil, nil, CachedDigests(headTail: makeDigest(4))])
    }

    @Test func pruneByAgeForgetsOnlyOlderRows() throws {
        let catalog = try Catalog.inMemory()
        let status = makeStatus(inode: 1)
        try catalog.store([DigestEntry(filesystem: disk, status: status, digests: CachedDigests(headTail: makeDigest(1)))])
        let now = Int64(Date().timeIntervalSince1970)

        #expect(try catalog.pruneDigests(storedBefore: now - 3600) == 0)
        #expect(try catalog.info().digestCount == 1)
        #expect(try catalog.pruneDigests(storedBefore: now + 3600) == 1)
        #expect(try catalog.info().digestCount == 0)
        #expect(try catalog.info().filesystemCount == 0)
    }

    @Test func twoConnectionsToOneFileSeeEachOthersWrites() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("catalog.sqlite")
        let first = try Catalog.open(at: path)
        let second = try Catalog.open(at: path)
        let a = makeStatus(inode: 1)
        let b = makeStatus(inode: 2)

        try first.store([DigestEntry(filesystem: disk, status: a, digests: CachedDigests(headTail: makeDigest(1)))])
        try second.store([DigestEntry(filesystem: disk, status: b, digests: CachedDigests(headTail: makeDigest(2)))])

        let known = identities([(2049, disk)])
        #expect(try first.cachedDigests(for: [a, b], filesystems: known) == [CachedDigests(headTail: makeDigest(1)), CachedDigests(headTail: makeDigest(2))])
        #expect(try second.cachedDigests(for: [a, b], filesystems: known) == [CachedDigests(headTail: makeDigest(1)), CachedDigests(headTail: makeDigest(2))])
    }

    @Test func aClosedCatalogReportsACatalogErrorInsteadOfCrashing() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        try catalog.close()

        let error = #expect(throws: DupelinkError.self) {
            try catalog.store([DigestEntry(filesystem: disk, status: makeStatus(inode: 1), digests: CachedDigests(headTail: makeDigest(1)))])
        }
        #expect(error?.code == .catalog)
        // Closing folded the log into the database.
        #expect(!fileExists(folder.child("catalog.sqlite-wal")))
    }

    /// Prints the throughput of the two bulk paths; checks every row, times nothing.
    @Test func bulkStoreAndLookupOf100000Rows() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog.open(at: folder.child("catalog.sqlite"))
        let count = 100_000
        var statuses: [FileStatus] = []
        var entries: [DigestEntry] = []
        for index in 0..<count {
            // Inode numbers in no particular order, as a walk meets them.
            let inode = (UInt64(index) &* 2_654_435_761) % 1_000_000_007
            let status = makeStatus(inode: inode, size: Int64(4096 + index))
            let seed = UInt64(index)
            let full: Digest? = index.isMultiple(of: 3) ? makeDigest(seed << 1) : nil
            statuses.append(status)
            entries.append(
                DigestEntry(filesystem: disk, status: status, digests: CachedDigests(headTail: makeDigest(seed), full: full)))
        }
        let known = identities([(2049, disk)])

        let clock = ContinuousClock()
        let storeTime = try clock.measure { try catalog.store(entries) }
        let updateTime = try clock.measure { try catalog.store(entries) }
        var found: [CachedDigests?] = []
        let lookupTime = try clock.measure { found = try catalog.cachedDigests(for: statuses, filesystems: known) }

        #expect(found.count == count)
        #expect(found.enumerated().allSatisfy { index, digests in digests == entries[index].digests })
        func rate(_ duration: Duration) -> Int {
            let (seconds, attoseconds) = duration.components
            let total = Double(seconds) + Double(attoseconds) / 1e18
            return Int(Double(count) / total)
        }
        print(
            "catalog bulk: store \(rate(storeTime)) rows/s (\(storeTime)), upsert again \(rate(updateTime)) rows/s, lookup \(rate(lookupTime)) rows/s (\(lookupTime))"
        )
    }
}
