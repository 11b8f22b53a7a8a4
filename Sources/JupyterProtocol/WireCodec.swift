import FoundationEssentials
import JSONValues

/// Why a multipart message could not be read. Never a crash: the transport logs it and
/// drops the message.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `<IDS|MSG>` frame.
    case missingDelimiter
    /// Fewer than the five frames (signature + four JSON) after the delimiter.
    case tooFewFrames(Int)
    /// The HMAC did not match (or was missing while a key is set).
    case badSignature
    /// A JSON frame (`header`, `parent_header`, `metadata`, `content`) did not parse.
    case invalidJSON(frame: String)
    /// A JSON frame was valid JSON but not an object.
    case notAnObject(frame: String)
    /// The header lacks a string `msg_type`.
    case invalidHeader

    public var description: String {
        switch self {
        case .missingDelimiter: "no <IDS|MSG> delimiter"
        case .tooFewFrames(let n): "expected at least 5 frames after <IDS|MSG>, got \(n)"
        case .badSignature: "bad or missing HMAC signature"
        case .invalidJSON(let frame): "\(frame) is not valid JSON"
        case .notAnObject(let frame): "\(frame) is not a JSON object"
        case .invalidHeader: "header has no string msg_type"
        }
    }
}

/// Jupyter wire framing as pure functions over bytes:
/// `[identities…, "<IDS|MSG>", hmac_hex, header, parent_header, metadata, content, buffers…]`.
public enum WireCodec {
    /// The frame separating routing identities from the message.
    public static let delimiter = Data("<IDS|MSG>".utf8)

    /// The frames of `message`, signed with `signer`.
    public static func encode(_ message: Message, signer: MessageSigner) -> [Data] {
        let parts = [
            message.header.json.serializedData(), message.parentHeader.serializedData(),
            message.metadata.serializedData(), message.content.serializedData(),
        ]
        let signature = Data(signer.signature(for: parts).utf8)
        return message.identities + [delimiter, signature] + parts + message.buffers
    }

    /// Reads and authenticates `frames`. The signature is checked over the JSON frames
    /// exactly as received, before any parsing.
    public static func decode(_ frames: [Data], signer: MessageSigner) throws(WireError) -> Message {
        guard let split = frames.firstIndex(of: delimiter) else { throw .missingDelimiter }
        let rest = frames[(split + 1)...]
        guard rest.count >= 5 else { throw .tooFewFrames(rest.count) }
        let signature = rest[rest.startIndex]
        let parts = Array(rest[(rest.startIndex + 1)..<(rest.startIndex + 5)])
        guard signer.isValid(signature: signature, for: parts) else { throw .badSignature }
        let names = ["header", "parent_header", "metadata", "content"]
        var values: [JSONValue] = []
        for (name, bytes) in zip(names, parts) {
            guard let value = try? JSONValue.parse(bytes) else { throw .invalidJSON(frame: name) }
            guard case .object = value else { throw .notAnObject(frame: name) }
            values.append(value)
        }
        guard let header = MessageHeader(json: values[0]) else { throw .invalidHeader }
        return Message(
            identities: Array(frames[..<split]), header: header, parentHeader: values[1],
            metadata: values[2], content: values[3], buffers: Array(rest.dropFirst(5)))
    }
}
