extension ScanRun {
    /// Reads what the head/tail stage left in full, comparing byte for byte while computing full
    /// digests (`ContentComparer`), where the catalog cannot settle it; returns the duplicate
    /// classes.
    mutating func content(_ byHeadTail: [(members: [Member], digest: Digest)]) throws(DupelinkError) -> [DuplicateClass] {
        let content = cache.plan(byHeadTail)
        let sizeOfJob = { (job: Int) in content.jobs[job].members[0].status.size }
        var compared = try comparer.partitions(
            content.jobs.map(\.members), size: sizeOfJob, opener: opener, pool: readers, progress: progress)
        // A file read on behalf of its content group that could not be read (vanished, changed)
        // vouches for nobody: its whole head/tail group is read and compared again.
        let retried = content.jobs.indices.filter { job in
            let read = Set(compared[job].partitions.flatMap { $0.members.map(\.id) })
            return content.jobs[job].stands.keys.contains { !read.contains($0) }
        }
        if !retried.isEmpty {
            let again = try comparer.partitions(
                retried.map { content.jobs[$0].headTailGroup }, size: { sizeOfJob(retried[$0]) }, opener: opener,
                pool: readers, progress: progress)
            for (position, job) in retried.enumerated() { compared[job] = again[position] }
        }
        var expanded: [(digest: Digest, members: [Member])] = []
        for (job, result) in compared.enumerated() {
            readPartitions += result.partitions.map { ($0.digest, content.jobs[job].headTail, $0.members) }
            statistics.bytesReadContent += result.bytesRead
            diagnostics.append(contentsOf: result.failures.map { Diagnostic(.compare, $0) })
            // A file read for its content group brings the group's other members along.
            let stands = retried.contains(job) ? [:] : content.jobs[job].stands
            for partition in result.partitions {
                expanded.append((partition.digest, partition.members + partition.members.flatMap { stands[$0.id] ?? [] }))
            }
        }
        statistics.filesConfirmedByCatalog = content.settled.reduce(0) { $0 + $1.members.count }
            + content.jobs.indices.filter { !retried.contains($0) }.reduce(0) {
                $0 + content.jobs[$1].stands.values.reduce(0) { $0 + $1.count }
            }
        let classes = (content.settled + expanded).filter { $0.members.count > 1 }.map {
            DuplicateClass(size: $0.members[0].status.size, digest: $0.digest, members: $0.members)
        }
        statistics.contentSeconds = clock.lap()
        return classes
    }

    /// Fills in the attributes of every class member: from the catalog where it still trusts
    /// them, read (see `AttributeStage`) for the rest, which are stored back. Counts the cost.
    mutating func attributes(_ classes: [DuplicateClass]) throws(DupelinkError) -> [DuplicateClass] {
        var clock = Stopwatch()
        let known = cache.knownAttributes(classes, diagnostics: &diagnostics)
        let result = try AttributeStage.read(known, opener: opener, pool: readers)
        cache.storeAttributes(before: known, read: result, diagnostics: &diagnostics)
        statistics.filesAttributesRead = known.reduce(0) { $0 + $1.members.filter { $0.attributes == .unknown }.count }
        statistics.attributeSeconds = clock.lap()
        return result
    }

    /// Stores the head/tail digests computed and the partitions read, in one transaction.
    mutating func storeDigests() {
        cache.store(headTail: computed ?? [], files: files, readPartitions: readPartitions, diagnostics: &diagnostics)
    }

    /// On filesystems that share extents, maps which blocks class members already share
    /// (`SharedExtentStage`).
    mutating func sharedExtents(_ classes: [DuplicateClass]) throws(DupelinkError) -> [DuplicateClass] {
        try SharedExtentStage.read(classes, opener: opener, pool: readers, statistics: &statistics)
    }

    /// The scan's result: the walk, the classes, what went wrong and what it cost.
    func result(_ classes: [DuplicateClass]) -> ScanResult {
        var result = ScanResult(
            roots: roots, table: table, files: files, classes: classes, diagnostics: diagnostics, statistics: statistics)
        result.walkFingerprint = walkFingerprint
        return result
    }
}
