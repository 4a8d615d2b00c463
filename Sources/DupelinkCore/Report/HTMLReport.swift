import Foundation

/// `--format html`: one self-contained page to review a scan in a browser, and to hand the
/// reviewed selection back to `link --from`.
///
/// The page carries the JSON report itself (the same document `--format json` prints, so the
/// plan it downloads is that report with unselected classes and names taken out: the same schema,
/// fingerprints kept) and a little more for people: each name's role in the plan and the bytes
/// replacing it frees, and the bytes freed per top-level directory for the chart. The script and
/// style are inline, and a Content-Security-Policy forbids every fetch, so the page works from
/// `file://` with no network. Paths that are not UTF-8 are shown as `PathText.display` shows them
/// (`$'caf\xe9'`) and carried in the plan by their `pathBase64`, losslessly.
public enum HTMLReport {
    /// Writes the page into `writer` (without flushing it).
    public static func render(_ report: ScanReport, into writer: inout ByteWriter) {
        writer.write(HTMLPage.head(title: title(of: report)))
        writer.write("<script type=\"application/json\" id=\"dupelink-report\">")
        writer.write(bytes: scriptSafe(JSONReportWriter.bytes(report)))
        writer.write("</script>\n<script type=\"application/json\" id=\"dupelink-page\">")
        writer.write(bytes: scriptSafe(pageData(report)))
        writer.write("</script>\n")
        writer.write(HTMLPage.tail)
    }

    /// What the page shows beside the report, in the report's own order of classes and names.
    struct PageData: Encodable {
        /// Per class, one letter per name in the order the report lists them: `k` kept, `r`
        /// replaced by a link to the kept copy, `x` refused, `-` left alone (another name of a kept
        /// inode).
        var roles: [String]
        /// Per class, the bytes replacing each name frees (0 for names not replaced).
        var freed: [[Int64]]
        /// The bytes linking frees under each top-level directory of the roots (files right in a
        /// root count under the root), most first.
        var topDirectories: [DirectoryBytes]
        var generator: String

        struct DirectoryBytes: Encodable {
            var path: JSONReport.PathValue
            var bytes: Int64
            var files: Int
        }
    }

    static func pageData(_ report: ScanReport) -> [UInt8] {
        let scan = report.scan
        let refused = Set(report.refusals.map(\.file))
        var roles: [String] = []
        var freed: [[Int64]] = []
        roles.reserveCapacity(scan.classes.count)
        for duplicateClass in scan.classes {
            var letters = ""
            var bytes: [Int64] = []
            for member in duplicateClass.members {
                let memberRefused = member.names.contains(where: refused.contains)
                for name in member.names {
                    let replaced = report.replacedNames[name]
                    letters.append(
                        report.keepers.contains(name) ? "k" : replaced != nil ? "r" : memberRefused ? "x" : "-")
                    bytes.append(replaced ?? 0)
                }
            }
            roles.append(letters)
            freed.append(bytes)
        }
        let data = PageData(roles: roles, freed: freed, topDirectories: topDirectories(report), generator: "dupelink")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(data)) ?? Data("{}".utf8))
    }

    /// `DirectorySpace` summed up to the first level below each root.
    static func topDirectories(_ report: ScanReport) -> [PageData.DirectoryBytes] {
        let directories = report.scan.table.directories
        var totals: [Int32: (bytes: Int64, files: Int)] = [:]
        for entry in report.directories {
            var top = entry.directory
            while directories[Int(top)].parent >= 0 && directories[Int(directories[Int(top)].parent)].parent >= 0 {
                top = directories[Int(top)].parent
            }
            let sum = totals[top] ?? (0, 0)
            totals[top] = (sum.bytes + entry.bytes, sum.files + entry.files)
        }
        return totals.sorted { ($0.value.bytes, $1.key) > ($1.value.bytes, $0.key) }.map { top, sum in
            PageData.DirectoryBytes(
                path: JSONReport.PathValue(report.scan.table.path(ofDirectory: top)), bytes: sum.bytes, files: sum.files)
        }
    }

    /// JSON made safe inside a `<script>` element: every `<` (which JSON has only inside
    /// strings) as `\u003c`, so no `</script>` or `<!--` can end or change the element.
    static func scriptSafe(_ json: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(json.count + json.count / 64)
        for byte in json {
            if byte == UInt8(ascii: "<") {
                result.append(contentsOf: Array("\\u003c".utf8))
            } else {
                result.append(byte)
            }
        }
        return result
    }

    /// "dupelink: 3 roots" or "dupelink: /srv/media", HTML-escaped.
    static func title(of report: ScanReport) -> String {
        let roots = report.roots.map { PathText.display($0) }
        let text = roots.count == 1 ? roots[0] : "\(roots.count) roots"
        return "dupelink report: " + escaped(text)
    }

    /// Text safe in HTML content and attribute values.
    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
