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
        let toks = ["the", "cat", "sat", "down"]
        let b = Renderer.heatmap(weights(4), rowLabels: toks, colLabels: toks, title: "lesson 1")
        #expect(b.data["application/json"] == nil)
        let svg = Renderer.heatmapSVG(weights(4), rowLabels: toks, colLabels: toks, title: "lesson 1")
        let root = try parseSVG(svg)
        #expect(root.localName == "svg")
        let w = try #require(attr(root, "width").flatMap(Double.init)), h = try #require(attr(root, "height").flatMap(Double.init))
        #expect(w > 100 && w <= 850 && h > 100 && h <= 850)
        #expect(attr(root, "viewBox") == "0 0 \(Renderer.formatNumber(w)) \(Renderer.formatNumber(h))")
        #expect(!svg.contains("<script") && !svg.contains("id=\""))
        // No SVG in the bundle: untrusted notebooks never draw it, LaTeX would need Inkscape.
        #expect(b.data["image/svg+xml"] == nil)
        #expect(b.data["image/png"] != nil && b.data["text/html"] != nil)
        #expect(b.data[Renderer.matrixMimeType] != nil)
    }

    @Test func oneRectPerCellWithTooltips() throws {
        let m = matrix([[0.5, 0.5, 0], [0.25, 0.25, 0.5]])
        let root = try parseSVG((Renderer.heatmapSVG(m, rowLabels: ["a", "b"], colLabels: ["x", "y", "z"])))
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
        let svg = Renderer.heatmapSVG(weights(4), rowLabels: toks, colLabels: toks, title: "<script>alert(1)</script>")
        let html = try #require(b.data["text/html"]?.stringValue)
        #expect(!html.contains("<b>&") && !html.contains("<script") && html.contains("&lt;b&gt;") && html.contains("a&amp;b"))
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
        _ = try parseSVG((Renderer.heatmapSVG(weights(2), rowLabels: toks, colLabels: toks, title: nil)))
    }

    @Test func colourBarWithTicks() throws {
        let root = try parseSVG((Renderer.heatmapSVG(weights(3), rowLabels: nil, colLabels: nil, title: nil)))
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
        let root = try parseSVG(Renderer.heatmapSVG(matrix([[-2, 3], [0.5, 1]])))
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
        let root = try parseSVG((Renderer.heatmapSVG(masked, rowLabels: ["a", "b"], colLabels: ["a", "b"], title: "scores")))
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
        let root = try parseSVG((Renderer.heatmapSVG(weights(3), rowLabels: toks, colLabels: toks, title: nil)))
        let cols = try #require(groups(root, class: "col-labels").first)
        let texts = descendants(cols, named: "text")
        #expect(texts.allSatisfy { attr($0, "transform")?.hasPrefix("rotate(-45") == true })
        // Shortened on the axis, whole in the tooltip.
        #expect(texts[0].stringValue?.hasPrefix("internation…") == true)
        #expect(descendants(texts[0], named: "title").first?.stringValue == "internationalization")
    }

    @Test func sizeStaysSensible() throws {
        for n in [1, 8, 16, 32, 64, 65, 200] {
            let svg = (Renderer.heatmapSVG(weights(n), rowLabels: nil, colLabels: nil, title: "n = \(n)"))
            let root = try parseSVG(svg)
            let w = try #require(attr(root, "width").flatMap(Double.init)), h = try #require(attr(root, "height").flatMap(Double.init))
            #expect(w <= 850 && h <= 850, "\(n): \(w)×\(h)")
            let cells = descendants(try #require(groups(root, class: "cells").first), named: "rect").count
            let k = (n + 63) / 64, shown = (n + k - 1) / k  // blocks of k entries
            #expect(cells == shown * shown)
            #expect(svg.utf8.count < 700_000, "\(n): \(svg.utf8.count) bytes")
        }
        // 200×200 is drawn as 50×50 means of 4×4 blocks and says so; tooltips give ranges.
        let root = try parseSVG((Renderer.heatmapSVG(weights(200))))
        #expect(descendants(root, named: "text").contains { attr($0, "class") == "note" && $0.stringValue == "200×200, shown as 50×50 block means" })
        let first = descendants(try #require(groups(root, class: "cells").first), named: "title").first?.stringValue
        #expect(first?.hasPrefix("0–3 → 0–3: mean 0.00") == true)
        #expect(Renderer.heatmap(weights(64)).data[Renderer.matrixMimeType] != nil)
        #expect(Renderer.heatmap(weights(65)).data[Renderer.matrixMimeType] == nil)
        // Very wide but short matrices too.
        let wide = try parseSVG((Renderer.heatmapSVG(Matrix(rows: 2, cols: 1000, repeating: 0.5))))
        #expect(descendants(try #require(groups(wide, class: "cells").first), named: "rect").count == 2 * 63)
    }

    @Test func extremeValuesNeverBreakTheSVG() throws {
        var rng = SplitMix64(seed: 99)
        let specials: [[Double]] = [[-1.7976931348623157e308, 1.7976931348623157e308], [5e-324, -5e-324], [1e-310, 0], [.nan, .nan]]
        for rows in specials {
            _ = try parseSVG(Renderer.heatmapSVG(matrix([rows])))
            let b = Renderer.heatmap(matrix([rows]))
            _ = try parseSVG(try #require(b.data["text/html"]?.stringValue))
        }
        for _ in 0..<30 {
            let r = Int.random(in: 1...9, using: &rng), c = Int.random(in: 1...9, using: &rng)
            let m = Matrix(rows: r, cols: c) { _, _ in interestingDouble(&rng) }
            let root = try parseSVG((Renderer.heatmapSVG(m, rowLabels: nil, colLabels: nil, title: "fuzz")))
            #expect(descendants(try #require(groups(root, class: "cells").first), named: "rect").count == r * c)
            let ticks = descendants(try #require(groups(root, class: "ticks").first), named: "text")
            #expect(ticks.count >= 2 && ticks.count <= 14)
            _ = try parseSVG((Renderer.headsSVG([m, m], labels: nil, titles: nil)))
        }
        _ = try parseSVG((Renderer.heatmapSVG(matrix([[1, 2]]), scale: -1e308...1e308)))
    }

    @Test func emptyMatrixStillRenders() throws {
        let b = Renderer.heatmap(Matrix(rows: 0, cols: 3, repeating: 0))
        _ = try parseSVG(Renderer.heatmapSVG(Matrix(rows: 0, cols: 3, repeating: 0)))
        _ = try parseSVG(try #require(b.data["text/html"]?.stringValue))
        #expect(b.plainText == "heatmap 0×3, colour scale 0…1 (empty)")
        for m in [Matrix(rows: 3, cols: 0, repeating: 0), Matrix(rows: 0, cols: 0, repeating: 0)] {
            _ = try parseSVG((Renderer.heatmapSVG(m, rowLabels: ["a"], colLabels: [], title: "t")))
            _ = try parseSVG((Renderer.headsSVG([m, weights(2)], labels: ["x"], titles: ["only"])))
        }
    }

    @Test func headsGrid() throws {
        let toks = ["the", "cat", "<sat>"]
        let b = Renderer.heads((0..<6).map { weights(3, seed: UInt64($0)) }, labels: toks, titles: nil)
        let svg = Renderer.headsSVG((0..<6).map { weights(3, seed: UInt64($0)) }, labels: toks, titles: nil)
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
        _ = try parseSVG((Renderer.headsSVG([], labels: nil, titles: nil)))
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
            ("loss", Renderer.linePlot((0..<200).map { 2.5 * exp(-Double($0) / 40) + 0.3 + 0.05 * sin(Double($0)) }, title: "training loss", yLabel: "loss")),
        ]
        for (name, b) in samples {
            if let html = b.data["text/html"]?.stringValue {
                try "<!doctype html><meta charset=\"utf-8\">\(html)".write(toFile: "\(dir)/\(name).html", atomically: true, encoding: .utf8)
            }
            if let png = b.data["image/png"]?.stringValue, let bytes = Data(base64Encoded: png) {
                try bytes.write(to: URL(fileURLWithPath: "\(dir)/\(name).png"))
            }
        }
    }

    // MARK: HTML table (what untrusted notebooks and nbconvert HTML show)

    @Test func htmlTableHasColouredCellsWithTooltipsLabelsAndKey() throws {
        let m = matrix([[0.5, 0.5, 0], [0.25, 0.25, 0.5]])
        let html = try #require(Renderer.heatmap(m, rowLabels: ["a", "b"], colLabels: ["x", "y", "z"], title: "w").data["text/html"]?.stringValue)
        let root = try parseSVG(html)  // well-formed XML
        #expect(attr(root, "class") == "attention-heatmap")
        #expect(descendants(root, named: "svg").isEmpty)
        let table = try #require(descendants(root, named: "table").first { attr($0, "class") == "heatmap-cells" })
        let tds = descendants(table, named: "td")
        #expect(tds.map { attr($0, "title") ?? "" } == ["a → x: 0.5", "a → y: 0.5", "a → z: 0", "b → x: 0.25", "b → y: 0.25", "b → z: 0.5"])
        #expect(attr(tds[2], "style")?.contains("background-color:#440154") == true)
        #expect(attr(tds[0], "style")?.contains("background-color:#26828e") == true)
        #expect(tds.map { $0.stringValue ?? "" } == ["0.50", "0.50", "0", "0.25", "0.25", "0.50"])
        let headers = descendants(table, named: "th").map { $0.stringValue ?? "" }
        #expect(headers == ["", "x", "y", "z", "a", "b"])
        #expect(descendants(table, named: "caption").first?.stringValue?.hasPrefix("w") == true)
        let key = try #require(descendants(root, named: "table").first { attr($0, "class") == "colour-key" })
        let keyLabels = descendants(key, named: "td").compactMap { $0.stringValue }.filter { !$0.isEmpty }
        #expect(keyLabels == ["1", "0.8", "0.6", "0.4", "0.2", "0"])
    }

    @Test func htmlHeadsGridAndNonFinite() throws {
        let html = try #require(Renderer.heads((0..<6).map { weights(3, seed: UInt64($0)) }, labels: ["p", "q", "r"], titles: nil)
            .data["text/html"]?.stringValue)
        let root = try parseSVG(html)
        let panels = descendants(root, named: "table").filter { attr($0, "class") == "heatmap-cells" }
        #expect(panels.count == 6)
        #expect(panels.allSatisfy { descendants($0, named: "td").count == 9 })
        #expect(panels.map { descendants($0, named: "b").first?.stringValue ?? "" } == (0..<6).map { "head \($0)" })
        let masked = try #require(Renderer.heatmap(matrix([[0.1, -.infinity]])).data["text/html"]?.stringValue)
        #expect(masked.contains("title=\"0 → 1: -inf\" style=\"background-color:\(Renderer.nonFiniteColour)"))
        #expect(masked.contains(">nan/inf<"))
    }

    // MARK: PNG

    @Test func checksumsMatchTheirStandards() {
        #expect(PNG.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Renderer.base64(Array("Man".utf8)) == "TWFu" && Renderer.base64(Array("Ma".utf8)) == "TWE=" && Renderer.base64([77]) == "TQ==")
    }

    @Test func heatmapPNGDecodesToTheCellColours() throws {
        // A 2×2 heatmap: decode the PNG (inflate in the test), check a pixel in each cell.
        let m = matrix([[0, 1], [0.5, 0]])
        let png = try #require(Renderer.heatmap(m).data["image/png"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        let image = try decodePNG([UInt8](png))
        let fig = HeatFigure.single(m, rowLabels: nil, colLabels: nil, title: nil, scale: nil)
        #expect(image.width == Int(fig.width) && image.height == Int(fig.height))
        let (panel, ox, oy) = fig.panels[0]
        for i in 0..<2 {
            for j in 0..<2 {
                let x = Int(ox + panel.gridX + (Double(j) + 0.15) * panel.cell), y = Int(oy + panel.gridY + (Double(i) + 0.15) * panel.cell)
                #expect(Renderer.hex(image.pixel(x, y)) == Renderer.hex(Renderer.rgb(m[i, j], in: 0...1)), "cell \(i), \(j)")
            }
        }
        // Labels and the colour bar are drawn: dark text pixels left of the grid, the bar's top is yellow.
        let barTop = image.pixel(Int(fig.barX + 5), Int(fig.barY + 2))
        #expect(Renderer.hex(barTop) == Renderer.hex(Renderer.rgb(0.99, in: 0...1)) || barTop.1 > 200)
        var dark = 0
        for y in 0..<image.height { for x in 0..<Int(ox + panel.gridX) where image.pixel(x, y).0 < 100 { dark += 1 } }
        #expect(dark > 10)
    }

    @Test func linePlotBundle() throws {
        let losses = (0..<50).map { 2.0 * exp(-Double($0) / 10) + 0.1 }
        let b = Renderer.linePlot(losses, title: "loss")
        #expect(b.plainText == "line plot \"loss\": 50 points, last 0.114893, min 0.114893 at step 49, max 2.1 at step 0")
        let png = try #require(b.data["image/png"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        let image = try decodePNG([UInt8](png))
        #expect(image.width == Renderer.plotWidth && image.height == Renderer.plotHeight)
        var blue = 0
        for y in 0..<image.height { for x in 0..<image.width where image.pixel(x, y) == (31, 119, 180) { blue += 1 } }
        #expect(blue > 150)
        #expect(b.data["text/html"]?.stringValue?.hasPrefix("<img class=\"attention-plot\" src=\"data:image/png;base64,iVBORw0KGgo") == true)
        // Degenerate input still draws.
        for values in [[], [1.0], [.nan, 2, .infinity, 3], [5, 5, 5]] as [[Double]] {
            _ = try decodePNG([UInt8](try #require(Renderer.linePlot(values).data["image/png"]?.stringValue.flatMap { Data(base64Encoded: $0) })))
        }
        #expect(Renderer.linePlot([]).plainText == "line plot: 0 points")
    }

    @Test func severalCurvesEachInItsOwnColourWithALegend() throws {
        let fast = (0..<40).map { 2.0 * exp(-Double($0) / 8) }, slow = (0..<60).map { 2.0 * exp(-Double($0) / 40) }
        let b = Renderer.linePlot(curves: [.init(fast, label: "pre-norm"), .init(slow, label: "post-norm")], title: "loss")
        #expect(b.plainText.hasPrefix("line plot \"loss\": 2 curves; \"pre-norm\": 40 points"))
        #expect(b.plainText.contains("; \"post-norm\": 60 points"))
        let image = try decodePNG([UInt8](try #require(b.data["image/png"]?.stringValue.flatMap { Data(base64Encoded: $0) })))
        func count(_ c: (Double, Double, Double)) -> Int {
            var n = 0
            for y in 0..<image.height { for x in 0..<image.width where image.pixel(x, y) == c { n += 1 } }
            return n
        }
        // both curves are drawn in the palette's first two colours (blue, orange), and the legend's
        // swatches sit in the top right quarter
        #expect(count((31, 119, 180)) > 100 && count((255, 127, 14)) > 100)
        var orangeTopRight = 0
        for y in 0..<(image.height / 4) { for x in (image.width / 2)..<image.width where image.pixel(x, y) == (255, 127, 14) { orangeTopRight += 1 } }
        #expect(orangeTopRight >= 18)
        // the longer curve sets the x range: the shorter one stops short of the right edge
        var blueRightSixth = 0
        for y in 0..<image.height { for x in (image.width * 5 / 6)..<image.width where image.pixel(x, y) == (31, 119, 180) { blueRightSixth += 1 } }
        #expect(blueRightSixth < 20)
    }
}

/// A decoded 8-bit RGB PNG.
struct DecodedPNG {
    let width: Int, height: Int
    let rgb: [UInt8]
    func pixel(_ x: Int, _ y: Int) -> (Double, Double, Double) {
        let k = (y * width + x) * 3
        return (Double(rgb[k]), Double(rgb[k + 1]), Double(rgb[k + 2]))
    }
}

struct PNGDecodeError: Error { let why: String }

/// Checks the chunk CRCs and the zlib Adler-32, inflates (stored and fixed-Huffman
/// blocks: what any deflate stream of the encoder can hold) and undoes the filters.
func decodePNG(_ bytes: [UInt8]) throws -> DecodedPNG {
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw PNGDecodeError(why: "signature") }
    func be(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
    var i = 8, width = 0, height = 0
    var idat: [UInt8] = []
    var sawEnd = false
    while i < bytes.count {
        let n = be(i)
        let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
        let body = Array(bytes[(i + 4)..<(i + 8 + n)])
        guard PNG.crc32(body) == UInt32(be(i + 8 + n)) else { throw PNGDecodeError(why: "CRC of \(type)") }
        let data = Array(body[4...])
        switch type {
        case "IHDR":
            width = Int(data[0]) << 24 | Int(data[1]) << 16 | Int(data[2]) << 8 | Int(data[3])
            height = Int(data[4]) << 24 | Int(data[5]) << 16 | Int(data[6]) << 8 | Int(data[7])
            guard data[8] == 8, data[9] == 2 else { throw PNGDecodeError(why: "not 8-bit RGB") }
        case "IDAT": idat += data
        case "IEND": sawEnd = true
        default: break
        }
        i += 12 + n
    }
    guard sawEnd, width > 0, height > 0 else { throw PNGDecodeError(why: "chunks") }
    guard idat.count > 6, (Int(idat[0]) << 8 | Int(idat[1])) % 31 == 0 else { throw PNGDecodeError(why: "zlib header") }
    let raw = try inflate(Array(idat[2..<(idat.count - 4)]))
    let n = idat.count
    guard PNG.adler32(raw) == UInt32(Int(idat[n - 4]) << 24 | Int(idat[n - 3]) << 16 | Int(idat[n - 2]) << 8 | Int(idat[n - 1])) else {
        throw PNGDecodeError(why: "Adler-32")
    }
    let stride = width * 3
    guard raw.count == (stride + 1) * height else { throw PNGDecodeError(why: "size \(raw.count)") }
    var out = [UInt8](repeating: 0, count: stride * height)
    for y in 0..<height {
        let f = raw[y * (stride + 1)]
        for x in 0..<stride {
            let v = raw[y * (stride + 1) + 1 + x]
            let left = x >= 3 ? out[y * stride + x - 3] : 0, up = y > 0 ? out[(y - 1) * stride + x] : 0
            switch f {
            case 0: out[y * stride + x] = v
            case 1: out[y * stride + x] = v &+ left
            case 2: out[y * stride + x] = v &+ up
            default: throw PNGDecodeError(why: "filter \(f)")
            }
        }
    }
    return DecodedPNG(width: width, height: height, rgb: out)
}

/// RFC 1951 inflate for stored and fixed-Huffman blocks.
func inflate(_ data: [UInt8]) throws -> [UInt8] {
    var pos = 0
    func bit() throws -> Int {
        guard pos / 8 < data.count else { throw PNGDecodeError(why: "deflate: out of data") }
        defer { pos += 1 }
        return Int(data[pos / 8] >> UInt8(pos % 8)) & 1
    }
    func bits(_ n: Int) throws -> Int { var v = 0; for k in 0..<n { v |= try bit() << k }; return v }
    func code(_ n: Int) throws -> Int { var v = 0; for _ in 0..<n { v = v << 1 | (try bit()) }; return v }
    func fixedSymbol() throws -> Int {
        var v = try code(7)
        if v <= 0x17 { return v + 256 }
        v = v << 1 | (try bit())
        if v >= 0x30 && v <= 0xBF { return v - 0x30 }
        if v >= 0xC0 && v <= 0xC7 { return v - 0xC0 + 280 }
        v = v << 1 | (try bit())
        guard v >= 0x190 && v <= 0x1FF else { throw PNGDecodeError(why: "deflate: bad code") }
        return v - 0x190 + 144
    }
    var out: [UInt8] = []
    var final = 0
    repeat {
        final = try bits(1)
        let type = try bits(2)
        if type == 0 {
            pos = (pos + 7) / 8 * 8
            let len = try bits(16)
            _ = try bits(16)
            for _ in 0..<len { out.append(UInt8(try bits(8))) }
        } else if type == 1 {
            while true {
                let s = try fixedSymbol()
                if s < 256 { out.append(UInt8(s)); continue }
                if s == 256 { break }
                let k = s - 257
                let len = BitWriter.lengthBase[k] + (try bits(BitWriter.lengthExtra[k]))
                let dk = try code(5)
                let dist = BitWriter.distBase[dk] + (try bits(BitWriter.distExtra[dk]))
                guard dist <= out.count else { throw PNGDecodeError(why: "deflate: distance") }
                for _ in 0..<len { out.append(out[out.count - dist]) }
            }
        } else {
            throw PNGDecodeError(why: "deflate: block type \(type)")
        }
    } while final == 0
    return out
}
