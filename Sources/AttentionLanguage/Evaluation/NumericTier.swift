/// The numeric tier: a second compiled version of a user function whose body computes only
/// with numbers, running on unboxed `Double`s.
///
/// The general closures pass every value as a 32-byte `Value` and switch on its case at
/// every operator, every condition and every call (a call of `fib` paid a frame of `Value?`
/// slots, a boxed return and a dozen kind checks). When a function's body uses only number
/// literals, its parameters and locals, globals that hold numbers, `+ - * / %`, unary `-`,
/// comparisons, `&&`/`||`/`!`, `if`/`else`, `while`, `for` over `lo..<hi`, `break`,
/// `continue`, `return` of a number and calls of global functions with positional arguments,
/// `NumericCompiler` compiles a version whose closures take and return `Double` and `Bool`,
/// with the call's locals in a frame of `Double`s (`NumberStack`). A call from it to a global
/// function goes through the call site's cache (`Evaluator.cachedCallee`, the same version
/// guard as the general path) straight to the callee's numeric version.
///
/// Guards, in the spirit of CPython 3.11's specialising interpreter:
/// - Entry (`Evaluator.run`): every argument is a number, else the general version runs
///   before anything was executed.
/// - Everything the tier does not decide itself (a callee that has no numeric version or is
///   not a user function, a global that is not a number, a range bound that is not whole,
///   falling off the end of the body, which returns nil) ends the numeric run with
///   `NumericExit.bail`, back to the outermost numeric call, whose general version then runs
///   from the start with the same arguments. Numeric code has no side effect (it binds only
///   its own frame's locals, prints nothing, calls no builtin), so running it again is
///   unobservable, and the general version raises whatever error or result the case gives,
///   with its message and location. A function that bailed is not tried again
///   (`NumericFunction.isEnabled`), so a bail costs one extra run at most.
/// - Interrupts, the call-depth limit and the stack guard are checked where the general
///   path checks them for calls and loops, and raise the same errors, decorated with the
///   same function, source and "called from" lines.
///
/// Which reads are allowed is decided when compiling: a local is read only where every path
/// has assigned it (a parameter always has), since the general path reads an unbound local
/// from the session instead. The results are the general path's bit for bit: the same
/// `Double` operations (`Evaluator.numbers`) in the same order.
///
/// One byte: an error raised waits in the evaluator (`Evaluator.raise`), so the numeric
/// closures' error slot costs nothing on the path that does not throw.
enum NumericExit: Error {
    /// An error the general path raises at the same point (interrupt, limits), waiting in
    /// the evaluator (`Evaluator.raise`, `takeError`).
    case raised
    /// Something the tier leaves to the general version (see above).
    case bail
}

/// A numeric expression: its value, given the running numeric call's frame.
typealias NumberCode = @Sendable (Evaluator, UnsafeMutablePointer<Double>) throws(NumericExit) -> Double
/// A condition of the numeric tier.
typealias ConditionCode = @Sendable (Evaluator, UnsafeMutablePointer<Double>) throws(NumericExit) -> Bool
/// A numeric statement or block; a `return` leaves its value in the frame's last slot.
typealias NumberBlock = @Sendable (Evaluator, UnsafeMutablePointer<Double>) throws(NumericExit) -> Flow

/// A function's numeric version (see `NumericExit`), as the compiler makes it; the user
/// function keeps its parts (`UserFunction.numericBody`).
struct NumericFunction: Sendable {
    let body: NumberCode
    /// The slots of a numeric frame: the function's locals, then the return value.
    let frameSize: Int
}

/// An operand of a numeric operator read in place (see `Operand`).
enum NumberOperand: Sendable {
    case slot(Int)
    case constant(Double)
    case code(NumberCode)

    @inline(__always)
    func value(_ ev: Evaluator, _ frame: UnsafeMutablePointer<Double>) throws(NumericExit) -> Double {
        switch self {
        case .slot(let k): frame[k]
        case .constant(let d): d
        case .code(let code): try code(ev, frame)
        }
    }
}

