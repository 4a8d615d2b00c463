/// The `statistics` of the JSON report: what each stage of the scan read and how long it took,
/// and how each filesystem's storage was read.
extension JSONOutput {
    /// `statistics`, keys sorted; the members of stages that did not run are left out, as the
    /// encoder leaves out a nil.
    mutating func statistics(_ statistics: ScanStatistics) {
        byte(UInt8(ascii: "{"))
        var first = true
        if let seconds = statistics.attributeSeconds {
            key("attributeSeconds", indent: 2, first: &first)
            double(seconds)
        }
        key("bytesReadContent", indent: 2, first: &first)
        integer(statistics.bytesReadContent)
        key("bytesReadHeadTail", indent: 2, first: &first)
        integer(statistics.bytesReadHeadTail)
        key("bytesWalked", indent: 2, first: &first)
        integer(statistics.bytesWalked)
        key("catalogHits", indent: 2, first: &first)
        integer(statistics.catalogHits)
        key("contentSeconds", indent: 2, first: &first)
        double(statistics.contentSeconds)
        if let seconds = statistics.extentSeconds {
            key("extentSeconds", indent: 2, first: &first)
            double(seconds)
        }
        key("filesAfterHeadTail", indent: 2, first: &first)
        integer(statistics.filesAfterHeadTail)
        key("filesAfterSizeGrouping", indent: 2, first: &first)
        integer(statistics.filesAfterSizeGrouping)
        if let count = statistics.filesAttributesRead {
            key("filesAttributesRead", indent: 2, first: &first)
            integer(count)
        }
        key("filesConfirmedByCatalog", indent: 2, first: &first)
        integer(statistics.filesConfirmedByCatalog)
        if let count = statistics.filesExtentsMapped {
            key("filesExtentsMapped", indent: 2, first: &first)
            integer(count)
        }
        key("filesWalked", indent: 2, first: &first)
        integer(statistics.filesWalked)
        key("floorBytes", indent: 2, first: &first)
        integer(statistics.floorBytes)
        key("headTailSeconds", indent: 2, first: &first)
        double(statistics.headTailSeconds)
        key("rootsScanned", indent: 2, first: &first)
        integer(statistics.rootsScanned)
        key("specialFilesSkipped", indent: 2, first: &first)
        integer(statistics.specialFilesSkipped)
        if let storage = statistics.storage {
            key("storage", indent: 2, first: &first)
            self.storage(storage)
        }
        key("walkSeconds", indent: 2, first: &first)
        double(statistics.walkSeconds)
        close(UInt8(ascii: "}"), indent: 1, wasEmpty: false)
    }

    /// `statistics.storage`: one object per filesystem, keys sorted as the encoder sorts them.
    mutating func storage(_ filesystems: [FilesystemStorage]) {
        byte(UInt8(ascii: "["))
        var firstFilesystem = true
        for filesystem in filesystems {
            element(indent: 3, first: &firstFilesystem)
            byte(UInt8(ascii: "{"))
            var member = true
            key("device", indent: 4, first: &member)
            integer(filesystem.device)
            key("disks", indent: 4, first: &member)
            byte(UInt8(ascii: "["))
            var firstDisk = true
            for disk in filesystem.disks {
                element(indent: 5, first: &firstDisk)
                string(disk)
            }
            close(UInt8(ascii: "]"), indent: 4, wasEmpty: firstDisk)
            key("evidence", indent: 4, first: &member)
            string(filesystem.evidence)
            key("filesystem", indent: 4, first: &member)
            string(filesystem.filesystem)
            key("kind", indent: 4, first: &member)
            string(filesystem.kind.rawValue)
            key("order", indent: 4, first: &member)
            string(filesystem.order)
            key("readers", indent: 4, first: &member)
            integer(filesystem.readers)
            key("runBytes", indent: 4, first: &member)
            integer(filesystem.runBytes)
            key("source", indent: 4, first: &member)
            string(filesystem.source)
            close(UInt8(ascii: "}"), indent: 3, wasEmpty: false)
        }
        close(UInt8(ascii: "]"), indent: 2, wasEmpty: firstFilesystem)
    }
}
