import AttentionCore

/// How a statement ended. A `return`'s value is not carried here: it waits in the
/// evaluator (`setReturn`, `takeReturn`), so a statement's closure returns one byte in a
/// register instead of a 33-byte enum through memory at every statement of every call.
enum Flow {
    case normal
    case returned
    case breakLoop
    case continueLoop
}

/// The session's top-level bindings, shared by reference with the evaluator so that a
/// binding is stored the moment its statement finishes (and survives a later error).
///
/// The bindings live behind a pointer, not in a stored property: Swift checks every access
/// to a class's stored `var` for exclusivity at run time, and in `s = s + i * i` those checks
/// took a fifth of the time. Only the one running cell's evaluator (or the session between
/// cells) touches them, and no access overlaps another (`modifyBinding`'s body evaluates
/// nothing), so the unchecked accesses are safe.
final class GlobalScope {
    let storage = UncheckedBox(Bindings())
    /// The `interact`s this session has made: numbers their display ids, so the same
    /// notebook gives the same ids on every run (used by one cell at a time, as `storage`).
    var interactions = 0

    var values: Bindings {
        _read { yield storage.pointer.pointee }
        _modify { yield &storage.pointer.pointee }
    }
}

/// One value on the heap, read and changed through a pointer: no run-time exclusivity
/// checks (see `GlobalScope`). Freed with its owner.
final class UncheckedBox<T> {
    let pointer: UnsafeMutablePointer<T>

    init(_ value: T) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// One running cell: runs the closures the `Compiler` makes of its statements.
final class Evaluator {
    let globals: GlobalScope
    /// Where outputs go; `interact` points it at a capture while its function runs.
    private(set) var host: CellHost
    let limits: Limits
    let interruptFlag: InterruptFlag
    /// The cell's source.
    private let cellSource: SourceText
    /// The source of the code running now (a function's own source while it runs).
    var source: SourceText { frame.pointer.pointee.function?.source ?? cellSource }
    /// How many user-function calls are running (0 at the top level).
    var callDepth: Int { frame.pointer.pointee.callDepth }
    /// The running call's state, unchecked as `GlobalScope`'s bindings are (one thread, no
    /// overlapping access).
    private struct FrameState {
        /// The running call's slots, one per name in its function's `localIDs` (nil: not
        /// bound yet); an empty frame at the top level, where no code has slots.
        var slots: UnsafeMutablePointer<Value?>
        var callDepth = 0
        /// Polls left before the host is asked about an interrupt (see `checkInterrupt`).
        var pollsUntilHost = 1
        /// The frames of the running calls.
        var stack = FrameStack()
        /// The function running now (nil at the top level). Not counted: the callee value
        /// that the running call holds keeps it alive, and a call swaps it without ARC.
        unowned(unsafe) var function: FunctionDecl?
        /// The value of the `return` being carried out to its call (see `Flow`).
        var returned: Value = .nil
        /// Functions a call site's cache let go of (see `cachedCallee`): kept alive until the
        /// outermost call returns, since a call of one may be running until then.
        var retired: [UserFunction] = []
        /// See `holdError`.
        var heldError: LangError?

        init() { slots = stack.push(0).frame }
    }
    private let frame = UncheckedBox(FrameState())
    /// The numeric machine's stacks (see `runMachine`).
    private let numericBox = UncheckedBox(NumericStacks())
    var numericStacks: UnsafeMutablePointer<NumericStacks> { numericBox.pointer }
    /// `globals.values`, reached without an accessor call (the evaluator holds `globals`).
    private let globalBindings: UnsafeMutablePointer<Bindings>
    /// Bounds stack use whatever the configured call and nesting limits.
    let stackGuard: StackGuard
    /// The tape of the running `grad` (nil outside one): while it is set, followed
    /// matrices (`Value.tracked`) exist and builtins check for them.
    var tape: Tape?

    init(globals: GlobalScope, host: CellHost, limits: Limits, interruptFlag: InterruptFlag, source: SourceText, stackGuard: StackGuard) {
        self.stackGuard = stackGuard
        self.globals = globals
        self.globalBindings = globals.storage.pointer
        self.host = host
        self.limits = limits
        self.interruptFlag = interruptFlag
        self.cellSource = source
    }