/// `+ - * / %` as types, so that each operator gets a closure of its own (see
/// `Compiler.binary`). The operations are `Evaluator.numbers`'.
protocol NumberOperator: SendableMetatype {
    static func apply(_ a: Double, _ b: Double) -> Double
}

/// `< <= > >= == !=` as types.
protocol NumberComparison: SendableMetatype {
    static func test(_ a: Double, _ b: Double) -> Bool
}

enum NumberOperators {
    enum Add: NumberOperator { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a + b } }
    enum Subtract: NumberOperator { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a - b } }
    enum Multiply: NumberOperator { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a * b } }
    enum Divide: NumberOperator { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a / b } }
    enum Modulo: NumberOperator { @inline(__always) static func apply(_ a: Double, _ b: Double) -> Double { a.flooredModulo(b) } }
    enum Less: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a < b } }
    enum LessEqual: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a <= b } }
    enum Greater: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a > b } }
    enum GreaterEqual: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a >= b } }
    enum Equal: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a == b } }
    enum NotEqual: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a != b } }
}

/// The arguments of a numeric call, evaluated into the callee's first slots (one type per
/// common count, as `PositionalArguments`).
protocol NumberArguments: Sendable {
    var count: Int { get }
    func evaluate(into slots: UnsafeMutablePointer<Double>, _ ev: Evaluator, _ frame: UnsafeMutablePointer<Double>) throws(NumericExit)
}

struct NoNumberArguments: NumberArguments {
    var count: Int { 0 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Double>, _ ev: Evaluator, _ frame: UnsafeMutablePointer<Double>) throws(NumericExit) {}
}

struct OneNumberArgument: NumberArguments {
    let first: NumberOperand
    var count: Int { 1 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Double>, _ ev: Evaluator, _ frame: UnsafeMutablePointer<Double>) throws(NumericExit) {
        slots[0] = try first.value(ev, frame)
    }
}

struct TwoNumberArguments: NumberArguments {
    let first: NumberOperand, second: NumberOperand
    var count: Int { 2 }
    @inline(__always)
    func evaluate(into slots: UnsafeMutablePointer<Double>, _ ev: Evaluator, _ frame: UnsafeMutablePointer<Double>) throws(NumericExit) {
        slots[0] = try first.value(ev, frame)
        slots[1] = try second.value(ev, frame)
    }
}

struct NumberArgumentList: NumberArguments {
    let operands: [NumberOperand]
    var count: Int { operands.count }
    func evaluate(into slots: UnsafeMutablePointer<Double>, _ ev: Evaluator, _ frame: UnsafeMutablePointer<Double>) throws(NumericExit) {
        for k in operands.indices { slots[k] = try operands[k].value(ev, frame) }
    }
}

/// Compiles a function's numeric version, or finds that its body has something the tier does
/// not run (`compile` returns nil). See `NumericExit` for what it runs.
struct NumericCompiler {
    /// Why a body is left to the general version alone (never shown: it only stops compiling).
    struct Unsupported: Error {}

    /// The slot of each local name, by interned id (the function's `localIDs`, in order).
    private let slots: [Int: Int]
    private let returnSlot: Int

    /// The compiling thread's stack, as the general compiler's (`Compiler.stackGuard`).
    private let stackGuard: StackGuard

    /// How deep expressions and statements may nest in a numeric version (a chain counts each
    /// link: each nests one closure in the next). Deeper bodies are the general version's alone: numeric code checks the stack guard only at calls and loops, so
    /// the stack one call's body can take between two checks must stay small.
    static let maxNesting = 48

    init(_ decl: FunctionDecl, stackGuard: StackGuard) {
        var slots: [Int: Int] = [:]
        for (slot, id) in decl.localIDs.enumerated() { slots[id] = slot }
        self.slots = slots
        self.returnSlot = decl.localIDs.count
        self.stackGuard = stackGuard
    }

    static func compile(_ decl: FunctionDecl, stackGuard: StackGuard) -> NumericFunction? {
        let compiler = NumericCompiler(decl, stackGuard: stackGuard)
        do {
            let body = try compiler.function(decl)
            return NumericFunction(body: body, frameSize: compiler.returnSlot + 1)
        } catch {
            return nil
        }
    }

