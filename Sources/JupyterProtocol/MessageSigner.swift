import Crypto
import FoundationEssentials

/// HMAC signing of the four JSON frames of a message (header, parent_header, metadata,
/// content), as the connection file's `key` and `signature_scheme` say.
///
/// The key is the UTF-8 bytes of the `key` string (not hex-decoded). An empty key means
/// "no authentication": the signature is the empty string and nothing is checked.
public struct MessageSigner: Sendable {
    private enum Scheme: Sendable { case sha256, sha384, sha512 }

    /// The key bytes (`SymmetricKey` is not `Sendable`; one is made per use).
    private let key: Data?
    private let scheme: Scheme

    /// - Parameters:
    ///   - key: the connection file's `key`; empty disables signing.
    ///   - scheme: `hmac-sha256` (the default everywhere), `hmac-sha384` or `hmac-sha512`.
    /// - Throws: `ConnectionError.unsupportedSignatureScheme` for anything else.
    public init(key: String, scheme: String = "hmac-sha256") throws(ConnectionError) {
        switch scheme.lowercased() {
        case "hmac-sha256", "": self.scheme = .sha256
        case "hmac-sha384": self.scheme = .sha384
        case "hmac-sha512": self.scheme = .sha512
        default: throw .unsupportedSignatureScheme(scheme)
        }
        self.key = key.isEmpty ? nil : Data(key.utf8)
    }

    /// A signer that neither signs nor checks (empty key).
    public static let unsigned: MessageSigner = MessageSigner(noKey: ())

    private init(noKey: Void) {
        key = nil
        scheme = .sha256
    }

    /// Whether messages are signed and checked.
    public var isEnabled: Bool { key != nil }

    /// The lowercase hex HMAC of `frames` concatenated, or "" when signing is off.
    public func signature<Frames: Sequence>(for frames: Frames) -> String where Frames.Element == Data {
        guard let key else { return "" }
        return Self.hex(mac(frames, key: SymmetricKey(data: key)))
    }

    /// Checks `signature` (the frame as received) against the HMAC of `frames` (as
    /// received), in time independent of where they differ. Always true when signing is off.
    public func isValid<Frames: Sequence>(signature: Data, for frames: Frames) -> Bool where Frames.Element == Data {
        guard let key else { return true }
        let expected = Data(Self.hex(mac(frames, key: SymmetricKey(data: key))).utf8)
        return Self.constantTimeEqual(expected, signature)
    }

    private func mac<Frames: Sequence>(_ frames: Frames, key: SymmetricKey) -> [UInt8] where Frames.Element == Data {
        switch scheme {
        case .sha256:
            var h = HMAC<SHA256>(key: key)
            for frame in frames { h.update(data: frame) }
            return Array(h.finalize())
        case .sha384:
            var h = HMAC<SHA384>(key: key)
            for frame in frames { h.update(data: frame) }
            return Array(h.finalize())
        case .sha512:
            var h = HMAC<SHA512>(key: key)
            for frame in frames { h.update(data: frame) }
            return Array(h.finalize())
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Equal length and equal bytes, examining every byte of `expected` whatever the input.
    static func constantTimeEqual(_ expected: Data, _ given: Data) -> Bool {
        let a = [UInt8](expected), b = [UInt8](given)
        var diff: UInt8 = a.count == b.count ? 0 : 1
        for i in 0..<a.count {
            diff |= a[i] ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
