import AttentionCore
import Foundation
import JSONValues
import Testing

@testable import AttentionLanguage

/// A small deterministic generator so property-style checks are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Doubles of every kind: raw bit patterns, integers, decimals, tiny and huge magnitudes.
func interestingDouble(_ rng: inout SplitMix64) -> Double {
    switch rng.next() % 6 {
    case 0: return Double(bitPattern: rng.next())
    case 1: return Double(Int64.random(in: -1_000_000...1_000_000, using: &rng))
    case 2: return Double.random(in: -1...1, using: &rng)
    case 3: return Double(Int.random(in: -999...999, using: &rng)) / 100
    case 4: return Double.random(in: 0...1, using: &rng) * pow(10, Double(Int.random(in: -320...300, using: &rng)))
    default: return Double(Int64.random(in: Int64.min...Int64.max, using: &rng))
    }
}

func matrix(_ rows: [[Double]]) -> Matrix { try! Matrix(rows) }

@Suite("Rendering: numbers")
struct RenderingNumberTests {
    @Test func pinnedNumbers() {
        let cases: [(Double, String)] = [
            (3, "3"), (1 + 2, "3"), (-12, "-12"), (0, "0"), (-0.0, "0"), (2.5, "2.5"), (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"), (1.0 / 3, "0.3333333333333333"), (1e-5, "1e-05"),
            (124_439_808, "124439808"), (9_999_999_999_999_998, "9999999999999998"), (1e16, "1e+16"),
            (1e20, "1e+20"), (-2.5e-7, "-2.5e-07"), (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
        ]
        for (d, s) in cases { #expect(Renderer.formatNumber(d) == s, "\(d)") }
    }

    @Test func formatNumberRoundTrips() {
        var rng = SplitMix64(seed: 42)
        var checked = 0
        while checked < 20_000 {
            let x = interestingDouble(&rng)
            guard x.isFinite else { continue }
            let s = Renderer.formatNumber(x)
            #expect(Double(s) == x, "\(x) printed as \(s)")
            #expect(!s.hasSuffix(".0"))
            checked += 1
        }
    }

    @Test func integralValuesHaveNoDecimalPoint() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let x = Double(Int64.random(in: -9_999_999_999_999_999...9_999_999_999_999_999, using: &rng))
            let s = Renderer.formatNumber(x)
            #expect(!s.contains(".") && !s.contains("e"), "\(s)")
            #expect(Double(s) == x)
        }
    }

    @Test func displayRoundsToSixSignificantDigits() {
        #expect(Renderer.displayNumber(1.0 / 3) == "0.333333")
        #expect(Renderer.displayNumber(0.1 + 0.2) == "0.3")
        #expect(Renderer.displayNumber(1234567.5) == "1.23457e+06")
        #expect(Renderer.displayNumber(1.5e-7) == "1.5e-07")
        #expect(Renderer.displayNumber(-1e-300) == "-1e-300")
        #expect(Renderer.displayNumber(42) == "42")
        #expect(Renderer.displayNumber(-0.0) == "0")
        #expect(Renderer.displayNumber(-.infinity) == "-inf")
    }
}

@Suite("Rendering: text/plain")
struct RenderingPlainTextTests {
    @Test func scalars() {
        #expect(Renderer.plainText(.number(3)) == "3")
        #expect(Renderer.plainText(.bool(true)) == "true")
        #expect(Renderer.plainText(.bool(false)) == "false")
        #expect(Renderer.plainText(.string("a")) == "a")
        #expect(Renderer.plainText(.nil) == "nil")
        #expect(Renderer.plainText(.function(.builtin(name: "softmax"))) == "<function softmax>")
        #expect(Renderer.plainText(.function(.user(UserFunction(name: "attend", parameters: ["Q", "K", "V"]))))
            == "<func attend(Q, K, V)>")
    }

    @Test func lists() {
        #expect(Renderer.plainText(.list([.string("the"), .string("cat")])) == #"["the", "cat"]"#)
        #expect(Renderer.plainText(.list([.number(1), .number(2), .string("x")])) == #"[1, 2, "x"]"#)
        #expect(Renderer.plainText(.list([])) == "[]")
        #expect(Renderer.plainText(.list([.string("a\"b\\c\n"), .nil, .bool(true), .list([.number(0.5)])]))
            == #"["a\"b\\c\n", nil, true, [0.5]]"#)
    }

