import Synchronization
import Threading

/// A long-lived interpreter: the bindings of one notebook, kept across cells.
///
/// There is no global state: every session has its own bindings, limits and interrupt
/// flag, and a cell's failure comes back as a `Diagnostic` value. A failing cell keeps
/// every binding made before the failing statement, including those made earlier in
/// the same cell (as in Python).
///
/// Threads: `run` (and `evaluate`, `call`) evaluates on a dedicated thread with a large
/// stack (`stackSize`, 512 MiB of address space, touched only as deep as the code goes)
/// and blocks the caller in `pthread_join` until the cell ends. Combined with the parser's
/// nesting limit and the call depth limit, no input can overflow the stack. The host's
/// `emit` and `readInput` are called on that thread. `interrupt()` may be called from any
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
    /// Serializes `run` and the read-only helpers (completion, inspection). Never taken
    /// twice by one thread: the evaluation thread does not call back into the session.
    private let lock = Mutex<Void>(())

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
        runOnEvaluationStack(source, host: host) { evaluator, statements throws(LangError) in
            evaluator.noteFloorDivisionComment()
            return try evaluator.runCell(statements)
        }
    }

    /// Evaluates one expression (Jupyter's `user_expressions`) without output. Statements,
    /// bindings included, are refused, so an expression can never change the notebook's state.
    public func evaluate(expression: String) -> CellResult {
        runOnEvaluationStack(expression, host: RecordingHost(allowInput: false)) { evaluator, statements throws(LangError) in
            guard statements.count == 1, case .expression = statements[0] else {
                throw LangError(.expectedOneExpression, at: nil)
            }
            return try evaluator.runCell(statements)
        }
    }

    /// Calls `function` (a function value a cell made, e.g. a handler kept by a comm) with
    /// `arguments`, between cells, under the same rules as a cell: on the evaluation stack,
    /// interruptible, its outputs to `host`, a failure returned as a `Diagnostic` (never a
    /// crash) and every binding made before the failure kept. `name` labels the call in
    /// its diagnostic (the kernel uses the comm's target).
    public func call(_ function: Value, arguments: [Value], name: String = "callback", host: CellHost) -> CellResult {
        runOnEvaluationStack("", host: host) { evaluator, _ throws(LangError) in
            guard case .function(let callable) = function else {
                throw LangError(.notCallable(what: name, got: function.typeName), at: nil)
            }
            let passed = arguments.map {
                Evaluator.EvaluatedArgument(label: nil, labelRange: nil, value: $0, expr: .nil(.none))
            }
            let value = try evaluator.call(callable, passed, at: .none, calleeRange: .none)
            if case .nil = value { return nil }
            return value
        }
    }

    /// Re-runs `interaction`'s function after one of its widgets changed, with the cell
    /// rules of `call`: its outputs become one display update (`update_display_data` of
    /// the interaction's display id) sent to `host`; an error inside the function is shown
    /// in that display, so only an interrupt fails the call.
    public func refresh(_ interaction: Interaction, host: CellHost) -> CellResult {
        runOnEvaluationStack("", host: host) { evaluator, _ throws(LangError) in
            try Interactions.render(interaction, evaluator, calledAt: nil)
            return nil
        }
    }

    /// Parses `text` and hands the statements to `body` on a new thread with a large stack,
    /// waiting for it: the one way anything is evaluated.
    private func runOnEvaluationStack(
        _ text: String, host: CellHost, _ body: @escaping (Evaluator, [Stmt]) throws(LangError) -> Value?
    ) -> CellResult {
        lock.withLock { _ in
            interruptFlag.clear()
            let box = RunBox(session: self, source: text, host: host, body: body)
            if let failure = onLargeStack({ stack in box.result = box.session.runHere(box, stackSize: stack) }, cell: text) {
                return failure
            }
            return box.result ?? .success(nil)
        }
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

    /// Evaluates on the current thread (the big-stack thread of `runOnEvaluationStack`).
    private func runHere(_ run: RunBox, stackSize: Int) -> CellResult {
        let source = SourceText(run.source)
        // Leave a quarter of the stack for library code and for freeing deep values.
        let stackGuard = StackGuard(budget: stackSize / 4 * 3)
        let evaluator = Evaluator(
            globals: globals, host: run.host, limits: limits, interruptFlag: interruptFlag, source: source, stackGuard: stackGuard)
        do throws(LangError) {
            let statements = try Parser.parse(source, maxDepth: limits.maxNestingDepth, stackGuard: stackGuard)
            return .success(try run.body(evaluator, statements))
        } catch {
            return .failure(error.diagnostic(cell: source))
        }
    }

    // MARK: - Bindings

    /// The names bound by cells so far, sorted.
    public var boundNames: [String] {
        lock.withLock { _ in globals.values.keys.sorted() }
    }

    /// The value bound to `name`, if any.
    public func value(of name: String) -> Value? {
        lock.withLock { _ in globals.values[name] }
    }

    /// Binds `name` (as a cell's `name = value` would).
    public func bind(_ name: String, to value: Value) {
        lock.withLock { _ in globals.values[name] = value }
    }
}

/// Carries a cell to the evaluation thread and its result back. The caller waits in
/// `pthread_join` while the thread runs, so the two never touch it at the same time
/// (hence `@unchecked Sendable`).
private final class RunBox: @unchecked Sendable {
    let session: Session
    let source: String
    let host: CellHost
    let body: (Evaluator, [Stmt]) throws(LangError) -> Value?
    var result: CellResult?

    init(session: Session, source: String, host: CellHost, body: @escaping (Evaluator, [Stmt]) throws(LangError) -> Value?) {
        self.session = session
        self.source = source
        self.host = host
        self.body = body
    }
}
