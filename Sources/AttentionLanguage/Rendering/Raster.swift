import Glibc

/// An RGB pixel image to draw heatmaps and plots into, then encode as PNG.
///
/// Coordinates are in pixels, origin top-left, x right, y down; a rectangle covers the
/// pixels whose centres lie inside it, so adjacent cells meet without gaps or overlaps.
/// Drawing outside the image is clipped. Text uses `BitmapFont` coverage as alpha.
struct Raster {
    let width: Int, height: Int
    private(set) var pixels: [UInt8]

    typealias Colour = (Double, Double, Double)
    static let black: Colour = (0, 0, 0)
    static let white: Colour = (255, 255, 255)
    static let grey: Colour = (102, 102, 102)
    static let lightGrey: Colour = (136, 136, 136)

    init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        pixels = [UInt8](repeating: 255, count: self.width * self.height * 3)
    }

    /// Mixes `c` into the pixel (x, y) with weight `alpha` ∈ [0, 1].
    mutating func blend(_ x: Int, _ y: Int, _ c: Colour, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let a = min(alpha, 1)
        let k = (y * width + x) * 3
        func mix(_ old: UInt8, _ v: Double) -> UInt8 {
            let o = Double(old)
            return UInt8(min(max((o + (v - o) * a).rounded(), 0), 255))
        }
        pixels[k] = mix(pixels[k], c.0)
        pixels[k + 1] = mix(pixels[k + 1], c.1)
        pixels[k + 2] = mix(pixels[k + 2], c.2)
    }

    mutating func fill(x: Double, y: Double, w: Double, h: Double, _ c: Colour) {
        let x0 = max(0, Int((x - 0.5).rounded(.up))), x1 = min(width, Int((x + w - 0.5).rounded(.up)))
        let y0 = max(0, Int((y - 0.5).rounded(.up))), y1 = min(height, Int((y + h - 0.5).rounded(.up)))
        guard x0 < x1, y0 < y1 else { return }
        let r = UInt8(min(max(c.0.rounded(), 0), 255)), g = UInt8(min(max(c.1.rounded(), 0), 255)), b = UInt8(min(max(c.2.rounded(), 0), 255))
        for py in y0..<y1 {
            var k = (py * width + x0) * 3
            for _ in x0..<x1 {
                pixels[k] = r
                pixels[k + 1] = g
                pixels[k + 2] = b
                k += 3
            }
        }
    }

    /// A 1 px outline just inside the rectangle.
    mutating func stroke(x: Double, y: Double, w: Double, h: Double, _ c: Colour) {
        fill(x: x, y: y, w: w, h: 1, c)
        fill(x: x, y: y + h - 1, w: w, h: 1, c)
        fill(x: x, y: y, w: 1, h: h, c)
        fill(x: x + w - 1, y: y, w: 1, h: h, c)
    }

    /// An anti-aliased segment of the given width: each pixel near it gets coverage from
    /// its centre's distance to the segment (1 inside width/2, fading over one pixel).
    mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width lw: Double, _ c: Colour) {
        let r = lw / 2
        let minX = max(0, Int((min(x0, x1) - r - 1).rounded(.down))), maxX = min(width - 1, Int((max(x0, x1) + r + 1).rounded(.up)))
        let minY = max(0, Int((min(y0, y1) - r - 1).rounded(.down))), maxY = min(height - 1, Int((max(y0, y1) + r + 1).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        let dx = x1 - x0, dy = y1 - y0
        let len2 = dx * dx + dy * dy
        for py in minY...maxY {
            for px in minX...maxX {
                let cx = Double(px) + 0.5, cy = Double(py) + 0.5
                var t = len2 > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / len2 : 0
                t = min(max(t, 0), 1)
                let ex = cx - (x0 + t * dx), ey = cy - (y0 + t * dy)
                let d = (ex * ex + ey * ey).squareRoot()
                let coverage = min(max(r + 0.5 - d, 0), 1)
                if coverage > 0 { blend(px, py, c, alpha: coverage) }
            }
        }
    }

    enum Anchor { case start, middle, end }
    enum Direction { case across, up }

    /// Draws `s` with its baseline at `y` (for `.up`, text reads bottom to top and the
    /// baseline is the vertical line x; `anchor` then measures along y upwards).
    mutating func text(_ s: String, x: Double, y: Double, font: BitmapFont = .regular, _ c: Colour = black,
                       anchor: Anchor = .start, direction: Direction = .across) {
        let w = Double(font.width(s))
        let shift = anchor == .start ? 0 : anchor == .middle ? w / 2 : w
        var pen = 0
        for ch in s {
            let g = font.glyph(ch)
            for gy in 0..<font.height {
                for gx in 0..<g.width {
                    let a = g.alpha(gx, gy, rowLength: g.width)
                    guard a > 0 else { continue }
                    switch direction {
                    case .across:
                        blend(Int((x - shift).rounded()) + pen + gx, Int(y.rounded()) - font.ascent + gy, c, alpha: a)
                    case .up:
                        // rotate 90° anticlockwise: glyph x runs up, glyph y runs right
                        blend(Int(x.rounded()) - font.ascent + gy, Int((y + shift).rounded()) - pen - gx, c, alpha: a)
                    }
                }
            }
            pen += g.advance
        }
    }

    func png() -> [UInt8] { PNG.encode(width: width, height: height, rgb: pixels) }
}

/// A bitmap font: per character an advance and a coverage bitmap `height` rows tall,
/// the baseline `ascent` rows from the top. The glyph data (GlyphTable.swift) is
/// generated by scripts/make_font.py; characters it lacks draw as a hollow box.
struct BitmapFont: Sendable {
    struct Glyph: Sendable {
        let advance: Int
        let width: Int
        let coverage: [UInt8]

        init(advance: Int, width: Int, coverage: String) {
            self.advance = advance
            self.width = width
            self.coverage = coverage.utf8.map { $0 <= 57 ? $0 - 48 : $0 - 87 }  // hex digit → 0…15
        }

        init(advance: Int, width: Int, coverage: [UInt8]) {
            self.advance = advance
            self.width = width
            self.coverage = coverage
        }

        func alpha(_ x: Int, _ y: Int, rowLength: Int) -> Double {
            let k = y * rowLength + x
            return k < coverage.count ? Double(coverage[k]) / 15 : 0
        }
    }

    let ascent: Int
    let height: Int
    let glyphs: [Character: Glyph]
    let missing: Glyph

    init(ascent: Int, height: Int, glyphs: [Character: Glyph]) {
        self.ascent = ascent
        self.height = height
        self.glyphs = glyphs
        // A hollow box from the x-height region down to the baseline.
        let w = max(4, ascent * 6 / 10), top = max(0, ascent - ascent * 3 / 4)
        var box = [UInt8](repeating: 0, count: w * height)
        for y in top..<ascent {
            for x in 0..<(w - 1) where y == top || y == ascent - 1 || x == 0 || x == w - 2 { box[y * w + x] = 12 }
        }
        missing = Glyph(advance: w, width: w, coverage: box)
    }

    func glyph(_ ch: Character) -> Glyph { glyphs[ch] ?? missing }

    func width(_ s: String) -> Int { s.reduce(0) { $0 + glyph($1).advance } }

    /// `s` shortened with `…` until it fits `maxWidth` px.
    func fitting(_ s: String, maxWidth: Int) -> String {
        if width(s) <= maxWidth { return s }
        var t = Array(s)
        while !t.isEmpty && width(String(t) + "…") > maxWidth { t.removeLast() }
        return String(t) + "…"
    }
}
