import FoundationEssentials
import JSONValues
import Synchronization

/// Why `ExecutionContext.input` returned no text.
public enum InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request had `allow_stdin: false` (nbconvert, nbgrader): no front end can answer.
    case notAllowed
    /// The cell was interrupted (or the kernel is shutting down) while waiting.
    case interrupted

    public var description: String {
        switch self {
        case .notAllowed: "input is not available: this front end does not support stdin (allow_stdin is false)"
        case .interrupted: "input was interrupted"
        }
    }
}

/// The `name` of a `stream` message.
public enum StreamName: String, Sendable {
    case stdout, stderr
}

/// What a running cell (or a comm handler) may do besides returning: publish outputs and
/// comm messages on IOPub (each goes out at once, so front ends see progress) and ask for
/// input over stdin.
///
/// Created by the dispatcher for one request (an `execute_request`, or a `comm_open`/
/// `comm_msg`/`comm_close` for a comm handler); everything it publishes carries that
/// request as its parent. The payload list is behind a `Mutex`, the rest is immutable,
/// so an interpreter may publish from its evaluation thread.
public final class ExecutionContext: Sendable {
    /// The request's `silent` (then `executeResult` publishes nothing).
    public let silent: Bool
    /// Whether `input` can ask the front end.
    public let allowStdin: Bool
    /// The count of this cell (`Out[n]`).
    public let executionCount: Int

    /// Sends an IOPub message: type, content, metadata, buffers.
    public typealias Publish = @Sendable (String, JSONValue, JSONObject, [Data]) -> Void

    private let publishMessage: Publish
    private let askInput: @Sendable (String, Bool) -> Result<String, InputError>
    private let reply = Mutex<(payloads: [JSONValue], resultText: String?)>(([], nil))

    /// - Parameters:
    ///   - publish: sends an IOPub message of the given type, content, metadata and buffers.
    ///   - input: sends `input_request` (prompt, password) and waits for the reply.
    public init(
        silent: Bool, allowStdin: Bool, executionCount: Int,
        publish: @escaping Publish,
        input: @escaping @Sendable (String, Bool) -> Result<String, InputError>
    ) {
        self.silent = silent
        self.allowStdin = allowStdin
        self.executionCount = executionCount
        self.publishMessage = publish
        self.askInput = input
    }

    func publish(_ type: String, _ content: JSONValue, metadata: JSONObject = [:], buffers: [Data] = []) {
        publishMessage(type, content, metadata, buffers)
    }

    /// Publishes `stream` text (stdout or stderr). Nothing for empty text.
    public func stream(_ name: StreamName, _ text: String) {
        guard !text.isEmpty else { return }
        publish("stream", ["name": .string(name.rawValue), "text": .string(text)])
    }

    /// Publishes `display_data`. With `displayID`, later `updateDisplay` calls replace it.
    public func display(_ data: JSONObject, metadata: JSONObject = [:], displayID: String? = nil) {
        publish("display_data", Self.bundle(data, metadata, displayID))
    }

    /// Publishes `update_display_data` for an earlier `display(…, displayID:)`.
    public func updateDisplay(_ data: JSONObject, metadata: JSONObject = [:], displayID: String) {
        publish("update_display_data", Self.bundle(data, metadata, displayID))
    }

    /// Publishes `clear_output`; with `wait`, the front end clears when the next output arrives.
    public func clearOutput(wait: Bool = false) {
        publish("clear_output", ["wait": .bool(wait)])
    }

    /// Publishes the cell's `execute_result` (nothing when silent). Its `text/plain` is
    /// kept as the history output.
    public func executeResult(_ data: JSONObject, metadata: JSONObject = [:]) {
        guard !silent else { return }
        reply.withLock { $0.resultText = data["text/plain"]?.stringValue }
        publish(
            "execute_result",
            ["execution_count": .number(Double(executionCount)), "data": .object(data), "metadata": .object(metadata)])
    }

    /// Adds a payload to `execute_reply` (deprecated by Jupyter but still read by front ends).
    public func addPayload(_ payload: ExecutePayload) {
        reply.withLock { $0.payloads.append(payload.json) }
    }

    /// Asks the front end for a line of input (`input_request` on stdin) and waits.
    /// Fails at once with `.notAllowed` when the request had `allow_stdin: false`.
    public func input(prompt: String, password: Bool = false) -> Result<String, InputError> {
        guard allowStdin else { return .failure(.notAllowed) }
        return askInput(prompt, password)
    }

    var payloads: [JSONValue] { reply.withLock { $0.payloads } }
    var resultText: String? { reply.withLock { $0.resultText } }

    private static func bundle(_ data: JSONObject, _ metadata: JSONObject, _ displayID: String?) -> JSONValue {
        var content: JSONObject = ["data": .object(data), "metadata": .object(metadata)]
        if let displayID { content["transient"] = ["display_id": .string(displayID)] }
        return .object(content)
    }
}

/// A payload of `execute_reply`. Only the pager is used (`help`); Jupyter deprecates the
/// others, so they are not offered.
public enum ExecutePayload: Sendable, Equatable {
    /// Show `data` (a mimebundle) in the pager, from line `start`.
    case page(data: JSONObject, start: Int = 0)

    var json: JSONValue {
        switch self {
        case .page(let data, let start): ["source": "page", "data": .object(data), "start": .number(Double(start))]
        }
    }
}
