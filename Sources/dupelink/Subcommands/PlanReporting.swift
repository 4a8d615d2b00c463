import DupelinkCore

extension LinkPlan {
    /// The bytes that linking each class frees, by class index.
    func reclaimableByClass(classCount: Int) -> [Int64] {
        var result = [Int64](repeating: 0, count: classCount)
        for action in actions { result[action.classIndex] += action.bytesFreed }
        return result
    }

    /// The planner's refusals in the report's terms.
    func reportRefusals(_ scan: ScanResult) -> [ScanReport.Refusal] {
        refusals.map {
            ScanReport.Refusal(file: $0.file, reason: $0.reason.code, message: $0.reason.message, bytes: $0.bytes)
        }
    }
}

extension LinkRefusal.Reason {
    /// The stable, hyphenated code used in JSON (`different-filesystem`).
    var code: String {
        switch self {
        case .differentFilesystem: "different-filesystem"
        case .ownerDiffers: "owner-differs"
        case .modeDiffers: "mode-differs"
        }
    }
}

extension LinkOutcome {
    /// The replacements in the report's terms.
    var reportReplacements: [ScanReport.Replacement] {
        replacements.map { ScanReport.Replacement(keeper: $0.keeper, duplicate: $0.duplicate, bytesFreed: $0.bytesFreed) }
    }
}
