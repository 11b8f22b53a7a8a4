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
}