    deinit {
        frame.pointer.pointee.stack.deallocate()
        numericBox.pointer.pointee.deallocate()
    }

    /// Runs `body` with its outputs going to `capture` instead of the cell's host.
    func withHost<T>(_ capture: CellHost, _ body: () throws(LangError) -> T) throws(LangError) -> T {
        let saved = host
        host = capture
        defer { host = saved }
        return try body()
    }

    // MARK: - Cells

    /// Runs a parsed cell. Returns the value of a final expression statement (nil for nil).
    /// Each statement is compiled (see `Compiler`) just before it runs.
    func runCell(_ statements: [Stmt]) throws(LangError) -> Value? {
        let compiler = Compiler(stackGuard: stackGuard)
        var result: Value?
        for (i, statement) in statements.enumerated() {
            try checkInterrupt(at: statement.range)
            if i == statements.count - 1, case .expression(let e) = statement {
                let value = try compiler.expression(e)(self)
                if case .nil = value { result = nil } else { result = value }
            } else {
                _ = try compiler.statement(statement)(self)
            }
        }
        return result
    }

    /// How many polls pass between two questions to the host. The session's own flag (one
    /// relaxed atomic load) is read at every poll; `host.isInterruptRequested` is a call
    /// through a protocol (a kernel's may take a lock), so it is asked every 256th poll and
    /// at every builtin call: a few microseconds of interpreted steps, far within the
    /// 10 ms an interrupt should take, and builtin calls (which may run long) never wait.
    static let hostPollInterval = 256

    /// Polled between statements, at every loop iteration and every call. The range is an
    /// autoclosure: working out a statement's range walks its expression, and is only
    /// needed when the check fails.
    @inline(__always)
    func checkInterrupt(at range: @autoclosure () -> SourceRange?) throws(LangError) {
        let state = frame.pointer
        state.pointee.pollsUntilHost -= 1
        if interruptFlag.isSet || (state.pointee.pollsUntilHost <= 0 && askHost()) {
            throw LangError(.interrupted, at: range())
        }
    }

    /// Whether the stop button was pressed, for builtins that run long and stop early
    /// themselves (`train`) instead of failing with Interrupted.
    var interruptRequested: Bool { interruptFlag.isSet || host.isInterruptRequested }

    /// Asks the host now and starts the next countdown.
    private func askHost() -> Bool {
        frame.pointer.pointee.pollsUntilHost = Self.hostPollInterval
        return host.isInterruptRequested
    }

    // MARK: - Names

    /// A name's value: the running call's slot when the compiler gave the name one and it is
    /// bound, else the session's binding, else a builtin. Both are found by index (the slot,
    /// the name's interned id), not by the name's text.
    @inline(__always)
    func lookup(_ name: ResolvedName, at range: SourceRange) throws(LangError) -> Value {
        if let v = binding(name) { return v }
        return try lookupBuiltin(name.text, at: range)
    }

    /// What `lookup` finds before the builtins: the local or session binding, or nil when
    /// the name reads a builtin (or nothing). Cheaper than `lookup` for a builtin's name,
    /// which `lookup` finds by its text.
    @inline(__always)
    func binding(_ name: ResolvedName) -> Value? {
        if let slot = name.slot, let v = frame.pointer.pointee.slots[slot] { return v }
        return globalBindings.pointee[id: name.id]
    }

    /// Changes whenever a name is bound to a function or stops being one (call-site caches).
    var functionVersion: Int { globalBindings.pointee.functionVersion }

    /// The number the session binds to the name with this id, or nil (numeric code bails:
    /// anything else is the general lookup's to read).
    @inline(__always)
    func globalNumber(id: Int) -> Double? {
        if case .number(let d)? = globalBindings.pointee[id: id] { return d }
        return nil
    }

    private func lookupBuiltin(_ name: String, at range: SourceRange) throws(LangError) -> Value {
        if BuiltinTable.info(name) != nil { return .function(.builtin(name: name)) }
        // The named constants (NumPy's np.inf and np.nan); a binding of the same name wins.
        if name == "inf" { return .number(.infinity) }
        if name == "nan" { return .number(.nan) }
        if let hint = PythonHabits.hint(for: name) { throw LangError(.pythonName(name: name, hint: hint), at: range) }
        let suggestion = Suggestions.closest(to: name, among: namesInScope())
        throw LangError(.notDefined(name: name, suggestion: suggestion, atTopLevel: callDepth == 0), at: range)
    }

