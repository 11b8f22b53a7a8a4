import AttentionLanguage
import Foundation
import Testing

/// save and load on real files: round trips, paths that leave the notebook's folder, and
/// missing, truncated and hostile files, each a clear ValueError with the bindings kept.
@Suite struct SafetensorsFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func run(_ code: String, session: Session = Session()) -> CellResult {
        session.run(code, host: RecordingHost(folder: folder.path))
    }

    func write(_ bytes: [UInt8], _ name: String) throws {
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    /// A safetensors file with `header` (JSON text) and `data` bytes after it.
    func file(header: String, declaredLength: UInt64? = nil, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
        return out + json + data
    }

    func expectValueError(_ code: String, _ fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let session = Session()
        _ = run("kept = 41", session: session)
        let result = run(code, session: session)
        #expect(result.diagnostic?.kind == .valueError, "\(code): \(String(describing: result.diagnostic))", sourceLocation: sourceLocation)
        #expect(result.diagnostic?.message.contains(fragment) == true, "\(result.diagnostic?.message ?? "no error") lacks \(fragment)", sourceLocation: sourceLocation)
        #expect(run("kept + 1", session: session).value.map { "\($0)" } == "\(Value.number(42))", sourceLocation: sourceLocation)
    }

    @Test func roundTripsAModelAndNestedValues() throws {
        let session = Session()
        let code = """
        m = gpt(vocab: 6, d_model: 8, heads: 2, layers: 2, context: 5, seed: 2)
        save(m, "m.safetensors")
        m2 = load("m.safetensors")
        r = record(a: [eye(2), -inf * ones(1, 2)], b: "text", c: true, d: 0.1)
        save(r, "dir.safetensors")
        r2 = load("dir.safetensors")
        forward(m2, [1, 2, 3]) == forward(m, [1, 2, 3]) && str(r2) == str(r) && r2.d == 0.1 && m2.blocks[1].W2 == m.blocks[1].W2
        """
        #expect(run(code, session: session).value.map { "\($0)" } == "\(Value.bool(true))")
        let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent("m.safetensors")))
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(length % 8 == 0)
        let header = try #require(String(bytes: bytes[8..<(8 + length)], encoding: .utf8))
        #expect(header.contains("\"blocks.0.Wq\":{\"dtype\":\"F64\",\"shape\":[8,8],\"data_offsets\":"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.safetensors.partial").path))
    }

    @Test func pathsStayInsideTheFolder() throws {
        expectValueError("save(eye(2), \"/tmp/x.safetensors\")", "absolute paths are not allowed")
        expectValueError("save(eye(2), \"../x.safetensors\")", "'..' is not allowed")
        expectValueError("load(\"a/../../x.safetensors\")", "'..' is not allowed")
        expectValueError("save(eye(2), \"x.bin\")", "must end in .safetensors")
        expectValueError("save(eye(2), \"\")", "the path is empty")
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        _ = run("save(eye(2), \"o.safetensors\")", session: Session())
        try FileManager.default.moveItem(at: folder.appendingPathComponent("o.safetensors"), to: outside.appendingPathComponent("o.safetensors"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.safetensors"), withDestinationURL: outside.appendingPathComponent("o.safetensors"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("out"), withDestinationURL: outside)
        expectValueError("load(\"link.safetensors\")", "outside the notebook's folder")
        expectValueError("load(\"out/o.safetensors\")", "outside the notebook's folder")
        expectValueError("save(eye(2), \"out/new.safetensors\")", "outside the notebook's folder")
        expectValueError("save(eye(2), \"link.safetensors\")", "outside the notebook's folder")
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("new.safetensors").path))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("dir.safetensors"), withIntermediateDirectories: true)
        expectValueError("load(\"dir.safetensors\")", "not a regular file")
    }

    @Test func missingTruncatedAndHostileFilesAreValueErrors() throws {
        expectValueError("load(\"none.safetensors\")", "there is no file \"none.safetensors\"")
        try write([1, 2, 3], "short.safetensors")
        expectValueError("load(\"short.safetensors\")", "fewer than the 8-byte header")
        try write(file(header: "{}", declaredLength: 1 << 62), "length.safetensors")
        expectValueError("load(\"length.safetensors\")", "declare a header of 4611686018427387904 bytes")
        try write(file(header: "{\"a\": "), "json.safetensors")
        expectValueError("load(\"json.safetensors\")", "its header is not JSON")
        try write(file(header: "[1, 2]"), "array.safetensors")
        expectValueError("load(\"array.safetensors\")", "not a JSON object")
        try write(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0]), "f32.safetensors")
        expectValueError("load(\"f32.safetensors\")", "dtype F32")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[1000000000,1000000000],\"data_offsets\":[0,8]}}", data: [UInt8](repeating: 0, count: 8)), "huge.safetensors")
        expectValueError("load(\"huge.safetensors\")", "more than the 16777216 elements")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[4503599627370496,4096],\"data_offsets\":[0,8]}}"), "overflow.safetensors")
        expectValueError("load(\"overflow.safetensors\")", "more than the 16777216 elements")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,32]}}", data: [UInt8](repeating: 0, count: 16)), "truncated.safetensors")
        expectValueError("load(\"truncated.safetensors\")", "is it truncated?")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[8,0]}}", data: [UInt8](repeating: 0, count: 32)), "backwards.safetensors")
        expectValueError("load(\"backwards.safetensors\")", "no valid data_offsets")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", data: [UInt8](repeating: 0, count: 32)), "size.safetensors")
        expectValueError("load(\"size.safetensors\")", "has 16 bytes of data but its shape needs 32")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[2,2,2],\"data_offsets\":[0,64]}}", data: [UInt8](repeating: 0, count: 64)), "rank.safetensors")
        expectValueError("load(\"rank.safetensors\")", "3 dimensions")
        try write(file(header: "{\"w\":{\"dtype\":\"F64\",\"shape\":[-1,2],\"data_offsets\":[0,0]}}"), "negative.safetensors")
        expectValueError("load(\"negative.safetensors\")", "no valid shape")
        try write(file(header: "{\"w\":7}"), "entry.safetensors")
        expectValueError("load(\"entry.safetensors\")", "is not an object")
        try write(file(header: "{\"__metadata__\":{\"attention.layout\":\"{\\\"tensor\\\":\\\"nope\\\"}\"}}"), "layout.safetensors")
        expectValueError("load(\"layout.safetensors\")", "attention.layout metadata is damaged")
        try write(file(header: "{\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},\"a.b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}", data: [UInt8](repeating: 0, count: 16)), "names.safetensors")
        expectValueError("load(\"names.safetensors\")", "both a tensor and a folder")
        try write([1, 0, 0, 0, 0, 0, 0, 0, 0xFF], "utf8.safetensors")
        expectValueError("load(\"utf8.safetensors\")", "not UTF-8 text")
        try write([0, 0, 0, 0, 0, 0, 0, 0], "empty.safetensors")
        expectValueError("load(\"empty.safetensors\")", "its header is not JSON")
        // A valid file cut short anywhere is an error, never a crash.
        _ = run("save(gpt(vocab: 4, d_model: 4, heads: 2, layers: 1, context: 3), \"whole.safetensors\")")
        let whole = try [UInt8](Data(contentsOf: folder.appendingPathComponent("whole.safetensors")))
        for cut in stride(from: 0, to: whole.count, by: max(1, whole.count / 40)) {
            try write(Array(whole.prefix(cut)), "cut.safetensors")
            #expect(run("load(\"cut.safetensors\")").diagnostic?.kind == .valueError, "cut at \(cut)")
        }
    }

    @Test func aFileFromElsewhereLoadsAsNestedRecords() throws {
        func tensor(_ name: String, _ shape: String, _ begin: Int, _ end: Int) -> String {
            "\"\(name)\":{\"dtype\":\"F64\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
        }
        let values: [Double] = [1, 2, 3, 4, 5]
        let data = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let header = "{\"__metadata__\":{\"format\":\"pt\"}," + tensor("h.1.w", "[2]", 0, 16) + "," + tensor("h.0.w", "[1,1]", 16, 24) + "," + tensor("scale", "[]", 24, 32) + "," + tensor("v", "[1,1]", 32, 40) + "}"
        try write(file(header: header, data: data), "py.safetensors")
        let result = run("p = load(\"py.safetensors\")\nstr([len(p.h), p.h[0].w, p.h[1].w, p.scale, p.v])")
        guard case .string(let text)? = result.value else { Issue.record("no string: \(String(describing: result.diagnostic))"); return }
        #expect(text.contains("2") && text.contains("3") && text.contains("1  2"), "\(text)")
    }
}
