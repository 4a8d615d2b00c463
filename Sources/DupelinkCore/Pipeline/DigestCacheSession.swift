/// The pipeline's use of the catalog during one scan: one bulk lookup before the head/tail stage,
/// the decision of what the content stage must still read, and one bulk store at the end, all on
/// the scanning thread.
///
/// Files whose fingerprints match their rows are trusted for what the catalog knows of them: their
/// head/tail digest, their full digest, and their content group (files compared byte for byte and
/// found identical). Files in one content group are identical without being read again; files in
/// different groups with different full digests differ; anything else is read.
struct DigestCacheSession {
    private let catalog: Catalog?
    private var identities = FilesystemIdentities()
    /// What the catalog still trusts, by inode.
    private var cached: [FileID: CachedDigests] = [:]

    init(catalog: Catalog?, table: PathTable) {
        self.catalog = catalog
        if catalog != nil { identities.resolve(table) }
    }

    /// The content stage's work after the catalog had its say.
    struct ContentPlan {
        /// One group of files to read and compare.
        struct Job {
            /// The files to read.
            var members: [Member]
            /// For a file read on behalf of its content group, the other members of that group.
            var stands: [FileID: [Member]] = [:]
            /// The whole head/tail group the job came from, to read in full if a file that stands
            /// for others cannot be read.
            var headTailGroup: [Member]
        }
        /// Groups of files that must be read and compared.
        var jobs: [Job] = []
        /// Partitions the catalog settles without reading.
        var settled: [(digest: Digest, members: [Member])] = []
    }

    /// The head/tail digests the catalog still trusts for the members of `groups`, by inode.
    mutating func headTailDigests(for groups: [[Member]], diagnostics: inout [Diagnostic]) -> [FileID: Digest] {
        guard let catalog else { return [:] }
        let statuses = groups.flatMap { $0.map(\.status) }
        do {
            let hits = try catalog.cachedDigests(for: statuses, filesystems: identities)
            var known: [FileID: Digest] = [:]
            for (status, hit) in zip(statuses, hits) {
                guard let hit else { continue }
                known[status.id] = hit.headTail
                cached[status.id] = hit
            }
            return known
        } catch {
            diagnostics.append(Diagnostic(.catalog, error))
            return [:]
        }
    }

    /// Decides which of the head/tail survivors must be read. A content group of the catalog is
    /// represented by one of its members; a group alone with its full digest needs no reading.
    func plan(_ groups: [[Member]]) -> ContentPlan {
        var plan = ContentPlan()
        for members in groups {
            var unknown: [Member] = []
            var byGroup: [Int64: [Member]] = [:]
            var digestOfGroup: [Int64: Digest] = [:]
            for member in members {
                if let hit = cached[member.id], let group = hit.contentGroup, let full = hit.full {
                    byGroup[group, default: []].append(member)
                    digestOfGroup[group] = full
                } else {
                    unknown.append(member)
                }
            }
            var job = ContentPlan.Job(members: unknown, headTailGroup: members)
            var groupsByDigest: [Digest: [Int64]] = [:]
            for group in byGroup.keys.sorted() {
                guard let digest = digestOfGroup[group] else { continue }
                groupsByDigest[digest, default: []].append(group)
            }
            for (digest, groupIDs) in groupsByDigest {
                if unknown.isEmpty && groupIDs.count == 1, let only = byGroup[groupIDs[0]] {
                    plan.settled.append((digest, only))
                    continue
                }
                // New files, or groups never compared with each other: one member reads for its group.
                for group in groupIDs {
                    guard let groupMembers = byGroup[group] else { continue }
                    job.members.append(groupMembers[0])
                    job.stands[groupMembers[0].id] = Array(groupMembers.dropFirst())
                }
            }
            if !job.members.isEmpty { plan.jobs.append(job) }
        }
        return plan
    }

    /// Stores the head/tail digests read in this scan, and for every partition the content stage
    /// read, the full digest and content group of its members, in one transaction.
    mutating func store(
        headTail computed: [(status: FileStatus, digest: Digest)], known: [FileID: Digest],
        readPartitions: [(digest: Digest, members: [Member])], diagnostics: inout [Diagnostic]
    ) {
        guard let catalog else { return }
        var headTailOf = known
        var entries: [DigestEntry] = []
        for (status, digest) in computed {
            headTailOf[status.id] = digest
            guard let filesystem = identities.identity(ofDevice: status.id.device) else { continue }
            entries.append(DigestEntry(filesystem: filesystem, status: status, digests: CachedDigests(headTail: digest)))
        }
        var groups: [[DigestEntry]] = []
        for (full, members) in readPartitions {
            let group = members.compactMap { member -> DigestEntry? in
                guard let filesystem = identities.identity(ofDevice: member.id.device),
                    let headTail = headTailOf[member.id]
                else { return nil }
                return DigestEntry(filesystem: filesystem, status: member.status,
                    digests: CachedDigests(headTail: headTail, full: full))
            }
            if !group.isEmpty { groups.append(group) }
        }
        do {
            try catalog.store(entries, identicalGroups: groups)
        } catch {
            diagnostics.append(Diagnostic(.catalog, error))
        }
    }
}
