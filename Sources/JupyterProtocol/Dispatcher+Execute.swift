import JSONValues

extension KernelDispatcher {
    /// `execute_request` (ipykernel semantics): `execute_input` unless silent, outputs,
    /// one `error` on failure, `execute_reply`; the count grows only with `store_history`.
    func execute(_ message: Message, on channel: Channel) -> DispatchResult {
        let c = message.content
        let silent = c["silent"]?.boolValue ?? false
        let store = !silent && (c["store_history"]?.boolValue ?? true)
        let code = c["code"]?.stringValue ?? ""
        let expressions = (c["user_expressions"]?.objectValue?.pairs ?? []).compactMap { pair in
            pair.value.stringValue.map { UserExpression(name: pair.key, expression: $0) }
        }
        let count = nextExecutionCount(store: store)
        let request = ExecuteRequest(
            code: code, silent: silent, storeHistory: store, userExpressions: expressions,
            allowStdin: c["allow_stdin"]?.boolValue ?? true, stopOnError: c["stop_on_error"]?.boolValue ?? true,
            executionCount: count)
        if !silent {
            publish("execute_input", ["code": .string(code), "execution_count": .number(Double(count))], parent: message)
        }
        clearInterrupt()
        let context = makeContext(
            for: message, silent: request.silent, allowStdin: request.allowStdin, executionCount: request.executionCount)
        let outcome = interpreter.execute(request, context: context)
        if store { record(line: count, input: code, output: context.resultText) }

        switch outcome {
        case .ok:
            var results = JSONObject()
            for expression in expressions {
                results[expression.name] = interpreter.evaluateUserExpression(expression.expression).json
            }
            reply(to: message, on: channel, [
                "status": "ok", "execution_count": .number(Double(count)),
                "payload": .array(context.payloads), "user_expressions": .object(results),
            ])
        case .error(let error):
            publish("error", error.content, parent: message)
            var content: JSONObject = ["status": "error", "execution_count": .number(Double(count))]
            if case .object(let fields) = error.content {
                for (key, value) in fields.pairs { content[key] = value }
            }
            reply(to: message, on: channel, .object(content))
            if !silent && request.stopOnError { requestAbort(after: message) }
        }
        return .proceed
    }

    /// A context whose outputs are children of `message` and whose input requests go to
    /// its sender.
    func makeContext(for message: Message, silent: Bool, allowStdin: Bool, executionCount: Int) -> ExecutionContext {
        ExecutionContext(
            silent: silent, allowStdin: allowStdin, executionCount: executionCount,
            publish: { [weak self] type, content, metadata, buffers in
                self?.publish(type, content, parent: message, metadata: metadata, buffers: buffers)
            },
            input: { [weak self] prompt, password in
                guard let self else { return .failure(.interrupted) }
                return self.askInput(prompt: prompt, password: password, request: message)
            })
    }

    /// Sends `input_request` on stdin to the shell request's identities and waits for the
    /// `input_reply`, giving up when the cell is interrupted.
    private func askInput(prompt: String, password: Bool, request: Message) -> Result<String, InputError> {
        let inputRequest = request.reply(
            type: "input_request", content: ["prompt": .string(prompt), "password": .bool(password)],
            session: session)
        transport.send(inputRequest, on: .stdin)
        guard let answer = transport.awaitInputReply(isCancelled: { self.isInterrupted }) else {
            return .failure(.interrupted)
        }
        return .success(answer.content["value"]?.stringValue ?? "")
    }
}
