/// A compiled expression: run it on an evaluator to get the expression's value.
typealias Code = @Sendable (Evaluator) throws(LangError) -> Value
/// A compiled statement or block: run it to get how it ended.
typealias Block = @Sendable (Evaluator) throws(LangError) -> Flow

/// A `Code` to keep in an array. An array stores a closure in its most general form, so
/// every closure read back from `[Code]` went through a reabstraction thunk; a struct's field
/// keeps the closure as it is.
struct CompiledCode: Sendable {
    let run: Code
}

/// An operand as its parent's closure reads it: a name or a number written in the source is
/// read in place, with a `switch` the branch predictor learns, instead of a call through a
/// closure of its own (in `n - 1`, `A[i, k]`, `f(n)` most operands are these).
enum Operand: Sendable {
    case name(ResolvedName, SourceRange)
    case number(Double)
    case code(Code)

    @inline(__always)
    func value(_ ev: Evaluator) throws(LangError) -> Value {
        switch self {
        case .name(let name, let range): try ev.lookup(name, at: range)
        case .number(let d): .number(d)
        case .code(let code): try code(ev)
        }
    }
}

/// A `Block` to keep in an array (see `CompiledCode`).
struct CompiledBlock: Sendable {
    let run: Block
    let statement: Stmt
}

/// An index part with its expressions compiled (the expressions stay for messages). A
/// class: reading a part out of a statement's list of parts retains one reference, not
/// each closure and node inside.
final class CompiledPart: Sendable {
    enum Kind: Sendable {
        case single(Code, Expr)
        case slice(lower: CompiledBound?, upper: CompiledBound?)
    }
    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }
}

struct CompiledBound: Sendable {
    let code: Code
    let expr: Expr
}

/// What a `for` loops over: `lo..<hi` counted without a list, or any other value.
enum CompiledIterable: Sendable {
    case range(lo: Code, loExpr: Expr, hi: Code, hiExpr: Expr, operatorRange: SourceRange)
    case value(Code, Expr)
}

/// Turns a syntax tree into closures, once per cell statement and once per function
/// definition, so that running it switches over no syntax node: each closure holds its
/// children's closures and whatever its node's payload holds (names with their slots,
/// operators, ranges and the nodes themselves for messages), read with no retain or
/// release of tree nodes. A tree walk paid a `switch` over an `indirect` enum and retains
/// of every payload it bound at each node it visited, every time; this is most of what
/// made a call or a loop step slower than CPython's.
///
/// The closures call the evaluator's methods for everything with rules (operators,
/// indexing, calls, assignment), so the semantics and messages live in one place. Compiling
/// recurses as deep as the tree, which the parser's nesting limit bounds; the stack guard is
/// asked at every compound node, as the evaluator asks it when running one.
struct Compiler {
    let stackGuard: StackGuard
    /// The slot of each local name, by interned id, when compiling a function's body (its
    /// `localIDs`, in order); empty at the top level, where every name is the session's.
    let slots: [Int: Int]

    init(stackGuard: StackGuard, locals: [Int] = []) {
        self.stackGuard = stackGuard
        var slots: [Int: Int] = [:]
        for (slot, id) in locals.enumerated() { slots[id] = slot }
        self.slots = slots
    }

    /// `name` with its slot when it is a local of the function being compiled.
    private func resolved(_ name: Name) -> ResolvedName { ResolvedName(name, slot: slots[name.id]) }

    private func checkStack(_ expr: Expr) throws(LangError) {
        if stackGuard.isExhausted { throw LangError(.computationTooDeep, at: expr.range) }
    }

    // MARK: - Statements

