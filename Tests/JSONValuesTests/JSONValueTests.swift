import Foundation
import Testing

@testable import JSONValues

struct JSONValueTests {
    @Test func numbersSerializeExactlyAndIntegralWithoutFraction() throws {
        #expect(JSONValue.number(3).serialized() == "3")
        #expect(JSONValue.number(-0.0).serialized() == "-0")
        #expect(JSONValue.number(0.1 + 0.2).serialized() == "0.30000000000000004")
        #expect(JSONValue.number(.infinity).serialized() == "null")
        for x in [1.0 / 3, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.125, -2.5e-8] {
            let back = try JSONValue.parse(JSONValue.number(x).serialized())
            #expect(back.doubleValue == x)
        }
    }

    @Test func stringsAreEscaped() throws {
        let s = "quote \" backslash \\ newline \n tab \t bell \u{07} fox 🦊"
        let text = JSONValue.string(s).serialized()
        #expect(text.contains("\\u0007") && text.contains("\\\""))
        #expect(try JSONValue.parse(text) == .string(s))
        let viaFoundation = try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as? [String]
        #expect(viaFoundation == [s])
    }

    @Test func objectsKeepInsertionOrderAndRoundTrip() throws {
        let value: JSONValue = ["b": 1, "a": [true, false, nil], "c": ["x": "y"], "d": 2.5]
        #expect(value.serialized() == #"{"b":1,"a":[true,false,null],"c":{"x":"y"},"d":2.5}"#)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test func boolsAndNumbersStayApart() throws {
        let parsed = try JSONValue.parse(#"{"t": true, "one": 1, "zero": 0, "f": false}"#)
        #expect(parsed["t"] == .bool(true) && parsed["f"] == .bool(false))
        #expect(parsed["one"] == .number(1) && parsed["zero"] == .number(0))
        #expect(parsed["one"]?.intValue == 1)
    }

    @Test func malformedInputThrows() {
        for text in ["", "{", "[1,", "{\"a\" 1}", "nul", "\u{FF}"] {
            #expect(throws: (any Error).self) { try JSONValue.parse(text) }
        }
    }

    @Test func removingAKeyKeepsTheRestInOrder() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        object["a"] = 9
        #expect(object.keys == ["a", "c"] && object["a"] == .number(9))
    }

    /// The reader keeps an object's keys in the order of the text, at every depth, so a
    /// value read and written again is the same text.
    @Test func parsedObjectsKeepTheKeyOrderOfTheText() throws {
        let text = #"{"zeta":1,"alpha":{"y":[{"b":1,"a":2}],"x":null},"mid":"m","0":true}"#
        let parsed = try JSONValue.parse(text)
        #expect(parsed.objectValue?.keys == ["zeta", "alpha", "mid", "0"])
        #expect(parsed["alpha"]?.objectValue?.keys == ["y", "x"])
        #expect(parsed.serialized() == text)
    }

    @Test func theReaderFollowsRFC8259() throws {
        #expect(try JSONValue.parse(" [1, -0.5e+2, 0, \"\\u00e9\\ud83e\\udd8a\\n\"] ")
            == [1, -50, 0, .string("é🦊\n")])
        for text in ["01", "1.", ".5", "+1", "1e", "[1,]", "{\"a\":1,}", "\"\\ud800\"", "\"\\udc00x\"", "1e999999",
                     "\"tab\there\"", "\"\\x\"", "[1] 2", "{1: 2}", "tru", "\"\u{7F}\"x"] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue.parse(text) }
        }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data([0x22, 0xFF, 0x22])) }
    }

    @Test func nestingIsBoundedSoNoInputExhaustsTheStack() throws {
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try JSONValue.parse(fine).arrayValue != nil)
        for open in ["[", "{\"a\":"] {
            let deep = String(repeating: open, count: 100_000)
            #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        }
    }
}
