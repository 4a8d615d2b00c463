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
    /// What the catalog still trusts of the inodes it has compared in full, by inode.
    private var compared: [FileID: (full: Digest, contentGroup: Int64)] = [:]

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
            /// The head/tail digest all of them share.
            var headTail: Digest
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

    /// The head/tail digests the catalog still trusts for the members of `groups`, one per member,
    /// group after group (nil for a member to read), or nil without a catalog.
    mutating func headTailDigests(for groups: [[Member]], diagnostics: inout [Diagnostic]) -> [Digest?]? {
        guard let catalog else { return nil }
        let statuses = groups.flatMap { $0.map(\.status) }
        do {
            let hits = try catalog.cachedDigests(for: statuses, filesystems: identities)
            var known: [Digest?] = []
            known.reserveCapacity(hits.count)
            for (status, hit) in zip(statuses, hits) {
                known.append(hit?.headTail)
                if let full = hit?.full, let group = hit?.contentGroup { compared[status.id] = (full, group) }
            }
            return known
        } catch {
            diagnostics.append(Diagnostic(.catalog, error))
            return nil
        }
    }

    /// Decides which of the head/tail survivors must be read. A content group of the catalog is
    /// represented by one of its members; a group alone with its full digest needs no reading.
    func plan(_ groups: [(members: [Member], digest: Digest)]) -> ContentPlan {
        var plan = ContentPlan()
        for (members, headTail) in groups {
            var unknown: [Member] = []
            var byGroup: [Int64: [Member]] = [:]
            var digestOfGroup: [Int64: Digest] = [:]
            for member in members {
                if let (full, group) = compared[member.id] {
                    byGroup[group, default: []].append(member)
                    digestOfGroup[group] = full
                } else {
                    unknown.append(member)
                }
            }
            var job = ContentPlan.Job(members: unknown, headTail: headTail, headTailGroup: members)
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
        headTail computed: [HeadTailStage.Computed], files: [FileRecord],
        readPartitions: [(full: Digest, headTail: Digest, members: [Member])], diagnostics: inout [Diagnostic]
    ) {
        guard let catalog else { return }
        var entries: [DigestEntry] = []
        entries.reserveCapacity(computed.count)
        for item in computed {
            // The open checked inode, size and mtime against the walk; the change time is the read's.
            var status = files[Int(item.file)].status
            status.changeTime = item.changeTime
            guard let filesystem = identities.identity(ofDevice: status.id.device) else { continue }
            entries.append(DigestEntry(filesystem: filesystem, status: status, digests: CachedDigests(headTail: item.digest)))
        }
        var groups: [[DigestEntry]] = []
        for (full, headTail, members) in readPartitions {
            let group = members.compactMap { member -> DigestEntry? in
                guard let filesystem = identities.identity(ofDevice: member.id.device) else { return nil }
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

    /// `classes` with the attributes the catalog still trusts filled in; the rest stay `unknown`,
    /// for the attribute stage to read.
    func knownAttributes(_ classes: [DuplicateClass], diagnostics: inout [Diagnostic]) -> [DuplicateClass] {
        guard let catalog else { return classes }
        let statuses = classes.flatMap { $0.members.map(\.status) }
        let hits: [FileAttributes?]
        do {
            hits = try catalog.cachedAttributes(for: statuses, filesystems: identities)
        } catch {
            diagnostics.append(Diagnostic(.catalog, error))
            return classes
        }
        var result = classes
        var index = 0
        for c in result.indices {
            for m in result[c].members.indices {
                if let hit = hits[index] { result[c].members[m].attributes = .read(hit) }
                index += 1
            }
        }
        return result
    }

    /// Stores the attributes the stage read (members of `read` that were `unknown` in `before`).
    func storeAttributes(before: [DuplicateClass], read: [DuplicateClass], diagnostics: inout [Diagnostic]) {
        guard let catalog else { return }
        var entries: [(filesystem: FilesystemID, status: FileStatus, attributes: FileAttributes)] = []
        for (old, new) in zip(before, read) {
            for (was, member) in zip(old.members, new.members) {
                guard case .unknown = was.attributes, case .read(let attributes) = member.attributes,
                    let filesystem = identities.identity(ofDevice: member.id.device)
                else { continue }
                entries.append((filesystem, member.status, attributes))
            }
        }
        do {
            try catalog.storeAttributes(entries)
        } catch {
            diagnostics.append(Diagnostic(.catalog, error))
        }
    }
}
