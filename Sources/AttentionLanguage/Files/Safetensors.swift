import AttentionCore
import JSONValues

/// What is wrong with a file `load` was asked to read (each case is one sentence).
enum SafetensorsProblem: Error, Sendable, Equatable {
    case tooShort(bytes: Int)
    case headerLength(declared: UInt64, available: Int)
    case headerNotUTF8
    case headerNotJSON(String)
    case headerNotObject
    case entryNotObject(name: String)
    case dtype(name: String, found: String)
    case shape(name: String)
    case rank(name: String, rank: Int)
    case tooManyElements(name: String, limit: Int)
    case offsets(name: String)
    case offsetsOutOfRange(name: String, end: Int, available: Int)
    case sizeMismatch(name: String, bytes: Int, expected: Int)
    case metadataNotStrings
    case fileTooLarge(bytes: Int, limit: Int)
    case layout(String)
    case conflictingNames(String)

    var message: String {
        switch self {
        case .tooShort(let bytes): "it has \(bytes) bytes, fewer than the 8-byte header length every safetensors file starts with"
        case .headerLength(let declared, let available): "its first 8 bytes declare a header of \(declared) bytes, but only \(available) bytes follow"
        case .headerNotUTF8: "its header is not UTF-8 text"
        case .headerNotJSON(let why): "its header is not JSON (\(why))"
        case .headerNotObject: "its header is not a JSON object of tensors"
        case .entryNotObject(let name): "the header entry '\(name)' is not an object with dtype, shape and data_offsets"
        case .dtype(let name, let found): "the tensor '\(name)' has dtype \(found); this kernel reads F64 (float64) only: save it as float64"
        case .shape(let name): "the tensor '\(name)' has no valid shape (a list of whole numbers ≥ 0)"
        case .rank(let name, let rank): "the tensor '\(name)' has \(rank) dimensions; a matrix has at most 2"
        case .tooManyElements(let name, let limit): "the tensor '\(name)' declares more than the \(limit) elements allowed (raise ATTN_MAX_ELEMENTS to allow more)"
        case .offsets(let name): "the tensor '\(name)' has no valid data_offsets (two whole numbers, begin ≤ end)"
        case .offsetsOutOfRange(let name, let end, let available): "the data of '\(name)' ends at byte \(end), past the \(available) bytes of data in the file (is it truncated?)"
        case .sizeMismatch(let name, let bytes, let expected): "the tensor '\(name)' has \(bytes) bytes of data but its shape needs \(expected)"
        case .metadataNotStrings: "its __metadata__ is not an object of strings"
        case .fileTooLarge(let bytes, let limit): "it is \(bytes) bytes, more than the \(limit) allowed (raise ATTN_MAX_ELEMENTS to allow more)"
        case .layout(let why): "its attention.layout metadata is damaged (\(why))"
        case .conflictingNames(let name): "the tensor name '\(name)' is both a tensor and a folder of tensors"
        }
    }
}

/// The safetensors format (huggingface/safetensors): an unsigned 64-bit little-endian
/// header length N, N bytes of JSON mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data after
/// the header), an optional "__metadata__" object of strings, then the raw little-endian
/// tensor bytes. This kernel writes and reads F64 only; matrices are 2-D, [rows, cols].
enum Safetensors {
    /// The file bytes of `tensors` (in this order, packed) and `metadata`. The header is
    /// padded with spaces to a multiple of 8 bytes, as the reference writer does, so the
    /// data is aligned.
    static func encode(tensors: [(name: String, matrix: Matrix)], metadata: [(String, String)]) -> [UInt8] {
        var header: [(String, JSONValue)] = []
        if !metadata.isEmpty { header.append(("__metadata__", .object(JSONObject(metadata.map { ($0.0, .string($0.1)) })))) }
        var offset = 0
        for tensor in tensors {
            let bytes = tensor.matrix.count * 8
            header.append((tensor.name, .object(JSONObject([
                ("dtype", .string("F64")),
                ("shape", .array([.number(Double(tensor.matrix.rows)), .number(Double(tensor.matrix.cols))])),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + bytes))])),
            ]))))
            offset += bytes
        }
        var json = Array(JSONValue.object(JSONObject(header)).serialized().utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for tensor in tensors {
            for value in tensor.matrix.storage {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Reads `bytes` as safetensors, checking every declared size against the bytes that
    /// are there before allocating: a damaged or hostile file is a `SafetensorsProblem`,
    /// never a trap or a huge allocation. Tensors come back in header order; shapes [] and
    /// [n] are read as 1×1 and 1×n.
    static func decode(_ bytes: [UInt8], maxElements: Int) throws(SafetensorsProblem) -> (tensors: [(name: String, matrix: Matrix)], metadata: [(String, String)]) {
        guard bytes.count >= 8 else { throw .tooShort(bytes: bytes.count) }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let available = bytes.count - 8
        guard declared <= UInt64(available) else { throw .headerLength(declared: declared, available: available) }
        let headerEnd = 8 + Int(declared)
        guard let text = String(validating: bytes[8..<headerEnd], as: UTF8.self) else { throw .headerNotUTF8 }
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(text) } catch { throw .headerNotJSON(error.description) }
        guard let object = parsed.objectValue else { throw .headerNotObject }
        let dataCount = bytes.count - headerEnd
        var tensors: [(name: String, matrix: Matrix)] = []
        var metadata: [(String, String)] = []
        var total = 0
        for (name, entry) in object.pairs {
            if name == "__metadata__" {
                guard let pairs = entry.objectValue?.pairs else { throw .metadataNotStrings }
                for (key, value) in pairs {
                    guard let string = value.stringValue else { throw .metadataNotStrings }
                    metadata.append((key, string))
                }
                continue
            }
            guard let fields = entry.objectValue else { throw .entryNotObject(name: name) }
            let dtype = fields["dtype"]?.stringValue ?? fields["dtype"].map { $0.serialized() } ?? "missing"
            guard dtype == "F64" else { throw .dtype(name: name, found: dtype) }
            guard let shapeItems = fields["shape"]?.arrayValue else { throw .shape(name: name) }
            var shape: [Int] = []
            for item in shapeItems {
                guard let d = item.intValue, d >= 0 else { throw .shape(name: name) }
                shape.append(d)
            }
            guard shape.count <= 2 else { throw .rank(name: name, rank: shape.count) }
            let (rows, cols) = shape.count == 2 ? (shape[0], shape[1]) : (1, shape.first ?? 1)
            let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
            guard !overflow, count <= maxElements else { throw .tooManyElements(name: name, limit: maxElements) }
            total += count
            guard total <= maxElements else { throw .tooManyElements(name: name, limit: maxElements) }
            guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end else {
                throw .offsets(name: name)
            }
            guard end <= dataCount else { throw .offsetsOutOfRange(name: name, end: end, available: dataCount) }
            guard end - begin == count * 8 else { throw .sizeMismatch(name: name, bytes: end - begin, expected: count * 8) }
            var storage = [Double](repeating: 0, count: count)
            let start = headerEnd + begin
            for index in 0..<count {
                var bits: UInt64 = 0
                let at = start + index * 8
                for byte in 0..<8 { bits |= UInt64(bytes[at + byte]) << (8 * UInt64(byte)) }
                storage[index] = Double(bitPattern: bits)
            }
            guard let matrix = try? Matrix(rows: rows, cols: cols, storage: storage) else { throw .shape(name: name) }
            tensors.append((name, matrix))
        }
        return (tensors, metadata)
    }
}
