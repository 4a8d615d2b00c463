import Foundation

/// The reading half of `JSONReport`: decoding a report, and the exact times its decimal strings
/// spell. The schema and its encoding stay in `Report/JSONReport.swift`.
extension JSONReport {
    /// Parses `decimalTime`'s form back (exactly nine decimals); nil for anything else.
    public static func nanoseconds(fromDecimalTime text: String) -> Int64? {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count == 9,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let seconds = Int64(parts[0]), let fraction = Int64(parts[1])
        else { return nil }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, overflowAgain) = scaled.addingReportingOverflow(fraction)
        guard !overflowAgain else { return nil }
        return negative ? -total : total
    }

    /// Decodes a report.
    /// - Throws: `DupelinkError(.invalidInput)` when the data is not a dupelink JSON report.
    public static func decode(_ data: [UInt8]) throws(DupelinkError) -> JSONReport {
        do {
            return try JSONDecoder().decode(JSONReport.self, from: Data(data))
        } catch {
            throw DupelinkError(.invalidInput, detail: "not a dupelink JSON report: \(error)")
        }
    }
}