    func namesInScope() -> [String] {
        var names = globals.values.keys + BuiltinTable.names
        let state = frame.pointer.pointee
        if state.callDepth > 0, let function = state.function {
            for (slot, id) in function.localIDs.enumerated() where state.slots[slot] != nil {
                names.append(NameTable.shared.text(of: id))
            }
        }
        return names
    }

    /// Binds in the running call's slot (a local) or, for a name without one (the top
    /// level), in the session.
    @inline(__always)
    func bind(_ name: ResolvedName, _ value: Value) {
        if let slot = name.slot {
            frame.pointer.pointee.slots[slot] = value
        } else {
            globalBindings.pointee[id: name.id] = value
        }
    }

    /// Changes the value bound to `name` where it is stored, as `bind` would bind it: inside a
    /// function a global is first copied into the local slot (assignment there never changes
    /// the session's binding). The slot is the value's only holder while `body` runs, so a
    /// matrix or list whose storage nothing else shares is changed without a copy. `body`
    /// must not evaluate anything (the binding is being modified). Nil when unbound.
    @inline(__always)
    func modifyBinding<R>(_ name: ResolvedName, _ body: (inout Value) throws(LangError) -> R) throws(LangError) -> R? {
        guard let slot = name.slot else { return try globalBindings.pointee.modify(id: name.id, body) }
        let place = frame.pointer.pointee.slots + slot
        if place.pointee == nil {
            guard let global = globalBindings.pointee[id: name.id] else { return nil }
            place.pointee = global
        }
        return try body(&place.pointee!)
    }

    // MARK: - Running compiled code

    /// Holds a `return`'s value until its call takes it (`Flow.returned` says one waits).
    @inline(__always)
    func setReturn(_ value: Value) { frame.pointer.pointee.returned = value }

    /// The waiting `return` value, leaving nil in its place (a move: no retain or release).
    @inline(__always)
    func takeReturn() -> Value {
        var value = Value.nil
        swap(&value, &frame.pointer.pointee.returned)
        return value
    }

    /// Fails with a `LimitError` before a compound expression runs when the stack is nearly
    /// used up, whatever the configured limits.
    @inline(__always)
    func checkStack(at range: SourceRange) throws(LangError) {
        if stackGuard.isExhausted { throw LangError(.computationTooDeep, at: range) }
    }

    func condition(_ value: Value, of expr: Expr, _ keyword: String) throws(LangError) -> Bool {
        guard case .bool(let b) = value else {
            throw LangError(.conditionNotBool(keyword: keyword, got: value.kindDescription), at: expr.fullRange)
        }
        return b
    }

    /// `for x in 0..<n` counts without building a list; lists give their items; a 1×n row or an
    /// n×1 column its numbers; any other matrix its rows (1×C each).
    func loop(_ name: ResolvedName, over iterable: CompiledIterable, body: Block, at range: SourceRange) throws(LangError) -> Flow {
        func run(_ value: Value) throws(LangError) -> Flow? {
            try checkInterrupt(at: range)
            bind(name, value)
            switch try body(self) {
            case .normal, .continueLoop: return nil
            case .breakLoop: return .normal
            case .returned: return .returned
            }
        }
        switch iterable {
        case .range(let lo, let loExpr, let hi, let hiExpr, let r):
            let a = try rangeBound(try lo(self), at: loExpr.fullRange, operatorRange: r)
            let b = try rangeBound(try hi(self), at: hiExpr.fullRange, operatorRange: r)
            var i = a
            while i < b {
                if let flow = try run(.number(Double(i))) { return flow }
                i += 1
            }
        case .value(let code, let expr):
            let value = try code(self)
            switch value {
            case .list(let items):
                for item in items { if let flow = try run(item) { return flow } }
            case .matrix(let m) where m.rows == 1 || m.cols == 1:
                // A row or a column is a vector: its numbers, as a 1-D NumPy array gives.
                for d in m.storage { if let flow = try run(.number(d)) { return flow } }
            case .matrix(let m):
                for i in 0..<m.rows {
                    let row = Matrix(rows: 1, cols: m.cols) { _, j in m[i, j] }
                    if let flow = try run(.matrix(row)) { return flow }
                }
            case .number:
                throw LangError(.loopOverNumber(variable: name.text), at: expr.fullRange)
            default:
                throw LangError(.notIterable(got: value.kindDescription), at: expr.fullRange)
            }
        }
        return .normal
    }

