/// The pipeline's use of the catalog's digest cache during one scan: one bulk lookup before the
/// head/tail stage, one bulk store after the content stage, both on the scanning thread.
struct DigestCacheSession {
    private let catalog: Catalog?
    private var identities = FilesystemIdentities()
    /// Head/tail digests found in the catalog, by inode, with the status they were found for.
    private var cached: [FileID: CachedDigests] = [:]

    init(catalog: Catalog?, table: PathTable) {
        self.catalog = catalog
        if catalog != nil { identities.resolve(table) }
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

    /// Stores the head/tail digests read in this scan, and the full digest of every member of a
    /// class (each was compared byte for byte), in one transaction.
    mutating func store(
        headTail computed: [(status: FileStatus, digest: Digest)], known: [FileID: Digest], classes: [DuplicateClass],
        diagnostics: inout [Diagnostic]
    ) {
        guard let catalog else { return }
        var entries: [FileID: DigestEntry] = [:]
        for (status, digest) in computed {
            guard let filesystem = identities.identity(ofDevice: status.id.device) else { continue }
            let full = HeadTailStage.coversWholeFile(size: status.size) ? digest : nil
            entries[status.id] = DigestEntry(filesystem: filesystem, status: status,
                digests: CachedDigests(headTail: digest, full: full))
        }
        for duplicateClass in classes {
            guard let full = duplicateClass.digest else { continue }
            for member in duplicateClass.members {
                guard let filesystem = identities.identity(ofDevice: member.id.device),
                    let headTail = known[member.id] ?? entries[member.id]?.digests.headTail
                else { continue }
                if cached[member.id]?.full == full && entries[member.id] == nil { continue }
                entries[member.id] = DigestEntry(filesystem: filesystem, status: member.status,
                    digests: CachedDigests(headTail: headTail, full: full))
            }
        }
        if entries.isEmpty { return }
        do {
            try catalog.store(Array(entries.values))
        } catch {
            diagnostics.append(Diagnostic(.catalog, error))
        }
    }
}