    /// The locals every path has assigned so far, by slot.
    typealias Assigned = Set<Int>

    /// Refuses a body nested deeper than `maxNesting`, or one whose compiling would run the
    /// compiling thread out of stack (the general compiler then says why, with its location).
    private func descend(_ depth: Int) throws(Unsupported) -> Int {
        if depth >= Self.maxNesting || stackGuard.isExhausted { throw Unsupported() }
        return depth + 1
    }

    private func function(_ decl: FunctionDecl) throws(Unsupported) -> NumberCode {
        let d = 0
        var assigned = Assigned(0..<decl.parameters.count)
        let ret = returnSlot
        if let last = decl.body.last, case .return(let e?, _) = last {
            let head = Array(decl.body.dropLast())
            if head.count == 1, case .if(let branches, nil, _) = head[0], branches.count == 1,
                branches[0].body.count == 1, case .return(let early?, _) = branches[0].body[0]
            {
                // `if c { return a }` then `return b` (a recursion's base case): one closure.
                let test = try condition(branches[0].condition, assigned, d)
                let first = try number(early, assigned, d), second = try number(e, assigned, d)
                return { ev, frame throws(NumericExit) in
                    if try test(ev, frame) { return try first(ev, frame) }
                    return try second(ev, frame)
                }
            }
            if head.isEmpty { return try number(e, assigned, d) }
            let run = try block(head, &assigned, d)
            let tail = try number(e, assigned, d)
            return { ev, frame throws(NumericExit) in
                if case .returned = try run(ev, frame) { return frame[ret] }
                return try tail(ev, frame)
            }
        }
        let run = try block(decl.body, &assigned, d)
        return { ev, frame throws(NumericExit) in
            if case .returned = try run(ev, frame) { return frame[ret] }
            throw .bail  // the body ends without `return`: the call's value is nil
        }
    }

    // MARK: - Statements

    private func block(_ statements: [Stmt], _ assigned: inout Assigned, _ depth: Int) throws(Unsupported) -> NumberBlock {
        let d = try descend(depth)
        var codes: [NumberBlockBox] = []
        for s in statements { codes.append(NumberBlockBox(run: try statement(s, &assigned, d))) }
        switch codes.count {
        case 0: return { _, _ throws(NumericExit) in .normal }
        case 1: return codes[0].run
        case 2:
            let first = codes[0].run, second = codes[1].run
            return { ev, frame throws(NumericExit) in
                let flow = try first(ev, frame)
                guard case .normal = flow else { return flow }
                return try second(ev, frame)
            }
        default:
            let all = codes
            return { ev, frame throws(NumericExit) in
                for code in all {
                    let flow = try code.run(ev, frame)
                    if case .normal = flow { continue }
                    return flow
                }
                return .normal
            }
        }
    }