    /// One step of a chain of left-associative operators: `value op right`, where `right`
    /// runs only when needed (`&&` and `||` short-circuit).
    @inline(__always)
    func apply(_ link: ChainLink, _ right: Code, to value: Value) throws(LangError) -> Value {
        let op = link.op
        switch op {
        case .and, .or:
            guard case .bool(let left) = value else {
                throw LangError(.logicNeedsBool(op: op.rawValue, side: "left", got: value.kindDescription), at: link.range)
            }
            if (op == .and && !left) || (op == .or && left) { return value }
            let rhs = try right(self)
            guard case .bool = rhs else {
                throw LangError(.logicNeedsBool(op: op.rawValue, side: "right", got: rhs.kindDescription), at: link.range)
            }
            return rhs
        default:
            let rhs = try right(self)
            if case .number(let a) = value, case .number(let b) = rhs, let result = Self.numbers(op, a, b) { return result }
            return try binary(link, value, rhs)
        }
    }

    /// The general rules for every operator but `&&` and `||`.
    func binary(_ link: ChainLink, _ value: Value, _ rhs: Value) throws(LangError) -> Value {
        switch link.op {
        case .equal, .notEqual:
            try refuseMatrixNumberEquality(link, value, rhs)
            let same = Equality.equal(value, rhs)
            return .bool(link.op == .equal ? same : !same)
        case .less, .lessEqual, .greater, .greaterEqual:
            return try compare(link.op, value, rhs, at: link.range)
        case .range:
            return try makeRange(value, rhs, at: link.range)
        default:
            return try arithmetic(link.op, value, rhs, at: link.range, rhs: link.operand)
        }
    }

    /// `A == 1` in NumPy is element-wise; here `==` compares whole values, so a matrix and
    /// a number would silently be unequal. That pairing is a TypeError pointing to `eq`/`ne`.
    private func refuseMatrixNumberEquality(_ link: ChainLink, _ lhs: Value, _ rhs: Value) throws(LangError) {
        let matrix: Matrix
        switch (lhs, rhs) {
        case (.matrix(let m), .number), (.number, .matrix(let m)): matrix = m
        default: return
        }
        let leftRange = SourceRange(start: link.range.start, startOffset: link.leftStart, endOffset: link.range.startOffset)
        let left = source.slice(leftRange), right = source.slice(link.operand.fullRange)
        let arguments = left.isEmpty || right.isEmpty || left.count + right.count > 60 ? "a, b" : "\(left), \(right)"
        throw LangError(
            .matrixNumberEquality(op: link.op.rawValue, shape: matrix.shapeDescription, use: "\(link.op == .equal ? "eq" : "ne")(\(arguments))"),
            at: link.range)
    }

    /// `a op b` for two numbers where it cannot fail (nil for `@`, `..<`, `**`, `&&`, `||`):
    /// the same results `arithmetic`, `compare` and `Equality` give, without their switches
    /// over both operands' kinds. Most operators a loop runs are these.
    @inline(__always)
    static func numbers(_ op: BinaryOp, _ a: Double, _ b: Double) -> Value? {
        switch op {
        case .add: .number(a + b)
        case .subtract: .number(a - b)
        case .multiply: .number(a * b)
        case .divide: .number(a / b)
        case .modulo: .number(a.flooredModulo(b))
        case .less: .bool(a < b)
        case .lessEqual: .bool(a <= b)
        case .greater: .bool(a > b)
        case .greaterEqual: .bool(a >= b)
        case .equal: .bool(a == b)
        case .notEqual: .bool(a != b)
        default: nil
        }
    }

    /// A short description of an expression for messages: its source text.
    func describe(_ expr: Expr) -> String {
        let text = source.slice(expr.fullRange)
        return text.isEmpty || text.count > 40 ? "this value" : "'\(text)'"
    }

    // MARK: - Calls

    struct EvaluatedArgument {
        let label: String?
        let labelRange: SourceRange?
        let value: Value
        let expr: Expr
        /// The argument's source, worked out only when a message needs it (a walk of `expr`).
        var range: SourceRange { expr.fullRange }
    }

