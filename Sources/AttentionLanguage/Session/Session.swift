import Threading

/// A long-lived interpreter: the bindings of one notebook, kept across cells.
///
/// There is no global state: every session has its own bindings, limits and interrupt
/// flag, and a cell's failure comes back as a `Diagnostic` value. A failing cell keeps
/// every binding made before the failing statement, including those made earlier in
/// the same cell (as in Python).
///
/// Threads: `run` evaluates on a dedicated thread with a large stack (`stackSize`,
/// 512 MiB of address space, touched only as deep as the code goes) and blocks the
/// caller until the cell ends. Combined with the parser's nesting limit and the call
/// depth limit, no input can overflow the stack. `interrupt()` may be called from any
/// thread while `run` is blocked.
public final class Session: @unchecked Sendable {
    /// The limits every cell runs under.
    public let limits: Limits
    /// Stack size of the evaluation thread.
    public static let stackSize = 512 << 20
    /// The stack to fall back to when the system will not give `stackSize` (an address-space
    /// limit such as `ulimit -v`): cells still run, and only the deepest recursion or nesting
    /// stops sooner, at the stack guard's LimitError.
    public static let fallbackStackSize = 32 << 20
    /// The evaluation stacks this session asks for, in order (tests choose others).
    let evaluationStackSizes: [Int]

    private let globals = GlobalScope()
    private let interruptFlag = InterruptFlag()
    /// Serializes `run` and the read-only helpers (completion, inspection).
    private let lock = Lock(recursive: true)

    public init(limits: Limits = Limits()) {
        self.limits = limits
        evaluationStackSizes = [Session.stackSize, Session.fallbackStackSize]
    }

    /// A session whose evaluation thread asks for these stack sizes in turn (tests: sizes
    /// no system can give show what happens when the thread cannot start).
    init(limits: Limits = Limits(), evaluationStackSizes: [Int]) {
        self.limits = limits
        self.evaluationStackSizes = evaluationStackSizes
    }

    /// Runs one cell: outputs go to `host` as they happen; the result or the error comes back.
    public func run(_ source: String, host: CellHost) -> CellResult {
        runOnEvaluationStack(source, host: host, expressionOnly: false)
    }

    /// Evaluates one expression (Jupyter's `user_expressions`) without output. Statements,
    /// bindings included, are refused, so an expression can never change the notebook's state.
    public func evaluate(expression: String) -> CellResult {
        runOnEvaluationStack(expression, host: RecordingHost(allowInput: false), expressionOnly: true)
    }

    private func runOnEvaluationStack(_ source: String, host: CellHost, expressionOnly: Bool) -> CellResult {
        lock.lock()
        defer { lock.unlock() }
        interruptFlag.clear()
        let box = RunBox(session: self, source: source, host: host)
        if let failure = onLargeStack({ stack in
            box.result = box.session.runHere(box.source, host: box.host, stackSize: stack, expressionOnly: expressionOnly)
        }, cell: source) {
            return failure
        }
        return box.result ?? .success(nil)
    }

    /// Runs `body(stackSize)` on a new thread with the first stack of `evaluationStackSizes`
    /// the system gives, and waits for it. When none can be had (memory or address space
    /// exhausted) the cell fails with a LimitError instead: nothing ran, every binding is kept.
    private func onLargeStack(_ body: @escaping @Sendable (Int) -> Void, cell: String) -> CellResult? {
        var refusal: ThreadError?
        for stackSize in evaluationStackSizes {
            do {
                try Threads.runAndWait(name: "attention-eval", stackSize: stackSize) { body(stackSize) }
                return nil
            } catch {
                refusal = error
            }
        }
        let reason = refusal.map { "\($0)" } ?? "no evaluation stack configured"
        return .failure(LangError(.noEvaluationStack(reason: reason), at: nil).diagnostic(cell: SourceText(cell)))
    }

    /// Asks the running cell to stop at its next statement, loop iteration or call.
    /// Safe from any thread; a no-op when nothing runs (the flag is cleared when a cell starts).
    public func interrupt() { interruptFlag.set() }

    /// Evaluates on the current thread (used by `run` on its big-stack thread).
    private func runHere(_ text: String, host: CellHost, stackSize: Int, expressionOnly: Bool = false) -> CellResult {
        let source = SourceText(text)
        // Leave a quarter of the stack for library code and for freeing deep values.
        let stackGuard = StackGuard(budget: stackSize / 4 * 3)
        let evaluator = Evaluator(
            globals: globals, host: host, limits: limits, interruptFlag: interruptFlag, source: source, stackGuard: stackGuard)
        do throws(LangError) {
            let statements = try Parser.parse(source, maxDepth: limits.maxNestingDepth, stackGuard: stackGuard)
            if expressionOnly {
                guard statements.count == 1, case .expression = statements[0] else {
                    throw LangError(.expectedOneExpression, at: nil)
                }
            }
            return .success(try evaluator.runCell(statements))
        } catch {
            return .failure(error.diagnostic(cell: source))
        }
    }

    // MARK: - Bindings

    /// The names bound by cells so far, sorted.
    public var boundNames: [String] {
        lock.lock()
        defer { lock.unlock() }
        return globals.values.keys.sorted()
    }

    /// The value bound to `name`, if any.
    public func value(of name: String) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return globals.values[name]
    }

    /// Binds `name` (as a cell's `name = value` would).
    public func bind(_ name: String, to value: Value) {
        lock.lock()
        defer { lock.unlock() }
        globals.values[name] = value
    }

    /// Forgets every binding. (Freed on the evaluation stack: a function's syntax tree
    /// can be deep.)
    public func reset() {
        lock.lock()
        defer { lock.unlock() }
        let box = ResetBox(globals)
        if onLargeStack({ _ in box.globals.values.removeAll() }, cell: "") != nil {
            box.globals.values.removeAll()  // no thread to be had: free them here (trees stay within the nesting limit)
        }
    }
}

private final class ResetBox: @unchecked Sendable {
    let globals: GlobalScope
    init(_ globals: GlobalScope) { self.globals = globals }
}

/// Carries a cell to the evaluation thread and its result back. The caller blocks on a
/// semaphore while the thread runs, so the two never touch it at the same time.
private final class RunBox: @unchecked Sendable {
    let session: Session
    let source: String
    let host: CellHost
    var result: CellResult?

    init(session: Session, source: String, host: CellHost) {
        self.session = session
        self.source = source
        self.host = host
    }
}