    private func statement(_ statement: Stmt, _ assigned: inout Assigned, _ depth: Int) throws(Unsupported) -> NumberBlock {
        let d = try descend(depth)
        switch statement {
        case .assign(let name, let value, _):
            guard let slot = slots[name.id] else { throw Unsupported() }
            let code = try number(value, assigned, d)
            assigned.insert(slot)
            return { ev, frame throws(NumericExit) in
                frame[slot] = try code(ev, frame)
                return .normal
            }
        case .return(let e?, _):
            let code = try number(e, assigned, d), ret = returnSlot
            return { ev, frame throws(NumericExit) in
                frame[ret] = try code(ev, frame)
                return .returned
            }
        case .break:
            return { _, _ throws(NumericExit) in .breakLoop }
        case .continue:
            return { _, _ throws(NumericExit) in .continueLoop }
        case .if(let branches, let elseBody, _):
            struct Branch {
                let test: ConditionCode
                let body: NumberBlock
            }
            var compiled: [Branch] = []
            var after: Assigned?
            for branch in branches {
                let test = try condition(branch.condition, assigned, d)
                var inside = assigned
                compiled.append(Branch(test: test, body: try block(branch.body, &inside, d)))
                after = after.map { $0.intersection(inside) } ?? inside
            }
            var elseCode: NumberBlock?
            if let elseBody {
                var inside = assigned
                elseCode = try block(elseBody, &inside, d)
                assigned = (after ?? inside).intersection(inside)
            }
            let all = compiled, otherwise = elseCode
            if all.count == 1 {
                let test = all[0].test, body = all[0].body
                if let otherwise {
                    return { ev, frame throws(NumericExit) in
                        if try test(ev, frame) { return try body(ev, frame) }
                        return try otherwise(ev, frame)
                    }
                }
                return { ev, frame throws(NumericExit) in
                    if try test(ev, frame) { return try body(ev, frame) }
                    return .normal
                }
            }
            return { ev, frame throws(NumericExit) in
                for branch in all where try branch.test(ev, frame) { return try branch.body(ev, frame) }
                if let otherwise { return try otherwise(ev, frame) }
                return .normal
            }
        case .while(let condition, let body, let range):
            let test = try self.condition(condition, assigned, d)
            var inside = assigned
            let code = try block(body, &inside, d)
            return { ev, frame throws(NumericExit) in
                while true {
                    try ev.checkNumericInterrupt(at: range)
                    guard try test(ev, frame) else { return .normal }
                    switch try code(ev, frame) {
                    case .normal, .continueLoop: continue
                    case .breakLoop: return .normal
                    case .returned: return .returned
                    }
                }
            }
        case .for(let name, .chain(let lo, let links), let body, let range) where links.count == 1 && links[0].op == .range:
            guard let variable = slots[name.id] else { throw Unsupported() }
            let low = try number(lo, assigned, d), high = try number(links[0].operand, assigned, d)
            var inside = assigned
            inside.insert(variable)
            let code = try block(body, &inside, d)
            return { ev, frame throws(NumericExit) in
                // `Evaluator.rangeBound`'s rule; a bound it refuses is the general path's error.
                guard let a = Convert.exactInt(try low(ev, frame)), let b = Convert.exactInt(try high(ev, frame)) else { throw .bail }
                var i = a
                while i < b {
                    try ev.checkNumericInterrupt(at: range)
                    frame[variable] = Double(i)
                    switch try code(ev, frame) {
                    case .normal, .continueLoop: break
                    case .breakLoop: return .normal
                    case .returned: return .returned
                    }
                    i += 1
                }
                return .normal
            }
        default:
            throw Unsupported()
        }
    }

    // MARK: - Expressions

    private func operand(_ expr: Expr, _ assigned: Assigned, _ depth: Int) throws(Unsupported) -> NumberOperand {
        let d = depth
        switch expr {
        case .number(let d, _): return .constant(d)
        case .name(let name, _):
            guard let slot = slots[name.id] else { return .code(try number(expr, assigned, d)) }
            // A local read before every path assigned it reads the session's binding.
            guard assigned.contains(slot) else { throw Unsupported() }
            return .slot(slot)
        default: return .code(try number(expr, assigned, d))
        }
    }