    func call(_ callable: Callable, _ arguments: [EvaluatedArgument], at range: SourceRange, calleeRange: SourceRange) throws(LangError) -> Value {
        try checkInterrupt(at: range)
        switch callable {
        case .builtin(let name):
            if askHost() { throw LangError(.interrupted, at: range) }
            return try callBuiltin(name, arguments, at: calleeRange)
        case .user(let function):
            return try callUser(function, arguments, at: calleeRange)
        }
    }

    private func callUser(_ function: UserFunction, _ arguments: [EvaluatedArgument], at range: SourceRange) throws(LangError) -> Value {
        try checkCallDepth(function, at: range)
        let parameters = function.parameters
        let count = function.frameSize
        let state = frame.pointer
        let (slots, mark) = state.pointee.stack.push(count)
        defer { state.pointee.stack.pop(slots, count: count, to: mark) }
        var positional = 0
        for argument in arguments {
            if let label = argument.label {
                guard let k = parameters.firstIndex(of: label) else {
                    throw LangError(.noSuchParameter(signature: function.signature, label: label), at: argument.labelRange ?? range)
                }
                guard slots[k] == nil else {
                    throw LangError(.argumentGivenTwice(signature: function.signature, label: label), at: argument.labelRange ?? range)
                }
                slots[k] = argument.value
            } else {
                guard positional < parameters.count else {
                    throw LangError(.wrongArgumentCount(signature: function.signature, expected: parameters.count, got: arguments.count), at: argument.range)
                }
                slots[positional] = argument.value
                positional += 1
            }
        }
        if let missing = parameters.indices.first(where: { slots[$0] == nil }) {
            throw LangError(.missingParameter(signature: function.signature, parameter: parameters[missing]), at: range)
        }
        return try run(function, in: slots, at: range.start)
    }

    /// `f(a, b)` with as many positional arguments as `f` has parameters (the usual call):
    /// each argument is evaluated straight into the callee's frame (parameter k is slot k),
    /// with no list of evaluated arguments in between. The frame is pushed first, so calls
    /// made while evaluating the arguments push theirs above it. Checks and errors come in
    /// the order `call` and the general `callUser` give them (arguments first, then
    /// interrupt and depth). Specialised per kind of argument list (`PositionalArguments`).
    @inline(__always)
    func callUser<Arguments: PositionalArguments>(_ function: UserFunction, positional arguments: Arguments, at range: SourceRange, calleeRange: @autoclosure () -> SourceRange) throws(LangError) -> Value {
        let count = function.frameSize
        let state = frame.pointer
        let (slots, mark) = state.pointee.stack.push(count)
        defer { state.pointee.stack.pop(slots, count: count, to: mark) }
        try arguments.evaluate(into: slots, self)
        try checkInterrupt(at: range)
        try checkCallDepth(function, at: calleeRange())
        return try run(function, in: slots, at: calleeRange().start)
    }

    /// The user function the global `name` is bound to, when it takes `arity` arguments,
    /// from the call site's `cache` while no binding of a function has changed since it was
    /// filled (`Bindings.functionVersion`), else looked up and cached; nil when the name is
    /// bound to anything else (the caller takes the general path, with its messages).
    /// The cache holds the function strongly; a function it lets go of is kept until the
    /// outermost call returns (`retired`), since a call of it may be running.
    @inline(__always)
    func cachedCallee(_ name: ResolvedName, arity: Int, _ cache: UnsafeMutablePointer<CalleeCache>) -> Unmanaged<UserFunction>? {
        let version = globalBindings.pointee.functionVersion
        if cache.pointee.version == version { return cache.pointee.unmanaged }
        return fillCache(name, arity: arity, cache, version: version)
    }

    /// An error carried past a closure that cannot throw it (`Unmanaged`'s borrowing call).
    func holdError(_ error: LangError) { frame.pointer.pointee.heldError = error }

    func takeError() -> LangError {
        defer { frame.pointer.pointee.heldError = nil }
        // Always set: `holdError` runs just before the nil that leads here.
        return frame.pointer.pointee.heldError ?? LangError(.interrupted, at: nil)
    }

