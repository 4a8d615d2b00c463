import Glibc
import SystemPackage

/// The second narrowing: a digest of each candidate's first and last block splits most groups of
/// same-size files that differ, at the cost of one or two small reads per file.
///
/// Files of up to `wholeFileLimit` bytes are read and digested whole: for them the digest is the
/// full XXH3-128, so only true duplicates survive.
public enum HeadTailStage {
    /// The size of the head and of the tail block.
    public static let blockSize = 4096
    /// Files up to this size are digested whole in this stage.
    public static let wholeFileLimit: Int64 = 16 * 1024

    /// What reading one file gave.
    enum Outcome: Sendable {
        case digest(Digest, FileStatus, bytesRead: Int)
        case failed(DupelinkError)
    }

    /// Whether the head/tail digest of a file of `size` bytes is its full digest.
    public static func coversWholeFile(size: Int64) -> Bool { size <= wholeFileLimit }

    /// Reads the head and tail of every member of every group on the pool, and returns the
    /// groups split by digest, singletons dropped.
    ///
    /// `known` supplies digests already known (from the catalog) by inode; those files are not read.
    /// The digests of the files that were read are appended to `computed`, for the catalog.
    /// Touches the disk: reads files, changes nothing.
    /// - Throws: `DupelinkError(.cancelled)` when a stop was requested.
    static func split(
        _ groups: [[Member]], opener: FileOpener, pool: WorkerPool, known: [FileID: Digest] = [:],
        progress: ScanProgress?, statistics: inout ScanStatistics, diagnostics: inout [Diagnostic],
        computed: inout [(status: FileStatus, digest: Digest)]
    ) throws(DupelinkError) -> [(members: [Member], digest: Digest)] {
        // One job per inode that needs reading, in inode order so a disk reads roughly in layout order.
        var jobs: [(group: Int, member: Int)] = []
        for (g, group) in groups.enumerated() {
            for (m, member) in group.enumerated() where known[member.id] == nil { jobs.append((g, m)) }
        }
        // Directory by directory (a worker keeps its last directory open), inode order within one.
        let directoryOf = { (job: (group: Int, member: Int)) in opener.files[Int(groups[job.group][job.member].names[0])].directory }
        jobs.sort {
            let (left, right) = (directoryOf($0), directoryOf($1))
            return left != right ? left < right : groups[$0.group][$0.member].id < groups[$1.group][$1.member].id
        }
        progress?.begin(.headTail, jobs: jobs.count)
        let jobList = jobs
        let outcomes = try pool.map(
            count: jobList.count,
            makeState: { ReadBuffers(count: 1, capacity: Int(wholeFileLimit)) },
            { index, buffers in
                let job = jobList[index]
                let member = groups[job.group][job.member]
                let outcome = digest(member, opener: opener, buffers: buffers)
                if case .digest(_, _, let bytes) = outcome { progress?.addBytesRead(bytes) }
                progress?.jobFinished()
                return outcome
            })
        var digests: [FileID: Digest] = known
        for (job, outcome) in zip(jobList, outcomes) {
            switch outcome {
            case .digest(let digest, let status, let bytes):
                digests[groups[job.group][job.member].id] = digest
                computed.append((status, digest))
                statistics.bytesReadHeadTail += Int64(bytes)
            case .failed(let error):
                diagnostics.append(Diagnostic(.hash, error))
            }
        }
        var result: [(members: [Member], digest: Digest)] = []
        for group in groups {
            var byDigest: [Digest: [Member]] = [:]
            for member in group {
                if let digest = digests[member.id] { byDigest[digest, default: []].append(member) }
            }
            for (digest, members) in byDigest where members.count > 1 { result.append((members, digest)) }
        }
        return result
    }

    /// Reads and digests one file's head and tail (or all of it when small).
    static func digest(_ member: Member, opener: FileOpener, buffers: ReadBuffers) -> Outcome {
        let (descriptor, status): (FileDescriptor, FileStatus)
        do {
            (descriptor, status) = try opener.open(member.names[0], directories: buffers.directories)
        } catch {
            return .failed(error)
        }
        defer { Syscalls.closeQuietly(descriptor) }
        let path = { opener.table.path(ofFile: opener.files[Int(member.names[0])]) }
        let size = status.size
        do {
            let hasher = buffers.hasher(0)
            if coversWholeFile(size: size) {
                let buffer = buffers.buffer(0, length: Int(size))
                let count = try Syscalls.read(descriptor, at: 0, into: buffer)
                guard count == Int(size) else {
                    return .failed(DupelinkError(.fileChanged, path: path(), detail: "shrank while being read"))
                }
                return .digest(XXH3Hasher.digest(UnsafeRawBufferPointer(buffer)), status, bytesRead: count)
            }
            hasher.hasher.reset()
            let head = buffers.buffer(0, length: blockSize)
            var count = try Syscalls.read(descriptor, at: 0, into: head)
            hasher.hasher.update(UnsafeRawBufferPointer(head))
            count += try Syscalls.read(descriptor, at: size - Int64(blockSize), into: head)
            hasher.hasher.update(UnsafeRawBufferPointer(head))
            guard count == 2 * blockSize else {
                return .failed(DupelinkError(.fileChanged, path: path(), detail: "shrank while being read"))
            }
            return .digest(hasher.hasher.finalize(), status, bytesRead: count)
        } catch {
            return .failed(DupelinkError(.ioError, path: path(), errno: error, operation: "read"))
        }
    }
}
