import FoundationEssentials
import JSONValues
import Glibc

/// The `header` (and, copied from a request, `parent_header`) of a Jupyter message.
///
/// Only `msg_type` is required when reading a header off the wire; the other fields
/// default to the empty string so that a sloppy client never crashes the kernel.
public struct MessageHeader: Sendable, Equatable {
    /// The protocol version this kernel speaks (`header.version`, `protocol_version`).
    public static let protocolVersion = "5.3"

    public var msgID: String
    public var session: String
    public var username: String
    /// ISO 8601 with fractional seconds and `Z`, kept as text so it round-trips exactly.
    public var date: String
    public var msgType: String
    public var version: String
    /// Any other header keys a client sent (e.g. `subshell_id`), kept so a reply's
    /// `parent_header` is a faithful copy of the request's header.
    public var extra: JSONObject = [:]

    public init(
        msgID: String = UUID().uuidString.lowercased(), session: String, username: String = "kernel",
        date: String = MessageHeader.now(), msgType: String, version: String = MessageHeader.protocolVersion
    ) {
        self.msgID = msgID
        self.session = session
        self.username = username
        self.date = date
        self.msgType = msgType
        self.version = version
    }

    /// The current time as ISO 8601 UTC with microseconds, e.g. `2024-01-31T12:00:00.123456Z`,
    /// as ipykernel sends it. Formatted from the C library's broken-down UTC time: every
    /// message carries a date, and UTC needs none of Foundation's calendar machinery.
    public static func now() -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        var seconds = clock.tv_sec
        var utc = tm()
        gmtime_r(&seconds, &utc)
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(Int(utc.tm_year) + 1900, 4) + "-" + digits(Int(utc.tm_mon) + 1, 2) + "-" + digits(Int(utc.tm_mday), 2)
            + "T" + digits(Int(utc.tm_hour), 2) + ":" + digits(Int(utc.tm_min), 2) + ":" + digits(Int(utc.tm_sec), 2)
            + "." + digits(Int(clock.tv_nsec) / 1000, 6) + "Z"
    }

    /// The header as a JSON object in wire field order.
    public var json: JSONValue {
        var object: JSONObject = [
            "msg_id": .string(msgID), "session": .string(session), "username": .string(username),
            "date": .string(date), "msg_type": .string(msgType), "version": .string(version),
        ]
        for (key, value) in extra.pairs where object[key] == nil { object[key] = value }
        return .object(object)
    }

    /// Reads a header from JSON; nil unless it is an object with a string `msg_type`.
    public init?(json: JSONValue) {
        guard case .object(let object) = json, let type = object["msg_type"]?.stringValue else { return nil }
        self.msgType = type
        self.msgID = object["msg_id"]?.stringValue ?? ""
        self.session = object["session"]?.stringValue ?? ""
        self.username = object["username"]?.stringValue ?? ""
        self.date = object["date"]?.stringValue ?? ""
        self.version = object["version"]?.stringValue ?? ""
        let known: Set = ["msg_id", "session", "username", "date", "msg_type", "version"]
        for (key, value) in object.pairs where !known.contains(key) { extra[key] = value }
    }
}

/// One Jupyter message, independent of how it travels.
///
/// `identities` are the ZMQ routing frames before `<IDS|MSG>`: the client's identity for
/// shell/control/stdin, the topic (`kernel.<session>.<msg_type>`) for IOPub.
public struct Message: Sendable, Equatable {
    public var identities: [Data]
    public var header: MessageHeader
    /// The request's header for a reply or output; an empty object otherwise.
    public var parentHeader: JSONValue
    public var metadata: JSONValue
    public var content: JSONValue
    public var buffers: [Data]

    public init(
        identities: [Data] = [], header: MessageHeader, parentHeader: JSONValue = .object([:]),
        metadata: JSONValue = .object([:]), content: JSONValue = .object([:]), buffers: [Data] = []
    ) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    /// Shorthand for `header.msgType`.
    public var msgType: String { header.msgType }

    /// A message of `type` caused by this one: parent header copied, same identities
    /// (the route back to the client), new header in `session`.
    public func reply(type: String, content: JSONValue, session: String, username: String = "kernel") -> Message {
        Message(
            identities: identities, header: MessageHeader(session: session, username: username, msgType: type),
            parentHeader: header.json, content: content)
    }

    /// The `parent_header.msg_id` of this message, or nil.
    public var parentMsgID: String? { parentHeader["msg_id"]?.stringValue }
}

extension Message {
    /// A client request, as a front end would build it (tests and tools).
    public static func request(
        _ type: String, content: JSONValue = .object([:]), session: String = "client-session",
        identities: [Data] = [Data("client".utf8)]
    ) -> Message {
        Message(
            identities: identities, header: MessageHeader(session: session, username: "client", msgType: type),
            content: content)
    }
}
