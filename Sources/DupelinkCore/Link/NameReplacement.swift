import SystemPackage

/// The temporary names dupelink makes next to a name it replaces, `.dupelink.<pid>.<n>.tmp`: the
/// shape recovery recognises (`JournalPaths.isTemporaryName`).
struct TemporaryNames {
    private let processID = Syscalls.processID
    private var counter = 0

    /// Starts at `.dupelink.<pid>.1.tmp`.
    init() {}

    /// The next name, NUL-terminated.
    mutating func next() -> [CChar] {
        counter += 1
        return Array(".dupelink.\(processID).\(counter).tmp".utf8CString)
    }
}

/// The one way dupelink puts another inode under an existing name, used by `link` (the new inode
/// is the keeper), `undo` and `split` (a copy, unnamed until complete, or an earlier copy):
///
/// 1. **prepare**: the new inode gets a temporary name next to the name, each name journaled
///    (by the caller's `journal` closure) before it is made (`reserve`, then `make`, or `prepare`
///    for both);
/// 2. **swap**: the temporary name and the name are exchanged (`renameat2(RENAME_EXCHANGE)`), so
///    the name is never missing; where the filesystem cannot exchange names, the temporary name is
///    renamed over the name, the old inode first kept under a second, journaled, backup name when
///    the caller asks (it may be the old inode's last name);
/// 3. **verify**: the caller checks what the name and `Displaced.name` hold;
/// 4. **commit**: the name that holds the old inode is removed, or
/// 5. **roll back**: the old inode is put back under the name.
///
/// Before the swap, `discard` takes back what was made. Used from one thread.
struct NameReplacement {
    /// Which step a system call failed in.
    enum Step {
        /// Linking or creating the temporary name (`linkat`, `openat(O_CREAT|O_EXCL)`).
        case temporaryName
        /// Linking the old inode to a backup name, without an exchange.
        case backupName
        /// The exchange or the rename that puts the new inode under the name.
        case swap
    }

    /// Why a step failed; nothing is swapped then.
    enum Failure: Error {
        /// A system call failed.
        case system(Errno, Step)
        /// The journal could not be written: nothing more may be made.
        case journal(DupelinkError)
        /// Without an exchange: the name no longer held the old inode right before the rename.
        case nameChanged
    }

    /// Where another name of the new inode comes from.
    enum Source {
        /// A name of it: `name` in `directory` (the keeper, or an earlier copy).
        case name([CChar], in: FileDescriptor)
        /// An open file without a name (`O_TMPFILE`), given one through `/proc/self/fd`.
        case openFile(FileDescriptor)
    }

    /// Where the old inode is after `swap`.
    struct Displaced {
        /// The name that holds it (the temporary name after an exchange, else the backup name), or
        /// nil when the rename took its name away (it had others).
        var name: [CChar]?
        /// Whether the names were exchanged.
        var wasExchanged: Bool
    }

    /// The directory holding the name.
    let directory: FileDescriptor
    /// The name replaced, NUL-terminated.
    let name: [CChar]
    /// Whether to exchange names, falling back to a rename where the filesystem cannot.
    let usesExchange: Bool
    /// The temporary name that holds (or will hold) the new inode, once reserved.
    private(set) var temporary: [CChar] = []
    /// Whether `temporary` exists (made by this replacement).
    private(set) var isMade = false
    /// The backup name made without an exchange, or empty.
    private var backup: [CChar] = []

    /// Starts replacing `name` in `directory`; nothing is made yet.
    init(_ name: [CChar], in directory: FileDescriptor, usesExchange: Bool) {
        self.name = name
        self.directory = directory
        self.usesExchange = usesExchange
    }

    /// Chooses the next temporary name and journals it; it is made by `make` or `makeEmptyFile`.
    mutating func reserve(
        _ names: inout TemporaryNames, journal: ([CChar]) throws(DupelinkError) -> Void
    ) throws(Failure) {
        temporary = names.next()
        // A name reserved before (and given up by the caller) is no longer this replacement's.
        isMade = false
        do {
            try journal(temporary)
        } catch {
            throw .journal(error)
        }
    }

    /// Makes the reserved temporary name another name of `source`; when something already has
    /// that name (`EEXIST`), reserves the next one and tries again, `attempts` times in all.
    mutating func make(
        from source: Source, names: inout TemporaryNames, attempts: Int,
        journal: ([CChar]) throws(DupelinkError) -> Void
    ) throws(Failure) {
        for attempt in 1...max(1, attempts) {
            do {
                switch source {
                case .name(let sourceName, let sourceDirectory):
                    try Syscalls.link(sourceName, in: sourceDirectory, to: temporary, in: directory)
                case .openFile(let file):
                    try Syscalls.link(openFile: file, to: temporary, in: directory)
                }
                isMade = true
                return
            } catch .fileExists where attempt < attempts {
                try reserve(&names, journal: journal)
            } catch {
                throw .system(error, .temporaryName)
            }
        }
    }

