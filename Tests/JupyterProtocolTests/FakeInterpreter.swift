import Foundation
import JSONValues
import JupyterProtocol

/// A scripted interpreter: the first word of a cell says what to do.
/// `print X`, `result X`, `error`, `display`, `input`, `page`, `sleep` (until interrupted).
final class FakeInterpreter: KernelInterpreter, @unchecked Sendable {
    private let lock = NSLock()
    private var _interrupted = false
    private var _requests: [ExecuteRequest] = []
    private var _interruptCalls = 0

    var requests: [ExecuteRequest] { lock.withLock { _requests } }
    var interruptCalls: Int { lock.withLock { _interruptCalls } }

    func kernelInfo() -> KernelInfo {
        KernelInfo(
            implementation: "fake", implementationVersion: "0.1", banner: "Fake kernel",
            helpLinks: [HelpLink(text: "Docs", url: "https://example.org")],
            languageInfo: ["name": "fake", "version": "1.0", "mimetype": "text/x-fake", "file_extension": ".fake"])
    }

    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecuteOutcome {
        lock.withLock {
            _requests.append(request)
            _interrupted = false
        }
        let code = request.code
        let word = code.split(separator: " ").first.map(String.init) ?? ""
        let rest = code.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
        switch word {
        case "print": context.stream(.stdout, rest)
        case "result": context.executeResult(["text/plain": .string(rest)])
        case "error": return .error(ExecutionError(ename: "Boom", evalue: "bad \(rest)", traceback: ["Boom: bad", "  at line 1"]))
        case "display":
            context.display(["text/plain": "first"], displayID: "d1")
            context.updateDisplay(["text/plain": "second"], displayID: "d1")
            context.clearOutput(wait: true)
        case "input":
            switch context.input(prompt: "name? ") {
            case .success(let text): context.stream(.stdout, "hello \(text)")
            case .failure(let error): return .error(ExecutionError(ename: "StdinNotImplemented", evalue: error.description, traceback: []))
            }
        case "page": context.addPayload(.page(data: ["text/plain": "help text"]))
        case "sleep":
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if lock.withLock({ _interrupted }) {
                    return .error(ExecutionError(ename: "Interrupted", evalue: "interrupted", traceback: []))
                }
                Thread.sleep(forTimeInterval: 0.005)
            }
        default: break
        }
        return .ok
    }

    func complete(code: String, cursorPos: Int) -> CompletionResult {
        CompletionResult(matches: ["alpha", "alphabet"], cursorStart: max(0, cursorPos - 2), cursorEnd: cursorPos)
    }

    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectResult {
        code.contains("alpha") ? InspectResult(found: true, data: ["text/plain": .string("alpha: level \(detailLevel)")]) : .notFound
    }

    func isComplete(code: String) -> IsCompleteResult {
        if code.hasSuffix("{") { return .incomplete(indent: "  ") }
        if code.hasPrefix("}") { return .invalid }
        return code.isEmpty ? .unknown : .complete
    }

    func interrupt() {
        lock.withLock {
            _interrupted = true
            _interruptCalls += 1
        }
    }

    /// Target `echo`: answers the open with `{"opened": data}`, each message with
    /// `{"echo": data}` (or an error when data has `fail`), and a close with a stream.
    func attach(comms: CommManager) {
        comms.register(target: "echo") { comm, opened, context in
            comm.send(CommPayload(data: ["opened": opened.data]), in: context)
            comm.onMessage { comm, payload, context in
                if payload.data["fail"] != nil {
                    return .error(ExecutionError(ename: "Boom", evalue: "handler failed", traceback: ["Boom"]))
                }
                comm.send(CommPayload(data: ["echo": payload.data], metadata: ["m": 1], buffers: payload.buffers), in: context)
                if payload.data["close"] != nil { comm.close(in: context) }
                return .ok
            }
            comm.onClose { _, _, context in
                context.stream(.stdout, "closed")
                return .ok
            }
            return .ok
        }
    }

    func evaluateUserExpression(_ expression: String) -> UserExpressionResult {
        expression == "bad" ? .error(ExecutionError(ename: "NameError", evalue: "bad", traceback: []))
            : .ok(data: ["text/plain": .string("value of \(expression)")])
    }
}

/// A dispatcher over an in-memory transport with the fake interpreter.
struct Harness {
    let interpreter = FakeInterpreter()
    let transport = InMemoryTransport()
    let dispatcher: KernelDispatcher
    let logged = LogBox()

    init() {
        let box = logged
        dispatcher = KernelDispatcher(interpreter: interpreter, transport: transport, session: "kernel-session",
                                      log: { box.append($0) })
    }

    /// Sends one request and returns everything the kernel sent in response.
    @discardableResult
    func request(_ type: String, _ content: JSONValue = .object([:]), on channel: Channel = .shell)
        -> [InMemoryTransport.Sent]
    {
        transport.clearSent()
        dispatcher.handle(Message.request(type, content: content), on: channel)
        return transport.sent
    }

    func execute(_ code: String, _ extra: JSONObject = [:]) -> [InMemoryTransport.Sent] {
        var content: JSONObject = ["code": .string(code)]
        for (k, v) in extra.pairs { content[k] = v }
        return request("execute_request", .object(content))
    }
}

final class LogBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

extension Array where Element == InMemoryTransport.Sent {
    /// `channel:msg_type` for each, with the state for status messages: `iopub:status(busy)`.
    var summary: [String] {
        map { sent in
            let type = sent.message.msgType
            if type == "status", let state = sent.message.content["execution_state"]?.stringValue {
                return "\(sent.channel.rawValue):status(\(state))"
            }
            return "\(sent.channel.rawValue):\(type)"
        }
    }

    func first(_ type: String) -> Message? { first { $0.message.msgType == type }?.message }
    func all(_ type: String) -> [Message] { filter { $0.message.msgType == type }.map(\.message) }
}
