import AttentionLanguage
import JSONValues
import JupyterProtocol
import Synchronization

/// The attention language as a Jupyter kernel: the glue between `Session` (the language,
/// which knows nothing of Jupyter) and the dispatcher (the protocol, which knows nothing
/// of the language). Every method returns values; none touches a socket.
public final class AttentionInterpreter: KernelInterpreter, @unchecked Sendable {
    /// The bindings of this kernel process (one notebook).
    public let session: Session
    private let outputLimit: OutputLimit
    /// Where the Jupyter server serves the language reference (see `referencePath`).
    public let referenceURL: String
    private let commManager = Mutex<CommManager?>(nil)
    /// The widgets' comms (`jupyter.widget`, `jupyter.widget.control`), made at `attach`.
    private let widgetComms = Mutex<WidgetComms?>(nil)
    private let log: @Sendable (String) -> Void

    public static let version = "0.1.0"

    /// - Parameter settings: the language's limits for the session, and the output a cell
    ///   may send (so a runaway `print` loop never trips the front end's IOPub data-rate
    ///   limit). The kernel builds them once from the environment (`Settings(environment:)`).
    ///   `log` gets what the widget protocol drops (malformed updates), as the dispatcher's log does.
    public init(settings: Settings = Settings(), log: @escaping @Sendable (String) -> Void = KernelDispatcher.standardErrorLog) {
        session = Session(limits: settings.limits)
        outputLimit = settings.output
        referenceURL = settings.serverBaseURL + Self.referencePath
        self.log = log
    }

    /// The dispatcher's comm manager, where targets are registered (see `callBetweenCells`).
    public var comms: CommManager? { commManager.withLock { $0 } }

    public func attach(comms: CommManager) {
        commManager.withLock { $0 = comms }
        let widgets = WidgetComms(comms: comms, session: session, outputLimit: outputLimit, log: log)
        widgetComms.withLock { $0 = widgets }
    }

    private var widgets: WidgetComms? { widgetComms.withLock { $0 } }

    /// Calls a function value a cell made (a comm's handler, a widget's observer) between
    /// cells, with a cell's rules: on the evaluation stack, interruptible, its outputs
    /// published through `context` (as children of the comm message that caused the call)
    /// within the output limits, and a failure returned as an error, which the dispatcher
    /// publishes once. Every binding survives.
    public func callBetweenCells(
        _ function: Value, arguments: [Value], name: String, context: ExecutionContext
    ) -> ExecuteOutcome {
        let host = JupyterHost(context: context, limit: outputLimit, widgets: widgets)
        let result = session.call(function, arguments: arguments, name: name, host: host)
        // As after a cell: buffered text goes out before the error and the handler's end.
        host.finish()
        switch result {
        case .success: return .ok
        case .failure(let d): return .error(ExecutionError(ename: d.ename, evalue: d.evalue, traceback: d.traceback))
        }
    }

    /// The language reference (docs/LANGUAGE.md) as `attention-kernel install` writes it
    /// into the kernelspec; the Jupyter server serves kernelspec files at
    /// `<base URL>kernelspecs/<name>/<file>`. The base is `/` for a plain server and the
    /// user's prefix under JupyterHub (`Settings.serverBaseURL`): JupyterLab opens a help
    /// link as written, so a link without the prefix would leave the user's server.
    public static let referencePath = "kernelspecs/attention/language-reference.html"

    public func kernelInfo() -> KernelInfo {
        KernelInfo(
            implementation: "attention-kernel",
            implementationVersion: Self.version,
            banner: "Attention (Swift) \(Self.version): a small language for attention and transformers. help() lists the builtins.",
            helpLinks: [HelpLink(text: "Attention language reference", url: referenceURL)],
            languageInfo: [
                "name": "attention",
                "version": .string(Self.version),
                "mimetype": "text/x-attention",
                "file_extension": ".attn",
                "pygments_lexer": "swift",
                "codemirror_mode": "swift",
                "nbconvert_exporter": "script",
            ])
    }

    public func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecuteOutcome {
        let host = JupyterHost(context: context, limit: outputLimit, widgets: widgets)
        let result = session.run(request.code, host: host)
        // A widget as the cell's result is shown as a display (its model's comms open first).
        if case .success(.widget(let w)?) = result, !request.silent { host.emit(.widget(w)) }
        // Buffered text goes out before the result, the error and the reply, in that order.
        host.finish()
        switch result {
        case .success(.widget):
            return .ok
        case .success(let value):
            if let value, !request.silent {
                let bundle = OutputBudget.resultBundle(for: value, limit: outputLimit)
                context.executeResult(bundle.data, metadata: bundle.metadata)
            }
            return .ok
        case .failure(let diagnostic):
            return .error(ExecutionError(ename: diagnostic.ename, evalue: diagnostic.evalue, traceback: diagnostic.traceback))
        }
    }