    func block(_ statements: [Stmt]) throws(LangError) -> Block {
        var compiled: [CompiledBlock] = []
        compiled.reserveCapacity(statements.count)
        for s in statements { compiled.append(CompiledBlock(run: try statement(s), statement: s)) }
        let codes = compiled
        if codes.count == 1 {
            let only = codes[0].run, s = statements[0]
            return { ev throws(LangError) in
                try ev.checkInterrupt(at: s.range)
                return try only(ev)
            }
        }
        if codes.count == 2 {
            // A function body's `if ... { return ... }` then `return ...`, a loop body of two.
            let first = codes[0].run, second = codes[1].run, s0 = statements[0], s1 = statements[1]
            return { ev throws(LangError) in
                try ev.checkInterrupt(at: s0.range)
                let flow = try first(ev)
                guard case .normal = flow else { return flow }
                try ev.checkInterrupt(at: s1.range)
                return try second(ev)
            }
        }
        return { ev throws(LangError) in
            for code in codes {
                try ev.checkInterrupt(at: code.statement.range)
                let flow = try code.run(ev)
                if case .normal = flow { continue }
                return flow
            }
            return .normal
        }
    }

    func statement(_ statement: Stmt) throws(LangError) -> Block {
        if case .assign(let name, let value, _) = statement, let append = SelfAppend(name, value) {
            let item = try expression(append.item), general = try expression(value)
            let target = resolved(name), callee = resolved(append.callee)
            return { ev throws(LangError) in
                try ev.assignAppend(target, callee: callee, append, item: item, general: general)
                return .normal
            }
        }
        switch statement {
        case .assign(let name, .chain(.name(let left, let leftRange), let links), _)
        where links.count == 1 && links[0].op == .add && left.id == name.id:
            let link = links[0], rhs = try expression(link.operand), target = resolved(name)
            return { ev throws(LangError) in
                try ev.assignSum(target, at: leftRange, link, rhs: rhs)
                return .normal
            }
        case .assign(let name, let value, _):
            let code = try expression(value), target = resolved(name)
            return { ev throws(LangError) in
                ev.bind(target, try code(ev))
                return .normal
            }
        case .assignIndex(let name, let indices, let value, let range):
            let parts = try indexParts(indices), code = try expression(value), target = resolved(name)
            if indices.count == 2, case .single(let rowExpr) = indices[0], case .single(let colExpr) = indices[1] {
                // `W[i, j] = v`: the indices read as operands (see `Evaluator.assignElement`).
                let row = try operand(rowExpr), col = try operand(colExpr)
                return { ev throws(LangError) in
                    try ev.assignElement(of: target, row: row, rowExpr, col: col, colExpr, value: code, parts: parts, at: range)
                    return .normal
                }
            }
            return { ev throws(LangError) in
                try ev.assignElements(of: target, indices: parts, value: code, at: range)
                return .normal
            }
        case .expression(let e):
            let code = try expression(e)
            return { ev throws(LangError) in
                _ = try code(ev)
                return .normal
            }
        case .function(let decl):
            // The body has its own frame: its names resolve to its own slots.
            let body = try Compiler(stackGuard: stackGuard, locals: decl.localIDs).function(decl)
            let numeric = NumericCompiler.compile(decl, stackGuard: stackGuard)
            let target = resolved(Name(decl.name))
            return { ev throws(LangError) in
                ev.bind(target, .function(.user(UserFunction(decl, code: body, numeric: numeric))))
                return .normal
            }
        case .return(let e, _):
            guard let e else {
                return { ev throws(LangError) in
                    ev.setReturn(.nil)
                    return .returned
                }
            }
            let code = try expression(e)
            return { ev throws(LangError) in
                ev.setReturn(try code(ev))
                return .returned
            }
        case .break:
            return { _ throws(LangError) in .breakLoop }
        case .continue:
            return { _ throws(LangError) in .continueLoop }
        case .if(let branches, let elseBody, _):
            // A struct, not a tuple: an array keeps a tuple's closures in their general form,
            // and each call through one would go through a reabstraction thunk.
            struct Branch {
                let condition: Code
                let expr: Expr
                let body: Block
            }
            var tests: [Branch] = []
            for branch in branches {
                tests.append(Branch(condition: try expression(branch.condition), expr: branch.condition, body: try block(branch.body)))
            }
            let compiled = tests
            var elseBlock: Block?
            if let elseBody { elseBlock = try block(elseBody) }
            let elseCode = elseBlock
            if compiled.count == 1 {
                // `if c { ... }` or `if c { ... } else { ... }`, the usual forms, without a loop.
                let test = compiled[0].condition, expr = compiled[0].expr, body = compiled[0].body
                if elseCode == nil, branches[0].body.count == 1, case .return(let e?, let returnRange) = branches[0].body[0] {
                    // `if c { return e }`, a guard (a recursion's base case): one closure, the
                    // same checks in the same order as the `if`, its block and its `return`.
                    let value = try expression(e)
                    return { ev throws(LangError) in
                        guard try ev.condition(try test(ev), of: expr, "if") else { return .normal }
                        try ev.checkInterrupt(at: returnRange)
                        ev.setReturn(try value(ev))
                        return .returned
                    }
                }
                if elseCode == nil {
                    return { ev throws(LangError) in
                        if try ev.condition(try test(ev), of: expr, "if") { return try body(ev) }
                        return .normal
                    }
                }
                return { ev throws(LangError) in
                    if try ev.condition(try test(ev), of: expr, "if") { return try body(ev) }
                    if let elseCode { return try elseCode(ev) }
                    return .normal
                }
            }
            return { ev throws(LangError) in
                for branch in compiled {
                    if try ev.condition(try branch.condition(ev), of: branch.expr, "if") { return try branch.body(ev) }
                }
                if let elseCode { return try elseCode(ev) }
                return .normal
            }
        case .while(let condition, let body, let range):
            let test = try expression(condition), code = try block(body)
            return { ev throws(LangError) in
                while true {
                    try ev.checkInterrupt(at: range)
                    guard try ev.condition(try test(ev), of: condition, "while") else { return .normal }
                    switch try code(ev) {
                    case .normal, .continueLoop: continue
                    case .breakLoop: return .normal
                    case .returned: return .returned
                    }
                }
            }
        case .for(let name, let iterable, let body, let range):
            let code = try block(body)
            let source: CompiledIterable
            if case .chain(let first, let links) = iterable, let last = links.last, last.op == .range {
                // `lo..<hi`, where `lo` is everything before the last operator.
                let lo: Expr = links.count == 1 ? first : .chain(first, Array(links.dropLast()))
                source = .range(lo: try expression(lo), loExpr: lo, hi: try expression(last.operand), hiExpr: last.operand, operatorRange: last.range)
            } else {
                source = .value(try expression(iterable), iterable)
            }
            let variable = resolved(name)
            return { ev throws(LangError) in try ev.loop(variable, over: source, body: code, at: range) }
        }
    }

