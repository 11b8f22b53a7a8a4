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

    public var description: String {
        switch self {
        case .unreadable(let why): "cannot read connection file: \(why)"
        case .notAnObject: "connection file is not a JSON object"
        case .missingField(let key): "connection file lacks \(key)"
        case .unsupportedTransport(let t): "unsupported transport \(t) (tcp or ipc)"
        case .unsupportedSignatureScheme(let s): "unsupported signature scheme \(s)"
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

    public init(
        transport: String = "tcp", ip: String = "127.0.0.1", shellPort: Int, iopubPort: Int, stdinPort: Int,
        controlPort: Int, hbPort: Int, key: String = "", signatureScheme: String = "hmac-sha256",
        kernelName: String = ""
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
            kernelName: o["kernel_name"]?.stringValue ?? "")
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
