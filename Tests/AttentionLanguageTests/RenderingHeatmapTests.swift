import AttentionCore
import Foundation
import JSONValues
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import AttentionLanguage

/// Parses SVG text as XML (throws when it is not well formed).
func parseSVG(_ svg: String) throws -> XMLElement {
    let doc = try XMLDocument(xmlString: svg, options: [])
    return try #require(doc.rootElement())
}

/// Every element below `e` (inclusive) whose local name is `name`.
func descendants(_ e: XMLElement, named name: String) -> [XMLElement] {
    var out: [XMLElement] = []
    func walk(_ node: XMLElement) {
        if (node.localName ?? node.name) == name { out.append(node) }
        for child in node.children ?? [] { if let c = child as? XMLElement { walk(c) } }
    }
    walk(e)
    return out
}

func groups(_ e: XMLElement, class cls: String) -> [XMLElement] {
    descendants(e, named: "g").filter { attr($0, "class") == cls }
}

/// An attribute's value (looked up by name: `attribute(forName:)` misses attributes of
/// namespaced elements in swift-corelibs-foundation).
func attr(_ e: XMLElement, _ name: String) -> String? {
    e.attributes?.first { ($0.localName ?? $0.name) == name }?.stringValue
}

func svgText(_ b: MimeBundle) throws -> String { try #require(b.data["image/svg+xml"]?.stringValue) }

/// A row-stochastic matrix like softmax output.
func weights(_ n: Int, seed: UInt64 = 1) -> Matrix {
    var rng = SplitMix64(seed: seed)
    var m = Matrix(rows: n, cols: n) { _, _ in Double.random(in: 0...1, using: &rng) }
    for i in 0..<n {
        let s = m.row(i).reduce(0, +)
        for j in 0..<n { m[i, j] /= s }
    }
    return m
}

@Suite("Rendering: heatmaps")
struct RenderingHeatmapTests {
    @Test func svgIsWellFormedWithExplicitSize() throws {
        let b = Renderer.heatmap(weights(4), rowLabels: ["the", "cat", "sat", "down"], colLabels: ["the", "cat", "sat", "down"], title: "lesson 1")
        #expect(b.data["application/json"] == nil)
        let svg = try svgText(b)
        let root = try parseSVG(svg)
        #expect(root.localName == "svg")
        let w = try #require(attr(root, "width").flatMap(Double.init)), h = try #require(attr(root, "height").flatMap(Double.init))
        #expect(w > 100 && w <= 850 && h > 100 && h <= 850)
        #expect(attr(root, "viewBox") == "0 0 \(Renderer.formatNumber(w)) \(Renderer.formatNumber(h))")
        #expect(!svg.contains("<script") && !svg.contains("id=\""))
        #expect(b.data["text/html"]?.stringValue == "<div class=\"attention-heatmap\">\(svg)</div>")
        #expect(b.data[Renderer.matrixMimeType] != nil)
    }

    @Test func oneRectPerCellWithTooltips() throws {
        let m = matrix([[0.5, 0.5, 0], [0.25, 0.25, 0.5]])
        let root = try parseSVG(try svgText(Renderer.heatmap(m, rowLabels: ["a", "b"], colLabels: ["x", "y", "z"])))
        let cells = try #require(groups(root, class: "cells").first)
        let rects = descendants(cells, named: "rect")
        #expect(rects.count == 6)
        let tips = rects.map { descendants($0, named: "title").first?.stringValue ?? "" }
        #expect(tips == ["a → x: 0.5", "a → y: 0.5", "a → z: 0", "b → x: 0.25", "b → y: 0.25", "b → z: 0.5"])
        // Viridis ends: 0 is dark purple, 1 (not present) yellow; 0.5 teal.
        #expect(attr(rects[2], "fill") == "#440154")
        #expect(attr(rects[0], "fill") == "#26828e")
    }

    @Test func labelsAndTitlesAreEscaped() throws {
        let toks = ["<b>", "a&b", "\"q\"", "it's"]
        let b = Renderer.heatmap(weights(4), rowLabels: toks, colLabels: toks, title: "<script>alert(1)</script>")
        let svg = try svgText(b)
        #expect(!svg.contains("<b>") && !svg.contains("<script"))
        #expect(svg.contains("&lt;b&gt;") && svg.contains("a&amp;b") && svg.contains("&quot;q&quot;") && svg.contains("it&#39;s"))
        let root = try parseSVG(svg)
        let labels = try #require(groups(root, class: "row-labels").first)
        #expect(descendants(labels, named: "text").map { $0.stringValue ?? "" } == toks)
        let tips = descendants(try #require(groups(root, class: "cells").first), named: "title").map { $0.stringValue ?? "" }
        #expect(tips[1].hasPrefix("<b> → a&b: "))
        #expect(b.plainText.hasPrefix("heatmap 4×4 \"<script>alert(1)</script>\", colour scale 0…1\n"))
    }

    @Test func controlCharactersInTokensKeepXMLWellFormed() throws {
        let toks = ["a\u{1}b", "\u{0}"]
        _ = try parseSVG(try svgText(Renderer.heatmap(weights(2), rowLabels: toks, colLabels: toks, title: nil)))
    }

    @Test func colourBarWithTicks() throws {
        let root = try parseSVG(try svgText(Renderer.heatmap(weights(3), rowLabels: nil, colLabels: nil, title: nil)))
        let bar = try #require(groups(root, class: "colorbar").first)
        let ticks = descendants(try #require(groups(bar, class: "ticks").first), named: "text").map { $0.stringValue ?? "" }
        #expect(ticks == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(descendants(bar, named: "rect").count > 10)
    }

    @Test func scaleRule() throws {
        // Weights in [0, 1]: fixed 0…1 even when the data only spans part of it.
        #expect(Renderer.heatmap(matrix([[0.2, 0.3]])).plainText.hasPrefix("heatmap 1×2, colour scale 0…1"))
        // Scores outside [0, 1]: the data's min…max.
        let scores = Renderer.heatmap(matrix([[-2, 3], [0.5, 1]]))
        #expect(scores.plainText.hasPrefix("heatmap 2×2, colour scale -2…3"))
        let root = try parseSVG(try svgText(scores))
        let rects = descendants(try #require(groups(root, class: "cells").first), named: "rect")
        #expect(attr(rects[0], "fill") == "#440154")
        #expect(attr(rects[1], "fill") == "#fde725")
        // An explicit scale wins; entries outside it are clamped.
        let fixed = Renderer.heatmap(matrix([[-2, 3]]), scale: 0...1)
        #expect(fixed.plainText.hasPrefix("heatmap 1×2, colour scale 0…1"))
        // A constant matrix outside [0, 1] gets value ± 0.5.
        #expect(Renderer.heatmap(matrix([[5, 5]])).plainText.hasPrefix("heatmap 1×2, colour scale 4.5…5.5"))
        // Non-finite entries are ignored by the rule.
        #expect(Renderer.heatmap(matrix([[0.5, -.infinity]])).plainText.hasPrefix("heatmap 1×2, colour scale 0…1"))
    }

    @Test func nonFiniteCellsAreGreyWithValueInTooltip() throws {
        let masked = matrix([[0.1, -.infinity], [.nan, 0.9]])
        let root = try parseSVG(try svgText(Renderer.heatmap(masked, rowLabels: ["a", "b"], colLabels: ["a", "b"], title: "scores")))
        let rects = descendants(try #require(groups(root, class: "cells").first), named: "rect")
        #expect(attr(rects[1], "fill") == Renderer.nonFiniteColour)
        #expect(attr(rects[2], "fill") == Renderer.nonFiniteColour)
        #expect(descendants(rects[1], named: "title").first?.stringValue == "a → b: -inf")
        #expect(descendants(rects[2], named: "title").first?.stringValue == "b → a: nan")
        #expect(descendants(root, named: "rect").contains { attr($0, "class") == "non-finite" })
    }

    @Test func plainTextShowsLabelledMatrix() {
        let b = Renderer.heatmap(matrix([[0.5, 0.5], [0, 1]]), rowLabels: ["the", "cat"], colLabels: ["the", "cat"], title: "w")
        #expect(b.plainText == """
            heatmap 2×2 "w", colour scale 0…1
                   the  cat
              the  0.5  0.5
              cat    0    1
            """)
    }

    @Test func longColumnLabelsAreRotated() throws {
        let toks = ["internationalization", "a", "b"]
        let root = try parseSVG(try svgText(Renderer.heatmap(weights(3), rowLabels: toks, colLabels: toks, title: nil)))
        let cols = try #require(groups(root, class: "col-labels").first)
        let texts = descendants(cols, named: "text")
        #expect(texts.allSatisfy { attr($0, "transform")?.hasPrefix("rotate(-45") == true })
        // Shortened on the axis, whole in the tooltip.
        #expect(texts[0].stringValue?.hasPrefix("internation…") == true)
        #expect(descendants(texts[0], named: "title").first?.stringValue == "internationalization")
    }

    @Test func sizeStaysSensible() throws {
        for n in [1, 8, 16, 32, 64, 65, 200] {
            let svg = try svgText(Renderer.heatmap(weights(n), rowLabels: nil, colLabels: nil, title: "n = \(n)"))
            let root = try parseSVG(svg)
            let w = try #require(attr(root, "width").flatMap(Double.init)), h = try #require(attr(root, "height").flatMap(Double.init))
            #expect(w <= 850 && h <= 850, "\(n): \(w)×\(h)")
            let cells = descendants(try #require(groups(root, class: "cells").first), named: "rect").count
            let k = (n + 63) / 64, shown = (n + k - 1) / k  // blocks of k entries
            #expect(cells == shown * shown)
            #expect(svg.utf8.count < 700_000, "\(n): \(svg.utf8.count) bytes")
        }
        // 200×200 is drawn as 50×50 means of 4×4 blocks and says so; tooltips give ranges.
        let root = try parseSVG(try svgText(Renderer.heatmap(weights(200))))
        #expect(descendants(root, named: "text").contains { attr($0, "class") == "note" && $0.stringValue == "200×200, shown as 50×50 block means" })
        let first = descendants(try #require(groups(root, class: "cells").first), named: "title").first?.stringValue
        #expect(first?.hasPrefix("0–3 → 0–3: mean 0.00") == true)
        #expect(Renderer.heatmap(weights(64)).data[Renderer.matrixMimeType] != nil)
        #expect(Renderer.heatmap(weights(65)).data[Renderer.matrixMimeType] == nil)
        // Very wide but short matrices too.
        let wide = try parseSVG(try svgText(Renderer.heatmap(Matrix(rows: 2, cols: 1000, repeating: 0.5))))
        #expect(descendants(try #require(groups(wide, class: "cells").first), named: "rect").count == 2 * 63)
    }

    @Test func extremeValuesNeverBreakTheSVG() throws {
        var rng = SplitMix64(seed: 99)
        let specials: [[Double]] = [[-1.7976931348623157e308, 1.7976931348623157e308], [5e-324, -5e-324], [1e-310, 0], [.nan, .nan]]
        for rows in specials {
            let b = Renderer.heatmap(matrix([rows]))
            _ = try parseSVG(try svgText(b))
        }
        for _ in 0..<30 {
            let r = Int.random(in: 1...9, using: &rng), c = Int.random(in: 1...9, using: &rng)
            let m = Matrix(rows: r, cols: c) { _, _ in interestingDouble(&rng) }
            let root = try parseSVG(try svgText(Renderer.heatmap(m, rowLabels: nil, colLabels: nil, title: "fuzz")))
            #expect(descendants(try #require(groups(root, class: "cells").first), named: "rect").count == r * c)
            let ticks = descendants(try #require(groups(root, class: "ticks").first), named: "text")
            #expect(ticks.count >= 2 && ticks.count <= 14)
            _ = try parseSVG(try svgText(Renderer.heads([m, m], labels: nil, titles: nil)))
        }
        _ = try parseSVG(try svgText(Renderer.heatmap(matrix([[1, 2]]), scale: -1e308...1e308)))
    }

    @Test func emptyMatrixStillRenders() throws {
        let b = Renderer.heatmap(Matrix(rows: 0, cols: 3, repeating: 0))
        _ = try parseSVG(try svgText(b))
        #expect(b.plainText == "heatmap 0×3, colour scale 0…1 (empty)")
        for m in [Matrix(rows: 3, cols: 0, repeating: 0), Matrix(rows: 0, cols: 0, repeating: 0)] {
            _ = try parseSVG(try svgText(Renderer.heatmap(m, rowLabels: ["a"], colLabels: [], title: "t")))
            _ = try parseSVG(try svgText(Renderer.heads([m, weights(2)], labels: ["x"], titles: ["only"])))
        }
    }

    @Test func headsGrid() throws {
        let toks = ["the", "cat", "<sat>"]
        let b = Renderer.heads((0..<6).map { weights(3, seed: UInt64($0)) }, labels: toks, titles: nil)
        let svg = try svgText(b)
        let root = try parseSVG(svg)
        let panels = groups(root, class: "panel")
        #expect(panels.count == 6)
        #expect(panels.map { p in descendants(p, named: "text").first { attr($0, "class") == "title" }?.stringValue ?? "" }
            == (0..<6).map { "head \($0)" })
        #expect(panels.allSatisfy { descendants(try! #require(groups($0, class: "cells").first), named: "rect").count == 9 })
        #expect(groups(root, class: "colorbar").count == 1)
        #expect(attr(root, "width") != nil && attr(root, "height") != nil)
        // Four per row: panel 4 starts a second row, below panel 0.
        let y0 = Double(attr(descendants(panels[0], named: "rect")[0], "y")!)!
        let y4 = Double(attr(descendants(panels[4], named: "rect")[0], "y")!)!
        #expect(y4 > y0)
        #expect(!svg.contains("<sat>"))
        #expect(b.plainText.hasPrefix("heads: 6 heatmaps, colour scale 0…1\nhead 0 (3×3)\n"))
        let named = Renderer.heads([weights(2), weights(2)], labels: nil, titles: ["first", "second"])
        #expect(named.plainText.contains("\nfirst (2×2)\n") && named.plainText.contains("\nsecond (2×2)\n"))
        _ = try parseSVG(try svgText(Renderer.heads([], labels: nil, titles: nil)))
    }

    @Test func writeSamplesWhenAsked() throws {
        guard let dir = ProcessInfo.processInfo.environment["RENDER_SAMPLES"] else { return }
        let toks = ["the", "cat", "sat", "on", "the", "mat", "<eos>", "internationalization"]
        var causal = weights(8)
        for i in 0..<8 { for j in 0..<8 where j > i { causal[i, j] = 0 } }
        let samples: [(String, MimeBundle)] = [
            ("heatmap", Renderer.heatmap(causal, rowLabels: toks, colLabels: toks, title: "causal attention")),
            ("scores", Renderer.heatmap(matrix([[1.5, -.infinity], [-3, 2]]), rowLabels: ["a", "b"], colLabels: ["a", "b"], title: "scores")),
            ("big", Renderer.heatmap(weights(100), title: "100 tokens")),
            ("row", Renderer.heatmap(matrix([[0.1, 0.2, 0.3, 0.4]]), rowLabels: ["query"], colLabels: ["a", "b", "c", "d"], title: "a long title for a single row of weights")),
            ("one", Renderer.heatmap(matrix([[0.7]]))),
            ("heads", Renderer.heads((0..<6).map { weights(8, seed: UInt64($0)) }, labels: toks, titles: nil)),
        ]
        for (name, b) in samples {
            try svgText(b).write(toFile: "\(dir)/\(name).svg", atomically: true, encoding: .utf8)
        }
    }
}