    private func fillCache(_ name: ResolvedName, arity: Int, _ cache: UnsafeMutablePointer<CalleeCache>, version: Int) -> Unmanaged<UserFunction>? {
        if let old = cache.pointee.function { frame.pointer.pointee.retired.append(old) }
        cache.pointee.function = nil
        cache.pointee.version = version
        if case .function(.user(let f))? = globalBindings.pointee[id: name.id], f.parameterCount == arity {
            cache.pointee.function = f
        }
        return cache.pointee.unmanaged
    }

    private func checkCallDepth(_ function: UserFunction, at range: @autoclosure () -> SourceRange) throws(LangError) {
        guard callDepth < limits.maxCallDepth else {
            throw LangError(.callsTooDeep(limit: limits.maxCallDepth, function: function.name), at: range())
        }
    }

    /// Runs a function's compiled body with `slots` as its frame, then gives the caller's
    /// frame back. `caller` (where the call is, for "called from" lines) is worked out only
    /// for an error. The caller pushed the frame and pops it.
    private func run(_ function: UserFunction, in slots: UnsafeMutablePointer<Value?>, at caller: @autoclosure () -> SourceLocation) throws(LangError) -> Value {
        let decl = function.declaration
        let state = frame.pointer
        let callerSlots = state.pointee.slots
        let callerFunction = state.pointee.function
        state.pointee.slots = slots
        state.pointee.function = decl
        state.pointee.callDepth += 1
        defer {
            state.pointee.slots = callerSlots
            state.pointee.callDepth -= 1
            state.pointee.function = callerFunction
            // Back at the top level no call runs: functions the caches let go of may go.
            if state.pointee.callDepth == 0, !state.pointee.retired.isEmpty { state.pointee.retired.removeAll() }
        }
        do {
            if let program = function.numericBody, function.isNumericEnabled, limits.numericTier,
                let value = try runNumeric(function, program, slots)
            {
                return .number(value)
            }
            return try function.code(self)
        } catch var error {
            error.leave(decl, calledFrom: caller())
            throw error
        }
    }
}

/// What a call site remembers of its callee (see `Evaluator.cachedCallee`).
struct CalleeCache {
    /// The `Bindings.functionVersion` it was filled at (0: never; versions start at 1).
    var version = 0
    /// The function to call, nil when the name is bound to something else; `unmanaged` is
    /// the same reference, for calling it without a retain and release per call.
    var function: UserFunction? {
        didSet { unmanaged = function.map(Unmanaged.passUnretained) }
    }
    private(set) var unmanaged: Unmanaged<UserFunction>?
}

/// A call site's `CalleeCache`, on the heap with the closure that owns it. Unchecked
/// Sendable: compiled code (and so its caches) runs only on the evaluation thread of the
/// session that defined it, one cell at a time, as the evaluator's own frame state does.
final class CalleeCacheBox: @unchecked Sendable {
    let pointer = UnsafeMutablePointer<CalleeCache>.allocate(capacity: 1)
    init() { pointer.initialize(to: CalleeCache()) }
    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// The compiled arguments of a positional call, evaluated into the callee's first slots.
/// One type per common count, so a call of one, two or three arguments runs their closures
/// directly, with no array to walk.
protocol PositionalArguments: Sendable {
    var count: Int { get }
    func evaluate(into slots: UnsafeMutablePointer<Value?>, _ ev: Evaluator) throws(LangError)
}

struct NoArguments: PositionalArguments {
    var count: Int { 0 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Value?>, _ ev: Evaluator) throws(LangError) {}
}

struct OneArgument: PositionalArguments {
    let first: Code
    var count: Int { 1 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Value?>, _ ev: Evaluator) throws(LangError) {
        slots.initialize(to: try first(ev))  // over a nil: nothing to release
    }
}

struct TwoArguments: PositionalArguments {
    let first: Code, second: Code
    var count: Int { 2 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Value?>, _ ev: Evaluator) throws(LangError) {
        slots.initialize(to: try first(ev))  // over a nil: nothing to release
        (slots + 1).initialize(to: try second(ev))
    }
}

struct ThreeArguments: PositionalArguments {
    let first: Code, second: Code, third: Code
    var count: Int { 3 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Value?>, _ ev: Evaluator) throws(LangError) {
        slots.initialize(to: try first(ev))  // over a nil: nothing to release
        (slots + 1).initialize(to: try second(ev))
        (slots + 2).initialize(to: try third(ev))
    }
}

struct ArgumentList: PositionalArguments {
    let codes: [CompiledCode]
    var count: Int { codes.count }
    func evaluate(into slots: UnsafeMutablePointer<Value?>, _ ev: Evaluator) throws(LangError) {
        for k in codes.indices { slots[k] = try codes[k].run(ev) }
    }
}

/// The frames of the running calls, one above the other, in segments that never move: a
/// frame's pointer stays valid while deeper calls push theirs, and a call takes its frame by
/// moving a mark (and setting its slots to nil), not by allocating. A new segment is made only
/// when calls go deeper than ever before in this cell.
struct FrameStack {
    struct Mark {
        let segment: Int
        let top: Int
    }
    private var segments: [(start: UnsafeMutablePointer<Value?>, capacity: Int)] = []
    private var segment = -1
    /// Slots in use in `segments[segment]`.
    private var top = 0