    /// A function's body as a function: the value it returns (a body that is one expression
    /// returns that expression's value, as in Swift), or nil.
    func function(_ decl: FunctionDecl) throws(LangError) -> Code {
        if decl.body.count == 1, case .expression(let e) = decl.body[0] { return try expression(e) }
        if let last = decl.body.last, case .return(let e?, _) = last {
            // A body that ends in `return e` (most do): `e`'s value is the call's, returned
            // directly, not set aside and taken back through a statement's `Flow`.
            let tail = try expression(e), tailRange = last.range
            if decl.body.count == 1 {
                return { ev throws(LangError) in
                    try ev.checkInterrupt(at: tailRange)
                    return try tail(ev)
                }
            }
            if decl.body.count == 2 {
                // One statement before the `return` (a guard): its closure called directly.
                let first = try statement(decl.body[0]), firstRange = decl.body[0].range
                return { ev throws(LangError) in
                    try ev.checkInterrupt(at: firstRange)
                    if case .returned = try first(ev) { return ev.takeReturn() }
                    try ev.checkInterrupt(at: tailRange)
                    return try tail(ev)
                }
            }
            let head = try block(Array(decl.body.dropLast()))
            return { ev throws(LangError) in
                if case .returned = try head(ev) { return ev.takeReturn() }
                try ev.checkInterrupt(at: tailRange)
                return try tail(ev)
            }
        }
        let body = try block(decl.body)
        return { ev throws(LangError) in
            if case .returned = try body(ev) { return ev.takeReturn() }
            return .nil
        }
    }