    private func number(_ expr: Expr, _ assigned: Assigned, _ depth: Int) throws(Unsupported) -> NumberCode {
        let d = try descend(depth)
        switch expr {
        case .number(let d, _):
            return { _, _ throws(NumericExit) in d }
        case .name(let name, _):
            if let slot = slots[name.id] {
                guard assigned.contains(slot) else { throw Unsupported() }
                return { _, frame throws(NumericExit) in frame[slot] }
            }
            let id = name.id
            return { ev, _ throws(NumericExit) in
                guard let d = ev.globalNumber(id: id) else { throw .bail }
                return d
            }
        case .unary(.negate, let operand, _):
            let code = try number(operand, assigned, d)
            return { ev, frame throws(NumericExit) in -(try code(ev, frame)) }
        case .chain(let first, let links) where links.allSatisfy({ [.add, .subtract, .multiply, .divide, .modulo].contains($0.op) }):
            // Each link nests one closure in the next: a long chain is deep nesting too.
            guard d + links.count < Self.maxNesting else { throw Unsupported() }
            var value = try operand(first, assigned, d)
            for link in links {
                let right = try operand(link.operand, assigned, d)
                let code: NumberCode
                switch link.op {
                case .add: code = Self.binary(NumberOperators.Add.self, value, right)
                case .subtract: code = Self.binary(NumberOperators.Subtract.self, value, right)
                case .multiply: code = Self.binary(NumberOperators.Multiply.self, value, right)
                case .divide: code = Self.binary(NumberOperators.Divide.self, value, right)
                default: code = Self.binary(NumberOperators.Modulo.self, value, right)
                }
                value = .code(code)
            }
            guard case .code(let code) = value else { throw Unsupported() }
            return code
        case .call(.name(let name, let calleeRange), let arguments, let range) where slots[name.id] == nil && arguments.allSatisfy({ $0.label == nil }):
            var operands: [NumberOperand] = []
            for argument in arguments { operands.append(try operand(argument.value, assigned, d)) }
            switch operands.count {
            case 0: return Self.call(name, NoNumberArguments(), range: range, calleeRange: calleeRange)
            case 1: return Self.call(name, OneNumberArgument(first: operands[0]), range: range, calleeRange: calleeRange)
            case 2: return Self.call(name, TwoNumberArguments(first: operands[0], second: operands[1]), range: range, calleeRange: calleeRange)
            default: return Self.call(name, NumberArgumentList(operands: operands), range: range, calleeRange: calleeRange)
            }
        default:
            throw Unsupported()
        }
    }

    private func condition(_ expr: Expr, _ assigned: Assigned, _ depth: Int) throws(Unsupported) -> ConditionCode {
        let d = try descend(depth)
        switch expr {
        case .bool(let b, _):
            return { _, _ throws(NumericExit) in b }
        case .unary(.not, let operand, _):
            let code = try condition(operand, assigned, d)
            return { ev, frame throws(NumericExit) in !(try code(ev, frame)) }
        case .chain(let first, let links) where links.allSatisfy({ $0.op == .and || $0.op == .or }):
            guard d + links.count < Self.maxNesting else { throw Unsupported() }
            var value = try condition(first, assigned, d)
            for link in links {
                let left = value, right = try condition(link.operand, assigned, d)
                if link.op == .and {
                    value = { ev, frame throws(NumericExit) in try left(ev, frame) ? try right(ev, frame) : false }
                } else {
                    value = { ev, frame throws(NumericExit) in try left(ev, frame) ? true : try right(ev, frame) }
                }
            }
            return value
        case .chain(let first, let links) where links.count == 1:
            let left = try operand(first, assigned, d), right = try operand(links[0].operand, assigned, d)
            switch links[0].op {
            case .less: return Self.compare(NumberOperators.Less.self, left, right)
            case .lessEqual: return Self.compare(NumberOperators.LessEqual.self, left, right)
            case .greater: return Self.compare(NumberOperators.Greater.self, left, right)
            case .greaterEqual: return Self.compare(NumberOperators.GreaterEqual.self, left, right)
            case .equal: return Self.compare(NumberOperators.Equal.self, left, right)
            case .notEqual: return Self.compare(NumberOperators.NotEqual.self, left, right)
            default: throw Unsupported()
            }
        default:
            throw Unsupported()
        }
    }

    /// An operator's closure. An operand that is code is captured as a closure of its own, not
    /// inside a `NumberOperand`: taking it out of the enum at every run retained and released
    /// its context (a tenth of `fib`'s time, in `fib(n - 1) + fib(n - 2)`).
    private static func binary<Op: NumberOperator>(_: Op.Type, _ left: NumberOperand, _ right: NumberOperand) -> NumberCode {
        switch (left, right) {
        case (.code(let l), .code(let r)):
            return { ev, frame throws(NumericExit) in
                let a = try l(ev, frame)
                return Op.apply(a, try r(ev, frame))
            }
        case (.code(let l), _):
            return { ev, frame throws(NumericExit) in
                let a = try l(ev, frame)
                return Op.apply(a, try right.value(ev, frame))
            }
        case (_, .code(let r)):
            return { ev, frame throws(NumericExit) in
                let a = try left.value(ev, frame)
                return Op.apply(a, try r(ev, frame))
            }
        default:
            return { ev, frame throws(NumericExit) in
                let a = try left.value(ev, frame)
                return Op.apply(a, try right.value(ev, frame))
            }
        }
    }