    /// A frame of `count` unbound slots, and the mark to give `pop` when the call returns.
    mutating func push(_ count: Int) -> (frame: UnsafeMutablePointer<Value?>, mark: Mark) {
        let mark = Mark(segment: segment, top: top)
        if segment < 0 || top + count > segments[segment].capacity {
            segment += 1
            if segment == segments.count {
                let capacity = Swift.max(count, 1024)
                segments.append((.allocate(capacity: capacity), capacity))
            } else if segments[segment].capacity < count {
                segments[segment].start.deallocate()  // unused: segments above the current one hold no frame
                segments[segment] = (.allocate(capacity: count), count)
            }
            top = 0
        }
        let frame = segments[segment].start + top
        // One store per slot: `initialize(repeating:count:)` and `deinitialize(count:)` go
        // through the runtime's generic array functions, slower than a call's whole body.
        for k in 0..<count { (frame + k).initialize(to: nil) }
        top += count
        return (frame, mark)
    }

    /// Releases the frame's values and frees its slots for the next call.
    mutating func pop(_ frame: UnsafeMutablePointer<Value?>, count: Int, to mark: Mark) {
        for k in 0..<count { (frame + k).deinitialize(count: 1) }
        segment = mark.segment
        top = mark.top
    }

    /// Frees the segments (every frame popped).
    func deallocate() {
        for s in segments { s.start.deallocate() }
    }
}

extension Stmt {
    /// Where the statement starts, for interrupts between statements.
    var range: SourceRange {
        switch self {
        case .assign(_, let value, let r): r.through(value.fullRange)
        case .assignIndex(_, _, _, let r): r
        case .expression(let e): e.fullRange
        case .function(let d): d.range
        case .return(_, let r), .for(_, _, _, let r), .while(_, _, let r), .if(_, _, let r), .break(let r), .continue(let r): r
        }
    }
}

// MARK: - The numeric tier

extension Evaluator {
    /// The numeric version of a call whose frame `slots` holds its arguments: its value, or nil
    /// when an argument is not a number or the run bailed (see `NumericExit`), and the general
    /// version runs instead. A function whose run bailed is not tried again.
    fileprivate func runNumeric(_ function: UserFunction, _ program: NumericProgram, _ slots: UnsafeMutablePointer<Value?>) throws(LangError) -> Double? {
        let stacks = numericStacks
        stacks.pointee.reserveNumbers(program.frameSize)
        let numbers = stacks.pointee.numbers
        for k in 0..<function.parameterCount {
            guard case .number(let d)? = slots[k] else { return nil }
            numbers[k] = d
        }
        do {
            return try runMachine(program)
        } catch {
            switch error {
            case .raised: throw takeError()
            case .bail:
                function.isNumericEnabled = false
                return nil
            }
        }
    }

    /// Sets an error aside for numeric code to throw (see `NumericExit.raised`).
    func raise(_ error: LangError) -> NumericExit {
        holdError(error)
        return .raised
    }

    /// What `run` adds to an error leaving a call, added to the error set aside.
    func decorateHeldError(_ function: FunctionDecl, caller: SourceLocation) {
        guard var error = frame.pointer.pointee.heldError else { return }
        frame.pointer.pointee.heldError = nil
        error.leave(function, calledFrom: caller)
        frame.pointer.pointee.heldError = error
    }
}
