import FoundationEssentials
import JSONValues

/// The five sockets of a kernel.
public enum Channel: String, Sendable, CaseIterable {
    case shell, control, stdin, iopub, heartbeat
}

/// A connection file that cannot be used.
public enum ConnectionError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case notAnObject
    case missingField(String)
    case unsupportedTransport(String)
    case unsupportedSignatureScheme(String)
    /// A CurveZMQ key that is not 40 characters of Z85, or one key of the pair without the other.
    case invalidCurveKey(String)

    public var description: String {
        switch self {
        case .unreadable(let why): "cannot read connection file: \(why)"
        case .notAnObject: "connection file is not a JSON object"
        case .missingField(let key): "connection file lacks \(key)"
        case .unsupportedTransport(let t): "unsupported transport \(t) (tcp or ipc)"
        case .unsupportedSignatureScheme(let s): "unsupported signature scheme \(s)"
        case .invalidCurveKey(let why): "connection file has an unusable CurveZMQ key: \(why)"
        }
    }
}

/// What a Jupyter connection file (`kernel-*.json`) says.
public struct ConnectionInfo: Sendable, Equatable {
    /// `tcp` or `ipc`.
    public var transport: String
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var hbPort: Int
    public var key: String
    public var signatureScheme: String
    public var kernelName: String
    /// The kernel's CurveZMQ key pair (`curve_publickey`, `curve_secretkey`, 40 characters
    /// of Z85 each), which jupyter_client 8.10 writes when transport encryption is on; nil:
    /// no encryption.
    public var curve: CurveKeys?

    public init(
        transport: String = "tcp", ip: String = "127.0.0.1", shellPort: Int, iopubPort: Int, stdinPort: Int,
        controlPort: Int, hbPort: Int, key: String = "", signatureScheme: String = "hmac-sha256",
        kernelName: String = "", curve: CurveKeys? = nil
    ) {
        self.transport = transport
        self.ip = ip
        self.shellPort = shellPort
        self.iopubPort = iopubPort
        self.stdinPort = stdinPort
        self.controlPort = controlPort
        self.hbPort = hbPort
        self.key = key
        self.signatureScheme = signatureScheme
        self.kernelName = kernelName
        self.curve = curve
    }

    /// Parses the JSON text of a connection file. Ports must be integers; `transport`
    /// defaults to tcp, `key` to "", `signature_scheme` to hmac-sha256.
    public static func parse(_ data: Data) throws(ConnectionError) -> ConnectionInfo {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw .unreadable("invalid JSON") }
        guard case .object(let o) = json else { throw .notAnObject }
        func port(_ key: String) throws(ConnectionError) -> Int {
            guard let p = o[key]?.intValue, (0...65535).contains(p) else { throw .missingField(key) }
            return p
        }
        let transport = o["transport"]?.stringValue ?? "tcp"
        guard transport == "tcp" || transport == "ipc" else { throw .unsupportedTransport(transport) }
        guard let ip = o["ip"]?.stringValue else { throw .missingField("ip") }
        return ConnectionInfo(
            transport: transport, ip: ip, shellPort: try port("shell_port"), iopubPort: try port("iopub_port"),
            stdinPort: try port("stdin_port"), controlPort: try port("control_port"), hbPort: try port("hb_port"),
            key: o["key"]?.stringValue ?? "", signatureScheme: o["signature_scheme"]?.stringValue ?? "hmac-sha256",
            kernelName: o["kernel_name"]?.stringValue ?? "",
            curve: try CurveKeys.parse(publicKey: o["curve_publickey"], secretKey: o["curve_secretkey"]))
    }

    /// Reads and parses the connection file at `path`.
    public static func load(path: String) throws(ConnectionError) -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try parse(data)
    }

    /// The port of `channel`.
    public func port(_ channel: Channel) -> Int {
        switch channel {
        case .shell: shellPort
        case .control: controlPort
        case .stdin: stdinPort
        case .iopub: iopubPort
        case .heartbeat: hbPort
        }
    }

    /// The ZMQ endpoint of `channel`: `tcp://IP:PORT`, or `ipc://IP-PORT` for ipc.
    public func endpoint(_ channel: Channel) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port(channel))" : "tcp://\(ip):\(port(channel))"
    }

    /// A signer for this file's key and scheme.
    public func signer() throws(ConnectionError) -> MessageSigner {
        try MessageSigner(key: key, scheme: signatureScheme)
    }
}

/// A CurveZMQ key pair as a connection file carries it: Z85 text, 40 characters per 32-byte
/// key. Only the secret key makes the kernel's sockets CURVE servers; the public key is what
/// clients use to authenticate the kernel (the transport checks that the two belong together).
public struct CurveKeys: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The 85 characters of ZeroMQ's Z85 encoding (RFC 32).
    static let z85Alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Both fields absent or null: nil (no encryption). Both present: the pair, each checked
    /// to be 40 characters of Z85. One without the other is an error, not a silent
    /// fallback to plain text.
    static func parse(publicKey: JSONValue?, secretKey: JSONValue?) throws(ConnectionError) -> CurveKeys? {
        func text(_ value: JSONValue?) -> String?? {
            switch value {
            case nil, .null?: return .some(nil)
            case .string(let s)?: return s.isEmpty ? .some(nil) : .some(s)
            default: return nil
            }
        }
        guard let pub = text(publicKey) else { throw .invalidCurveKey("curve_publickey is not a string") }
        guard let sec = text(secretKey) else { throw .invalidCurveKey("curve_secretkey is not a string") }
        switch (pub, sec) {
        case (nil, nil): return nil
        case (nil, _): throw .invalidCurveKey("curve_secretkey without curve_publickey")
        case (_, nil): throw .invalidCurveKey("curve_publickey without curve_secretkey")
        case (let p?, let s?):
            for (name, key) in [("curve_publickey", p), ("curve_secretkey", s)] {
                guard key.utf8.count == 40, key.utf8.allSatisfy(z85Alphabet.contains) else {
                    throw .invalidCurveKey("\(name) is not 40 characters of Z85")
                }
            }
            return CurveKeys(publicKey: p, secretKey: s)
        }
    }
}