    /// A comparison's closure; operands that are code are captured as in `binary`. (The same
    /// shape as `binary`, for `Bool`: one generic function over both was not specialised and
    /// made `fib` half as fast again.)
    private static func compare<Op: NumberComparison>(_: Op.Type, _ left: NumberOperand, _ right: NumberOperand) -> ConditionCode {
        switch (left, right) {
        case (.code(let l), .code(let r)):
            return { ev, frame throws(NumericExit) in
                let a = try l(ev, frame)
                return Op.test(a, try r(ev, frame))
            }
        case (.code(let l), _):
            return { ev, frame throws(NumericExit) in
                let a = try l(ev, frame)
                return Op.test(a, try right.value(ev, frame))
            }
        case (_, .code(let r)):
            return { ev, frame throws(NumericExit) in
                let a = try left.value(ev, frame)
                return Op.test(a, try r(ev, frame))
            }
        default:
            return { ev, frame throws(NumericExit) in
                let a = try left.value(ev, frame)
                return Op.test(a, try right.value(ev, frame))
            }
        }
    }

    /// A call of the global `name`: its numeric version through the call site's cache, or a
    /// bail when it has none (see `Evaluator.callNumeric`).
    private static func call<Arguments: NumberArguments>(_ name: Name, _ arguments: Arguments, range: SourceRange, calleeRange: SourceRange) -> NumberCode {
        let target = ResolvedName(name, slot: nil), arity = arguments.count
        let cache = CalleeCacheBox()
        return { ev, frame throws(NumericExit) in
            if ev.stackGuard.isExhausted { throw ev.raise(LangError(.computationTooDeep, at: range)) }
            guard let f = ev.cachedCallee(target, arity: arity, cache.pointer) else { throw .bail }
            var exit: NumericExit?
            let value = f._withUnsafeGuaranteedRef { (f: UserFunction) -> Double in
                do throws(NumericExit) {
                    return try ev.callNumeric(f, arguments, from: frame, at: range, calleeRange: calleeRange)
                } catch {
                    exit = error
                    return 0
                }
            }
            if let exit { throw exit }
            return value
        }
    }
}

/// A `NumberBlock` to keep in an array (see `CompiledCode`).
struct NumberBlockBox: Sendable {
    let run: NumberBlock
}

/// The numeric frames of the running numeric calls, as `FrameStack` keeps the general ones:
/// segments that never move, a call takes its frame by moving a mark. No slot needs setting
/// up: the compiler lets numeric code read only slots it has written.
struct NumberStack {
    private var segments: [(start: UnsafeMutablePointer<Double>, capacity: Int)] = []
    private var segment = -1
    private var top = 0

    mutating func push(_ count: Int) -> (frame: UnsafeMutablePointer<Double>, mark: FrameStack.Mark) {
        let mark = FrameStack.Mark(segment: segment, top: top)
        if segment < 0 || top + count > segments[segment].capacity {
            segment += 1
            if segment == segments.count {
                let capacity = Swift.max(count, 4096)
                let start = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
                start.initialize(repeating: 0, count: capacity)
                segments.append((start, capacity))
            } else if segments[segment].capacity < count {
                segments[segment].start.deallocate()
                let start = UnsafeMutablePointer<Double>.allocate(capacity: count)
                start.initialize(repeating: 0, count: count)
                segments[segment] = (start, count)
            }
            top = 0
        }
        let frame = segments[segment].start + top
        top += count
        return (frame, mark)
    }

    @inline(__always)
    mutating func pop(to mark: FrameStack.Mark) {
        segment = mark.segment
        top = mark.top
    }

    func deallocate() {
        for s in segments { s.start.deallocate() }
    }
}
