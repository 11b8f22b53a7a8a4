import JSONValues

extension KernelDispatcher {
    /// The dispatch table: every message type the kernel answers. Anything else is
    /// logged and ignored (still wrapped in busy/idle).
    static let handlers: [String: Handler] = [
        "execute_request": { $0.execute($1, on: $2) },
        "kernel_info_request": { $0.kernelInfo($1, on: $2) },
        "complete_request": { $0.complete($1, on: $2) },
        "inspect_request": { $0.inspect($1, on: $2) },
        "is_complete_request": { $0.isComplete($1, on: $2) },
        "history_request": { $0.history($1, on: $2) },
        "comm_info_request": { $0.commInfo($1, on: $2) },
        "comm_open": { dispatcher, message, _ in dispatcher.comm(message, CommManager.handleOpen) },
        "comm_msg": { dispatcher, message, _ in dispatcher.commMessage(message) },
        "comm_close": { dispatcher, message, _ in dispatcher.comm(message, CommManager.handleClose) },
        "shutdown_request": { $0.shutdown($1, on: $2) },
        "interrupt_request": { $0.interruptRequest($1, on: $2) },
    ]

    /// What control serves. Control runs beside a cell on shell, so only requests that
    /// never touch the interpreter's evaluation state are allowed there.
    static let controlTypes: Set<String> = [
        "kernel_info_request", "shutdown_request", "interrupt_request", "comm_info_request", "history_request",
    ]

    func kernelInfo(_ message: Message, on channel: Channel) -> DispatchResult {
        let info = interpreter.kernelInfo()
        reply(to: message, on: channel, [
            "status": "ok", "protocol_version": .string(MessageHeader.protocolVersion),
            "implementation": .string(info.implementation),
            "implementation_version": .string(info.implementationVersion),
            "language_info": .object(info.languageInfo), "banner": .string(info.banner),
            "help_links": .array(info.helpLinks.map { ["text": .string($0.text), "url": .string($0.url)] }),
            "debugger": false,
        ])
        return .proceed
    }

    func complete(_ message: Message, on channel: Channel) -> DispatchResult {
        let code = message.content["code"]?.stringValue ?? ""
        let cursor = Self.cursor(message.content, code: code)
        let result = interpreter.complete(code: code, cursorPos: cursor)
        reply(to: message, on: channel, [
            "status": "ok", "matches": .array(result.matches.map(JSONValue.string)),
            "cursor_start": .number(Double(result.cursorStart)), "cursor_end": .number(Double(result.cursorEnd)),
            "metadata": .object(result.metadata),
        ])
        return .proceed
    }

    func inspect(_ message: Message, on channel: Channel) -> DispatchResult {
        let code = message.content["code"]?.stringValue ?? ""
        let level = message.content["detail_level"]?.intValue ?? 0
        let result = interpreter.inspect(code: code, cursorPos: Self.cursor(message.content, code: code), detailLevel: level)
        reply(to: message, on: channel, [
            "status": "ok", "found": .bool(result.found), "data": .object(result.data),
            "metadata": .object(result.metadata),
        ])
        return .proceed
    }

    func isComplete(_ message: Message, on channel: Channel) -> DispatchResult {
        let content: JSONValue =
            switch interpreter.isComplete(code: message.content["code"]?.stringValue ?? "") {
            case .complete: ["status": "complete"]
            case .incomplete(let indent): ["status": "incomplete", "indent": .string(indent)]
            case .invalid: ["status": "invalid"]
            case .unknown: ["status": "unknown"]
            }
        reply(to: message, on: channel, content)
        return .proceed
    }

    func history(_ message: Message, on channel: Channel) -> DispatchResult {
        reply(to: message, on: channel, ["status": "ok", "history": .array(historyReply(message.content))])
        return .proceed
    }

    func commInfo(_ message: Message, on channel: Channel) -> DispatchResult {
        reply(to: message, on: channel, ["status": "ok", "comms": .object(comms.info(message.content))])
        return .proceed
    }

    /// `comm_open`, `comm_msg`, `comm_close` (shell only; no reply, as the spec says): the
    /// comm manager routes them, with a context that publishes as children of `message`.
    /// A handler's error is published once as IOPub `error`, as a cell's would be.
    func comm(
        _ message: Message,
        _ route: (CommManager) -> (Message, ExecutionContext, (String) -> Void) -> ExecuteOutcome
    ) -> DispatchResult {
        let context = makeContext(for: message, silent: false, allowStdin: false, executionCount: executionCount)
        if case .error(let error) = route(comms)(message, context, log) {
            publish("error", error.content, parent: message)
        }
        return .proceed
    }

    /// `comm_msg`: the requests already waiting on shell are moved to the backlog (handled
    /// next, in order), so the handler learns which comms have later messages waiting.
    func commMessage(_ message: Message) -> DispatchResult {
        let pending = deferPendingShell().filter { $0.msgType == "comm_msg" }.compactMap { $0.content["comm_id"]?.stringValue }
        return comm(message) { comms in
            { message, context, log in comms.handleMessage(message, pending: Set(pending), context, log) }
        }
    }

    func shutdown(_ message: Message, on channel: Channel) -> DispatchResult {
        let restart = message.content["restart"]?.boolValue ?? false
        reply(to: message, on: channel, ["status": "ok", "restart": .bool(restart)])
        return .shutdown(restart: restart)
    }

    func interruptRequest(_ message: Message, on channel: Channel) -> DispatchResult {
        interrupt()
        reply(to: message, on: channel, ["status": "ok"])
        return .proceed
    }

    /// `cursor_pos` clamped to the code's length in Unicode scalars (default: the end).
    static func cursor(_ content: JSONValue, code: String) -> Int {
        let length = code.unicodeScalars.count
        return min(max(content["cursor_pos"]?.intValue ?? length, 0), length)
    }
}
