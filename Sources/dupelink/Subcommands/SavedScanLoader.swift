import DupelinkCore

/// Loading a saved scan for `report` and `link --scan`, with the errors a user sees.
enum SavedScanLoader {
    /// Loads scan `id` (the latest when nil); prints why not and ends with status 2 when it cannot.
    static func load(_ id: Int64?, from catalog: Catalog?) throws -> SavedScan {
        guard let catalog else {
            StandardStreams.error("no catalog could be opened, so there is no saved scan")
            throw ExitStatus.failure
        }
        do {
            guard let id = try id ?? catalog.latestScanID() else {
                StandardStreams.error("the catalog \(PathText.display(catalog.path)) has no saved scan; run dupelink scan first")
                throw ExitStatus.failure
            }
            return try catalog.loadScan(id: id)
        } catch let error as DupelinkError {
            StandardStreams.error(error.description)
            throw ExitStatus.failure
        }
    }

    /// Rebuilds a saved scan for the planner and the linker, with the mounts of its directories
    /// learnt again; prints why not and ends with status 2.
    static func rebuild(_ saved: SavedScan) throws -> ScanResult {
        do {
            return try saved.scanResult().resolvingMounts()
        } catch {
            StandardStreams.error(error.description + "; nothing was changed")
            throw ExitStatus.failure
        }
    }
}
