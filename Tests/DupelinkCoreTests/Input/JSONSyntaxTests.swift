import Testing

@_spi(Stages) @testable import DupelinkCore

/// What `link --from` says of text that is not JSON: what is wrong and at which byte.
@Suite struct JSONSyntaxTests {
    @Test(arguments: [
        (#"{"schemaVersion": 1, "roots": [}"#, "'}' where a value was expected at byte 31 (line 1, column 32)"),
        ("{\n  \"a\": tru\n}", "byte 0xa where 'true' was expected at byte 12 (line 2, column 11)"),
        (#"{"a": 1e400}"#, "the number 1e400, out of range at byte 6"),
        (#"{"inode": 99999999999999999999}"#, "the number 99999999999999999999, out of range"),
        (#"{"a": "x\q"}"#, "an unknown escape '\\q' in a string at byte 8"),
        (#"{"a": "never closed}"#, "a string that is never closed at byte 6"),
        (#"{"a": 1} extra"#, "text after the end of the JSON value at byte 9"),
        (#"{"a" 1}"#, "'1' where ':' was expected at byte 5"),
        (#"{"a": [1, 2}"#, "'}' where ',' or ']' was expected at byte 11"),
        ("", "the text ends where a value was expected at byte 0"),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nested deeper than 64 levels at byte 64"),
    ])
    func whatIsWrongAndWhere(text: String, expected: String) {
        let problem = JSONSyntax.firstError(in: Array(text.utf8))
        #expect(problem?.contains(expected) == true, "\(problem ?? "nil")")
    }

    @Test func wellFormedJSONHasNoError() {
        for text in [#"{"a": [1, -2.5e3, "x\u00e9\n", true, false, null, {}], "b": {"c": []}}"#, " 0 ", "18446744073709551615"] {
            #expect(JSONSyntax.firstError(in: Array(text.utf8)) == nil, "\(text)")
        }
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(JSONSyntax.firstError(in: Array(deep.utf8)) == nil)
    }
}
