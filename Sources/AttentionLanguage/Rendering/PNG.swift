/// A PNG encoder for 8-bit RGB images (colour type 2), enough for heatmaps and plots.
///
/// Why our own: heatmaps need a raster form (untrusted notebooks, LaTeX/PDF export,
/// viewers that show only images) and the kernel links no image library. The file is
/// signature, IHDR, one IDAT, IEND (PNG spec, ISO/IEC 15948); each chunk ends in the
/// CRC-32 (polynomial 0xEDB88320, reflected) of its type and data. IDAT is a zlib stream
/// (RFC 1950: header 0x78 0x01, deflate data, Adler-32 of the raw bytes, big-endian)
/// holding one deflate block with the fixed Huffman code (RFC 1951 §3.2.6).
///
/// Compression: every row gets the filter (None, Sub or Up) with the smallest sum of
/// |byte| (as signed), the PNG spec's suggested heuristic; flat colour then becomes runs
/// of zeros, which the matcher codes as back-references at distance 1, 3 (one pixel) or
/// one row back. Enough for images of flat cells and thin text: a 6×6 heatmap is a few KB.
enum PNG {
    static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3)
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = []
        ihdr += bigEndian(UInt32(width))
        ihdr += bigEndian(UInt32(height))
        ihdr += [8, 2, 0, 0, 0]  // bit depth 8, RGB, deflate, adaptive filtering, no interlace
        chunk("IHDR", ihdr, into: &out)
        chunk("IDAT", zlib(filtered(width: width, height: height, rgb: rgb), stride: width * 3 + 1), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    // MARK: Filtering

    static func filtered(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        let stride = width * 3
        var out = [UInt8](repeating: 0, count: (stride + 1) * height)
        rgb.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * stride
                    // cost of each filter: sum of |byte| read as signed
                    var cost = (0, 0, 0)
                    for i in 0..<stride {
                        let x = px[row + i]
                        let left = i >= 3 ? px[row + i - 3] : 0
                        let up = y > 0 ? px[row - stride + i] : 0
                        cost.0 += signedMagnitude(x)
                        cost.1 += signedMagnitude(x &- left)
                        cost.2 += signedMagnitude(x &- up)
                    }
                    let filter: UInt8 = cost.0 <= cost.1 && cost.0 <= cost.2 ? 0 : cost.1 <= cost.2 ? 1 : 2
                    let base = y * (stride + 1)
                    dst[base] = filter
                    for i in 0..<stride {
                        let x = px[row + i]
                        switch filter {
                        case 0: dst[base + 1 + i] = x
                        case 1: dst[base + 1 + i] = x &- (i >= 3 ? px[row + i - 3] : 0)
                        default: dst[base + 1 + i] = x &- (y > 0 ? px[row - stride + i] : 0)
                        }
                    }
                }
            }
        }
        return out
    }

    private static func signedMagnitude(_ b: UInt8) -> Int { b < 128 ? Int(b) : 256 - Int(b) }

    // MARK: zlib and deflate

    static func zlib(_ data: [UInt8], stride: Int) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window; FCHECK makes 0x7801 % 31 == 0
        out += deflateFixed(data, stride: stride)
        out += bigEndian(adler32(data))
        return out
    }

    /// One final deflate block with the fixed Huffman code; back-references only at the
    /// distances 1, 3 and `stride` (PNG rows), greedy, lengths 3…258.
    static func deflateFixed(_ data: [UInt8], stride: Int) -> [UInt8] {
        var w = BitWriter()
        w.bits(1, 1)  // BFINAL
        w.bits(1, 2)  // BTYPE 01: fixed Huffman
        let distances = [1, 3, stride].filter { $0 > 0 && $0 <= 32768 }
        var i = 0
        let count = data.count
        while i < count {
            var bestLen = 0, bestDist = 0
            data.withUnsafeBufferPointer { bytes in
                for d in distances where d <= i {
                    var n = 0
                    while n < 258 && i + n < count && bytes[i + n] == bytes[i + n - d] { n += 1 }
                    if n > bestLen { bestLen = n; bestDist = d }
                }
            }
            if bestLen >= 3 {
                w.length(bestLen)
                w.distance(bestDist)
                i += bestLen
            } else {
                w.literal(Int(data[i]))
                i += 1
            }
        }
        w.literal(256)  // end of block
        return w.finish()
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            // 5552 bytes is the most that can be summed before b may overflow 32 bits.
            let end = min(i + 5552, data.count)
            while i < end {
                a += UInt32(data[i])
                b += a
                i += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32<S: Sequence<UInt8>>(_ bytes: S) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
        out += bigEndian(UInt32(data.count))
        let body = Array(type.utf8) + data
        out += body
        out += bigEndian(crc32(body))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}

/// Deflate's bit order: data elements least-significant bit first, Huffman codes most-
/// significant bit first (RFC 1951 §3.1.1).
struct BitWriter {
    private var out: [UInt8] = []
    private var acc: UInt32 = 0
    private var count: UInt32 = 0

    /// `n` bits of `value`, least significant first.
    mutating func bits(_ value: Int, _ n: Int) {
        acc |= UInt32(value) << count
        count += UInt32(n)
        while count >= 8 {
            out.append(UInt8(acc & 0xFF))
            acc >>= 8
            count -= 8
        }
    }

    /// A Huffman code of `n` bits, most significant first.
    mutating func code(_ value: Int, _ n: Int) {
        var reversed = 0
        for k in 0..<n where value >> k & 1 == 1 { reversed |= 1 << (n - 1 - k) }
        bits(reversed, n)
    }

    /// Fixed literal/length code (RFC 1951 §3.2.6).
    mutating func literal(_ v: Int) {
        switch v {
        case 0...143: code(0x30 + v, 8)
        case 144...255: code(0x190 + v - 144, 9)
        case 256...279: code(v - 256, 7)
        default: code(0xC0 + v - 280, 8)
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                             67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                           1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    mutating func length(_ n: Int) {
        var k = Self.lengthBase.count - 1
        while Self.lengthBase[k] > n { k -= 1 }
        literal(257 + k)
        bits(n - Self.lengthBase[k], Self.lengthExtra[k])
    }

    mutating func distance(_ d: Int) {
        var k = Self.distBase.count - 1
        while Self.distBase[k] > d { k -= 1 }
        code(k, 5)
        bits(d - Self.distBase[k], Self.distExtra[k])
    }

    mutating func finish() -> [UInt8] {
        if count > 0 { out.append(UInt8(acc & 0xFF)) }
        acc = 0
        count = 0
        return out
    }
}

extension Renderer {
    /// Standard base64 (RFC 4648, with padding), for `data:` URLs and `image/png` in bundles.
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i]), b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[n >> 18 & 63])
            out.append(alphabet[n >> 12 & 63])
            out.append(i + 1 < bytes.count ? alphabet[n >> 6 & 63] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[n & 63] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