    /// `reserve`, then `make`.
    mutating func prepare(
        from source: Source, names: inout TemporaryNames, attempts: Int,
        journal: ([CChar]) throws(DupelinkError) -> Void
    ) throws(Failure) {
        try reserve(&names, journal: journal)
        try make(from: source, names: &names, attempts: attempts, journal: journal)
    }

    /// Creates the reserved temporary name as a new empty file (mode 0600), for a filesystem
    /// without unnamed files; the caller writes the copy into the returned descriptor.
    mutating func makeEmptyFile() throws(Failure) -> FileDescriptor {
        do {
            let file = try Syscalls.createExclusive(temporary, in: directory)
            isMade = true
            return file
        } catch {
            throw .system(error, .temporaryName)
        }
    }

    /// What the temporary name holds now, or nil.
    func temporaryStatus() -> FileStatus? {
        try? Syscalls.status(of: temporary, in: directory)
    }

    /// What the name holds now, or nil.
    func nameStatus() -> FileStatus? {
        try? Syscalls.status(of: name, in: directory)
    }

    /// Puts the temporary name's inode under the name (see the type's description).
    ///
    /// Without an exchange: with `backupJournal`, the old inode first gets a backup name (journaled
    /// by it), which must be the name's inode right before the rename; without, the name must
    /// still hold `expected`. A backup name made here is removed again when the swap fails; the
    /// temporary name is left to `discard`.
    mutating func swap(
        expected: FileID, names: inout TemporaryNames,
        backupJournal: (([CChar]) throws(DupelinkError) -> Void)?
    ) throws(Failure) -> Displaced {
        if usesExchange {
            do {
                try Syscalls.exchange(temporary, in: directory, with: name, in: directory)
                return Displaced(name: temporary, wasExchanged: true)
            } catch .invalidArgument {
                // The filesystem cannot exchange names: rename below.
            } catch {
                throw .system(error, .swap)
            }
        }
        if let backupJournal {
            var backupReplacement = NameReplacement(name, in: directory, usesExchange: false)
            do throws(Failure) {
                try backupReplacement.prepare(
                    from: .name(name, in: directory), names: &names, attempts: 1000, journal: backupJournal)
            } catch .system(let error, _) {
                throw .system(error, .backupName)
            }
            backup = backupReplacement.temporary
            // A name swapped in between the backup link and the rename would be lost; this check
            // narrows that window to two system calls.
            guard let backedUp = try? Syscalls.status(of: backup, in: directory), nameStatus()?.id == backedUp.id else {
                removeBackup()
                throw .nameChanged
            }
        } else {
            // The same narrowing, against the inode the caller checked.
            guard nameStatus()?.id == expected else { throw .nameChanged }
        }
        do {
            try Syscalls.rename(temporary, in: directory, to: name, in: directory)
        } catch {
            removeBackup()
            throw .system(error, .swap)
        }
        isMade = false
        return Displaced(name: backup.isEmpty ? nil : backup, wasExchanged: false)
    }

    /// Removes the name that holds the old inode after a verified swap (nothing when the rename
    /// took it).
    func commit(_ displaced: Displaced) throws(Errno) {
        guard let displacedName = displaced.name else { return }
        try Syscalls.unlink(displacedName, in: directory)
    }

    /// Puts the old inode back under the name after a swap that did not verify; removes the
    /// temporary name when it holds `newInode` again. Returns whether the old inode is back
    /// (false when the rename took its name away: it has other names).
    mutating func rollBack(_ displaced: Displaced, newInode: FileID) -> Bool {
        guard let displacedName = displaced.name else { return false }
        if displaced.wasExchanged {
            do {
                try Syscalls.exchange(displacedName, in: directory, with: name, in: directory)
            } catch {
                return false
            }
            // The temporary name holds the new inode again; remove only that.
            if temporaryStatus()?.id == newInode { try? Syscalls.unlink(temporary, in: directory) }
            return true
        }
        do {
            try Syscalls.rename(displacedName, in: directory, to: name, in: directory)
            return true
        } catch {
            return false
        }
    }

    /// Before a swap (or after one that failed): removes the temporary name, when it was made and,
    /// with `onlyHolding`, still holds that inode. Returns the error when the name is left.
    @discardableResult
    mutating func discard(onlyHolding inode: FileID? = nil) -> Errno? {
        guard isMade else { return nil }
        if let inode, temporaryStatus()?.id != inode { return nil }
        do {
            try Syscalls.unlink(temporary, in: directory)
            isMade = false
            return nil
        } catch {
            return error
        }
    }

    private mutating func removeBackup() {
        guard !backup.isEmpty else { return }
        try? Syscalls.unlink(backup, in: directory)
        backup = []
    }
}