    @Test func listOfMatricesListsEach() {
        let a = matrix([[1, 2], [3, 4]])
        let text = Renderer.plainText(.list([.matrix(a), .matrix(a)]))
        #expect(text == """
            list of 2
            [0] matrix 2×2
              1  2
              3  4
            [1] matrix 2×2
              1  2
              3  4
            """)
    }

    @Test func records() {
        let small = Record([("Wq", .matrix(Matrix(rows: 16, cols: 16, repeating: 0))), ("heads", .number(2))])
        #expect(Renderer.plainText(.record(small)) == "{Wq: matrix 16×16, heads: 2}")
        var big = Record()
        for name in ["Wq", "Wk", "Wv", "Wo", "bq", "bk"] { big[name] = .matrix(Matrix(rows: 16, cols: 16, repeating: 0)) }
        big["norm"] = .string("pre")
        big["blocks"] = .list(Array(repeating: .record(small), count: 12))
        #expect(Renderer.plainText(.record(big)) == """
            {
              Wq: matrix 16×16,
              Wk: matrix 16×16,
              Wv: matrix 16×16,
              Wo: matrix 16×16,
              bq: matrix 16×16,
              bk: matrix 16×16,
              norm: "pre",
              blocks: list of 12
            }
            """)
    }

    @Test func smallMatrixAlignment() {
        #expect(Renderer.plainText(.matrix(matrix([[1, -2.5, 3], [4, 5, 6]]))) == """
            matrix 2×3
              1  -2.5  3
              4     5  6
            """)
        #expect(Renderer.plainText(.matrix(matrix([[0.1 + 0.2, 1.0 / 3], [1e-7, 1234567.5]]))) == """
            matrix 2×2
                0.3     0.333333
              1e-07  1.23457e+06
            """)
        #expect(Renderer.plainText(.matrix(matrix([[-0.0, .infinity], [.nan, -.infinity]]))) == """
            matrix 2×2
                0   inf
              nan  -inf
            """)
        #expect(Renderer.plainText(.matrix(Matrix(scalar: 7))) == "matrix 1×1\n  7")
    }

    @Test func emptyMatrices() {
        #expect(Renderer.plainText(.matrix(Matrix(rows: 0, cols: 3, repeating: 0))) == "matrix 0×3 (empty)")
        #expect(Renderer.plainText(.matrix(Matrix(rows: 2, cols: 0, repeating: 0))) == "matrix 2×0 (empty)")
        let b = Renderer.bundle(for: .matrix(Matrix(rows: 0, cols: 3, repeating: 0)))
        #expect(b.data[Renderer.matrixMimeType]?.serialized() == #"{"shape":[0,3],"data":[]}"#)
        #expect(b.data["text/html"]?.stringValue?.contains("0×3") == true)
    }

    @Test func largeMatrixIsElidedLikeNumpy() {
        let m = Matrix(rows: 100, cols: 100) { i, j in Double(i * 100 + j) }
        let lines = Renderer.plainText(.matrix(m)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 1 + 11)
        #expect(lines[0] == "matrix 100×100")
        #expect(lines[1] == "     0     1     2     3  …    96    97    98    99")
        #expect(lines[5] == "   400   401   402   403  …   496   497   498   499")
        #expect(lines[6] == "     ⋮     ⋮     ⋮     ⋮  ⋱     ⋮     ⋮     ⋮     ⋮")
        #expect(lines[7] == "  9500  9501  9502  9503  …  9596  9597  9598  9599")
        #expect(lines[11] == "  9900  9901  9902  9903  …  9996  9997  9998  9999")
    }

    @Test func elisionThresholds() {
        // 12 rows and 10 columns are shown in full; 13 and 11 are elided.
        let full = Renderer.plainText(.matrix(Matrix(rows: 12, cols: 10, repeating: 1)))
        #expect(full.split(separator: "\n").count == 13 && !full.contains("…") && !full.contains("⋮"))
        let elided = Renderer.plainText(.matrix(Matrix(rows: 13, cols: 11, repeating: 1)))
        let lines = elided.split(separator: "\n")
        #expect(lines.count == 12)
        #expect(lines[1] == "  1  1  1  1  …  1  1  1  1")
    }
}

@Suite("Rendering: bundles")
struct RenderingBundleTests {
    @Test func matrixBundleHasTableAndFullPrecisionJSON() throws {
        let m = matrix([[0.1 + 0.2, 1.0 / 3], [-0.0, 1e-300]])
        let b = Renderer.bundle(for: .matrix(m))
        #expect(b.data.keys == ["text/plain", "text/html", "application/vnd.attention.matrix+json"])
        #expect(b.data["application/json"] == nil)
        let json = try #require(b.data[Renderer.matrixMimeType])
        let text = json.serialized()
        #expect(text == #"{"shape":[2,2],"data":[[0.30000000000000004,0.3333333333333333],[-0,1e-300]]}"#)
        let back = try JSONValue.parse(text)
        let rows = try #require(back["data"]?.arrayValue)
        #expect(rows[0].arrayValue?[1].doubleValue?.bitPattern == (1.0 / 3).bitPattern)
        #expect(rows[0].arrayValue?[0].doubleValue == 0.1 + 0.2)
        #expect(back["shape"] == [2, 2])
    }

    @Test func nonFiniteEntriesBecomeStringsAndStayValidJSON() throws {
        let m = matrix([[.infinity, -.infinity, .nan, 1]])
        let json = try #require(Renderer.bundle(for: .matrix(m)).data[Renderer.matrixMimeType])
        #expect(json.serialized() == #"{"shape":[1,4],"data":[["inf","-inf","nan",1]]}"#)
        let back = try JSONValue.parse(JSONValue.object(Renderer.bundle(for: .matrix(m)).data).serialized())
        #expect(back[Renderer.matrixMimeType]?["data"]?.arrayValue?[0].arrayValue?[2] == "nan")
    }

    @Test func randomMatricesSurviveJSONBitExact() throws {
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<40 {
            let r = Int.random(in: 1...7, using: &rng), c = Int.random(in: 1...7, using: &rng)
            let m = Matrix(rows: r, cols: c) { _, _ in interestingDouble(&rng) }
            let text = JSONValue.object(Renderer.bundle(for: .matrix(m)).data).serialized()
            let back = try JSONValue.parse(text)
            let rows = try #require(back[Renderer.matrixMimeType]?["data"]?.arrayValue)
            #expect(rows.count == r)
            for i in 0..<r {
                let row = try #require(rows[i].arrayValue)
                for j in 0..<c {
                    let x = m[i, j]
                    if x.isFinite {
                        #expect(row[j].doubleValue == x, "\(x)")
                        #expect(row[j].doubleValue?.sign == x.sign || x == 0)
                    } else {
                        #expect(row[j].stringValue == Renderer.formatNumber(x))
                    }
                }
            }
        }
    }

    @Test func otherValuesOnlyHavePlainText() {
        for v: Value in [.number(1), .string("s"), .nil, .list([.number(1)]), .record(Record([("a", .number(1))]))] {
            let b = Renderer.bundle(for: v)
            #expect(b.data.keys == ["text/plain"])
        }
        let list = Renderer.bundle(for: .list([.matrix(matrix([[1]])), .matrix(matrix([[2]]))]))
        #expect(list.data.keys == ["text/plain", "text/html"])
        #expect(list.data["text/html"]?.stringValue?.components(separatedBy: "<table").count == 3)
    }

    @Test func htmlTableEscapesAndElides() throws {
        let b = Renderer.show(.matrix(Matrix(rows: 30, cols: 30, repeating: 0.5)), title: "x<y & \"z\"")
        let html = try #require(b.data["text/html"]?.stringValue)
        #expect(html.hasPrefix("<table") && html.hasSuffix("</table>"))
        #expect(html.contains("x&lt;y &amp; &quot;z&quot;"))
        #expect(html.contains("matrix 30×30"))
        #expect(html.components(separatedBy: "<tr>").count - 1 == 1 + 11)
        #expect(html.contains("⋱") && !html.contains("<script"))
        #expect(b.plainText.hasPrefix("x<y & \"z\"\nmatrix 30×30\n"))
    }
}
