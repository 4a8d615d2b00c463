import Testing
@_spi(Stages) @testable import DupelinkCore

/// One rule shows a path to a person, in reports and in errors alike, and it loses no byte.
@Suite struct PathDisplayTests {
    @Test func anErrorShowsAPathThatIsNotUTF8AsBashQuotesIt() {
        let path: [UInt8] = Array("/srv/caf".utf8) + [0xE9] + Array("/new\nline".utf8)
        let error = DupelinkError(.fileChanged, path: path)
        #expect(error.displayPath == "$'/srv/caf\\xe9/new\\nline'")
        #expect(error.description.hasPrefix("$'/srv/caf\\xe9/new\\nline': "))
        #expect(error.displayPath == PathText.display(path))
    }

    @Test func aPrintableUTF8PathIsShownAsItIs() {
        let error = DupelinkError(.ioError, path: Array("/srv/café/a b".utf8), operation: "read")
        #expect(error.description == "/srv/café/a b: cannot read")
    }
}