    // MARK: - Expressions

    /// `expr` as an operand: in place when it is a name or a number.
    func operand(_ expr: Expr) throws(LangError) -> Operand {
        switch expr {
        case .name(let name, let range): .name(resolved(name), range)
        case .number(let d, _): .number(d)
        default: .code(try expression(expr))
        }
    }

    func expression(_ expr: Expr) throws(LangError) -> Code {
        switch expr {
        case .number(let v, _): return { _ throws(LangError) in .number(v) }
        case .string(let s, _): return { _ throws(LangError) in .string(s) }
        case .bool(let b, _): return { _ throws(LangError) in .bool(b) }
        case .nil: return { _ throws(LangError) in .nil }
        case .name(let name, let range):
            let resolvedName = resolved(name)
            return { ev throws(LangError) in try ev.lookup(resolvedName, at: range) }
        default: break
        }
        try checkStack(expr)
        let range = expr.range
        switch expr {
        case .number, .string, .bool, .nil, .name:
            preconditionFailure("leaves are compiled above")
        case .bracket(let rows, _):
            var compiledRows: [[CompiledCode]] = []
            for row in rows {
                var compiled: [CompiledCode] = []
                for e in row { compiled.append(CompiledCode(run: try expression(e))) }
                compiledRows.append(compiled)
            }
            let codes = compiledRows
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                return try ev.evaluateBracket(codes, rows, range: range)
            }
        case .unary(let op, let operand, _):
            let code = try expression(operand)
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                return try ev.unary(op, try code(ev), at: range)
            }
        case .power(let lhs, let rhs, _):
            let left = try expression(lhs), right = try expression(rhs)
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                let base = try left(ev)
                return try ev.arithmetic(.power, base, try right(ev), at: range, rhs: rhs)
            }
        case .chain(let first, let links):
            return try chain(first, links, range: range)
        case .call(let callee, let arguments, _):
            return try call(callee, arguments, range: range)
        case .index(let target, let parts, _):
            if parts.count == 2, case .single(let rowExpr) = parts[0], case .single(let colExpr) = parts[1] {
                // `A[i, k]`: the target and indices read as operands, not through index parts.
                let matrix = try operand(target), row = try operand(rowExpr), col = try operand(colExpr)
                let compiled = [CompiledPart(.single(try expression(rowExpr), rowExpr)), CompiledPart(.single(try expression(colExpr), colExpr))]
                return { ev throws(LangError) in
                    try ev.checkStack(at: range)
                    return try ev.element(try matrix.value(ev), row: row, rowExpr, col: col, colExpr, parts: compiled, at: range)
                }
            }
            let code = try expression(target)
            let compiled = try indexParts(parts)
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                return try ev.index(try code(ev), compiled, at: range)
            }
        case .field(let target, let name, _):
            let code = try expression(target)
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                return try ev.field(try code(ev), name, at: range)
            }
        }
    }

    /// Left to right, in a loop: a chain may be arbitrarily long (see `Expr`), so it never
    /// becomes a nest of closures. A chain of one operator, the usual case, is one closure.
    private func chain(_ first: Expr, _ links: [ChainLink], range: SourceRange) throws(LangError) -> Code {
        if links.count == 1 {
            let link = links[0], op = link.op
            if op == .and || op == .or {
                // Short-circuit: the right operand runs only when needed.
                let head = try expression(first), right = try expression(link.operand)
                return { ev throws(LangError) in
                    try ev.checkStack(at: range)
                    return try ev.apply(link, right, to: try head(ev))
                }
            }
            let left = try operand(first), right = try operand(link.operand)
            switch op {
            case .add: return binary(Operator.Add.self, left, right, link, range: range)
            case .subtract: return binary(Operator.Subtract.self, left, right, link, range: range)
            case .multiply: return binary(Operator.Multiply.self, left, right, link, range: range)
            case .divide: return binary(Operator.Divide.self, left, right, link, range: range)
            case .less: return binary(Operator.Less.self, left, right, link, range: range)
            case .lessEqual: return binary(Operator.LessEqual.self, left, right, link, range: range)
            case .greater: return binary(Operator.Greater.self, left, right, link, range: range)
            case .greaterEqual: return binary(Operator.GreaterEqual.self, left, right, link, range: range)
            case .equal: return binary(Operator.Equal.self, left, right, link, range: range)
            case .notEqual: return binary(Operator.NotEqual.self, left, right, link, range: range)
            default:
                return { ev throws(LangError) in
                    try ev.checkStack(at: range)
                    let a = try left.value(ev), b = try right.value(ev)
                    if case .number(let x) = a, case .number(let y) = b, let result = Evaluator.numbers(op, x, y) { return result }
                    return try ev.binary(link, a, b)
                }
            }
        }
        let head = try expression(first)
        var operands: [CompiledCode] = []
        for link in links { operands.append(CompiledCode(run: try expression(link.operand))) }
        let rights = operands
        return { ev throws(LangError) in
            try ev.checkStack(at: range)
            var value = try head(ev)
            for k in links.indices { value = try ev.apply(links[k], rights[k].run, to: value) }
            return value
        }
    }

    /// `a op b` with the operator fixed at compile time: one specialised closure per operator,
    /// so the machine code of a `<` is not the code of a `-` (one shared closure jumped
    /// through a table on the operator at every step, and the jump was mispredicted whenever
    /// the previous step ran another operator). Two numbers give `Evaluator.numbers`,
    /// anything else the general `Evaluator.binary`, as the unspecialised closure does.
    private func binary<Op: StaticOperator>(_: Op.Type, _ left: Operand, _ right: Operand, _ link: ChainLink, range: SourceRange) -> Code {
        return { ev throws(LangError) in
            try ev.checkStack(at: range)
            let a = try left.value(ev), b = try right.value(ev)
            if case .number(let x) = a, case .number(let y) = b, let result = Evaluator.numbers(Op.op, x, y) { return result }
            return try ev.binary(link, a, b)
        }
    }

    private func call(_ callee: Expr, _ arguments: [Argument], range: SourceRange) throws(LangError) -> Code {
        var compiled: [CompiledCode] = []
        for argument in arguments { compiled.append(CompiledCode(run: try expression(argument.value))) }
        let codes = compiled
        let function = try operand(callee)
        let general = generalCall(callee, arguments, codes, range: range)
        let whole: Code = { ev throws(LangError) in
            try ev.checkStack(at: range)
            return try general(ev, try function.value(ev))
        }
        guard arguments.allSatisfy({ $0.label == nil }) else { return whole }
        switch codes.count {
        case 0: return positionalCall(callee, function, NoArguments(), whole: whole, general: general, range: range)
        case 1: return positionalCall(callee, function, OneArgument(first: codes[0].run), whole: whole, general: general, range: range)
        case 2: return positionalCall(callee, function, TwoArguments(first: codes[0].run, second: codes[1].run), whole: whole, general: general, range: range)
        case 3:
            return positionalCall(
                callee, function, ThreeArguments(first: codes[0].run, second: codes[1].run, third: codes[2].run), whole: whole, general: general,
                range: range)
        default: return positionalCall(callee, function, ArgumentList(codes: codes), whole: whole, general: general, range: range)
        }
    }

    /// A call without labels. When the callee is a global name (the usual `f(x)`, also inside
    /// a function calling itself), the call site keeps the user function it is bound to
    /// (`Evaluator.cachedCallee`) and calls it without looking the name up, copying the
    /// value or matching it; anything else, or a callee of another arity, takes the general
    /// path (`whole` from the start, `general` once the callee is evaluated).
    private func positionalCall<Arguments: PositionalArguments>(
        _ callee: Expr, _ function: Operand, _ arguments: Arguments, whole: @escaping Code,
        general: @escaping @Sendable (Evaluator, Value) throws(LangError) -> Value, range: SourceRange
    ) -> Code {
        let calleeRange = callee.fullRange
        if case .name(let name, _) = callee, slots[name.id] == nil {
            let target = resolved(name), arity = arguments.count
            let cache = CalleeCacheBox()
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                guard let f = ev.cachedCallee(target, arity: arity, cache.pointer) else { return try whole(ev) }
                // The cache holds the function (and the evaluator any it replaced, until the
                // cell ends), so the call borrows it: no retain and release per call.
                let value = f._withUnsafeGuaranteedRef { (f: UserFunction) -> Value? in
                    do throws(LangError) {
                        return try ev.callUser(f, positional: arguments, at: range, calleeRange: calleeRange)
                    } catch {
                        ev.holdError(error)
                        return nil
                    }
                }
                guard let value else { throw ev.takeError() }
                return value
            }
        }
        return { ev throws(LangError) in
            try ev.checkStack(at: range)
            let value = try function.value(ev)
            if case .function(.user(let f)) = value, f.parameterCount == arguments.count {
                return try ev.callUser(f, positional: arguments, at: range, calleeRange: calleeRange)
            }
            return try general(ev, value)
        }
    }

    /// Any call, once its callee is evaluated: its arguments with their labels, then the
    /// call's rules (`Evaluator.call`).
    private func generalCall(
        _ callee: Expr, _ arguments: [Argument], _ codes: [CompiledCode], range: SourceRange
    ) -> @Sendable (Evaluator, Value) throws(LangError) -> Value {
        return { ev, value throws(LangError) in
            guard case .function(let callable) = value else {
                throw LangError(.notCallable(what: ev.describe(callee), got: value.kindDescription), at: range)
            }
            var values: [Evaluator.EvaluatedArgument] = []
            values.reserveCapacity(arguments.count)
            for (k, argument) in arguments.enumerated() {
                values.append(Evaluator.EvaluatedArgument(
                    label: argument.label, labelRange: argument.labelRange, value: try codes[k].run(ev), expr: argument.value))
            }
            return try ev.call(callable, values, at: range, calleeRange: callee.fullRange)
        }
    }

    private func indexParts(_ parts: [IndexPart]) throws(LangError) -> [CompiledPart] {
        var compiled: [CompiledPart] = []
        for part in parts {
            switch part {
            case .single(let e):
                compiled.append(CompiledPart(.single(try expression(e), e)))
            case .slice(let lower, let upper):
                func bound(_ e: Expr?) throws(LangError) -> CompiledBound? {
                    guard let e else { return nil }
                    return CompiledBound(code: try expression(e), expr: e)
                }
                compiled.append(CompiledPart(.slice(lower: try bound(lower), upper: try bound(upper))))
            }
        }
        return compiled
    }
}


/// A binary operator as a type, for closures specialised per operator (`Compiler.binary`).
protocol StaticOperator: SendableMetatype {
    static var op: BinaryOp { get }
}

enum Operator {
    enum Add: StaticOperator { static var op: BinaryOp { .add } }
    enum Subtract: StaticOperator { static var op: BinaryOp { .subtract } }
    enum Multiply: StaticOperator { static var op: BinaryOp { .multiply } }
    enum Divide: StaticOperator { static var op: BinaryOp { .divide } }
    enum Less: StaticOperator { static var op: BinaryOp { .less } }
    enum LessEqual: StaticOperator { static var op: BinaryOp { .lessEqual } }
    enum Greater: StaticOperator { static var op: BinaryOp { .greater } }
    enum GreaterEqual: StaticOperator { static var op: BinaryOp { .greaterEqual } }
    enum Equal: StaticOperator { static var op: BinaryOp { .equal } }
    enum NotEqual: StaticOperator { static var op: BinaryOp { .notEqual } }
}