    public func complete(code: String, cursorPos: Int) -> CompletionResult {
        let completions = session.complete(code: code, cursorPosition: cursorPos)
        // What ipykernel sends: per match its replaced range, text, type and signature,
        // which JupyterLab's completer shows as an icon and a detail line.
        let types: [JSONValue] = completions.items.map { item in
            ["start": .number(Double(completions.cursorStart)), "end": .number(Double(completions.cursorEnd)),
             "text": .string(item.text), "type": .string(item.kind.rawValue), "signature": .string(item.signature)]
        }
        return CompletionResult(matches: completions.matches, cursorStart: completions.cursorStart, cursorEnd: completions.cursorEnd,
                                metadata: ["_jupyter_types_experimental": .array(types)])
    }

    public func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectResult {
        guard let bundle = session.inspect(code: code, cursorPosition: cursorPos) else { return .notFound }
        return InspectResult(found: true, data: bundle.data, metadata: bundle.metadata)
    }

    public func isComplete(code: String) -> IsCompleteResult {
        switch Session.isComplete(code) {
        case .complete: .complete
        case .incomplete(let indent): .incomplete(indent: indent)
        case .invalid: .invalid
        }
    }

    public func interrupt() { session.interrupt() }

    /// A user expression (one expression, no statements: it cannot bind names) is evaluated
    /// without output; its value comes back as a mimebundle.
    public func evaluateUserExpression(_ expression: String) -> UserExpressionResult {
        switch session.evaluate(expression: expression) {
        case .success(let value):
            let bundle = Renderer.bundle(for: value ?? .nil)
            return .ok(data: bundle.data, metadata: bundle.metadata)
        case .failure(let d):
            return .error(ExecutionError(ename: d.ename, evalue: d.evalue, traceback: d.traceback))
        }
    }
}

/// Carries a running cell's outputs to Jupyter as they happen: stream text through the
/// per-cell `OutputBudget` into a `StreamCoalescer` (a few `stream` messages, not one per
/// `print`), everything else at once, after the text buffered before it.
final class JupyterHost: CellHost {
    private let context: ExecutionContext
    private var budget: OutputBudget
    private let streams: StreamCoalescer
    private let widgets: WidgetComms?

    init(context: ExecutionContext, limit: OutputLimit, policy: StreamPolicy = .ipykernel, widgets: WidgetComms? = nil) {
        self.context = context
        self.widgets = widgets
        self.budget = OutputBudget(limit: limit)
        self.streams = StreamCoalescer(context: context, policy: policy)
    }

    /// Sends the text still buffered; call when the cell has ended, before its result.
    func finish() { streams.finish() }

    func emit(_ output: Output) {
        switch output {
        case .stdout(let text):
            if let allowed = budget.admit(text) { streams.write(.stdout, allowed) }
        case .stderr(let text):
            if let allowed = budget.admit(text) { streams.write(.stderr, allowed) }
        case .display(let bundle, let displayID, let update):
            let (allowed, note) = budget.admitDisplay()
            if let note { streams.write(.stdout, note) }
            guard allowed else { return }
            streams.flush()
            let bundle = OutputBudget.capped(bundle, limit: budget.limit)
            if update, let displayID {
                context.updateDisplay(bundle.data, metadata: bundle.metadata, displayID: displayID)
            } else {
                context.display(bundle.data, metadata: bundle.metadata, displayID: displayID)
            }
        case .clearOutput(let wait):
            streams.flush()
            context.clearOutput(wait: wait)
        case .page(let bundle):
            streams.flush()
            context.addPayload(.page(data: bundle.data))
        case .widget(let widget):
            let (allowed, note) = budget.admitDisplay()
            if let note { streams.write(.stdout, note) }
            guard allowed else { return }
            streams.flush()
            let data = widgets?.display(widget, in: context) ?? ["text/plain": .string(widget.plainText)]
            context.display(data, metadata: [:], displayID: nil)
        }
    }

    func readInput(prompt: String) -> String? {
        streams.flush()  // the student sees what was printed before the prompt
        return switch context.input(prompt: prompt) {
        case .success(let line): line
        case .failure: nil
        }
    }
}
