/// A compiled expression: run it on an evaluator to get the expression's value.
typealias Code = @Sendable (Evaluator) throws(LangError) -> Value
/// A compiled statement or block: run it to get how it ended.
typealias Block = @Sendable (Evaluator) throws(LangError) -> Flow

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

    private func checkStack(_ expr: Expr) throws(LangError) {
        if stackGuard.isExhausted { throw LangError(.computationTooDeep, at: expr.range) }
    }

    // MARK: - Statements

    func block(_ statements: [Stmt]) throws(LangError) -> Block {
        var compiled: [Block] = []
        compiled.reserveCapacity(statements.count)
        for s in statements { compiled.append(try statement(s)) }
        let codes = compiled
        if codes.count == 1 {
            let only = codes[0], s = statements[0]
            return { ev throws(LangError) in
                try ev.checkInterrupt(at: s.range)
                return try only(ev)
            }
        }
        return { ev throws(LangError) in
            for k in codes.indices {
                try ev.checkInterrupt(at: statements[k].range)
                let flow = try codes[k](ev)
                if case .normal = flow { continue }
                return flow
            }
            return .normal
        }
    }

    func statement(_ statement: Stmt) throws(LangError) -> Block {
        if case .assign(let name, let value, _) = statement, let append = SelfAppend(name, value) {
            let item = try expression(append.item), general = try expression(value)
            return { ev throws(LangError) in
                try ev.assignAppend(name, append, item: item, general: general)
                return .normal
            }
        }
        switch statement {
        case .assign(let name, .chain(.name(let left, let leftRange), let links), _)
        where links.count == 1 && links[0].op == .add && left.id == name.id:
            let link = links[0], rhs = try expression(link.operand)
            return { ev throws(LangError) in
                try ev.assignSum(name, at: leftRange, link, rhs: rhs)
                return .normal
            }
        case .assign(let name, let value, _):
            let code = try expression(value), id = name.id
            return { ev throws(LangError) in
                ev.bind(id, try code(ev))
                return .normal
            }
        case .assignIndex(let name, let indices, let value, let range):
            let parts = try indexParts(indices), code = try expression(value)
            return { ev throws(LangError) in
                try ev.assignElements(of: name, indices: parts, value: code, at: range)
                return .normal
            }
        case .expression(let e):
            let code = try expression(e)
            return { ev throws(LangError) in
                _ = try code(ev)
                return .normal
            }
        case .function(let decl):
            let body = try function(decl)
            return { ev throws(LangError) in
                ev.bind(decl.nameID, .function(.user(UserFunction(decl, code: body))))
                return .normal
            }
        case .return(let e, _):
            guard let e else { return { _ throws(LangError) in .returned(.nil) } }
            let code = try expression(e)
            return { ev throws(LangError) in .returned(try code(ev)) }
        case .break:
            return { _ throws(LangError) in .breakLoop }
        case .continue:
            return { _ throws(LangError) in .continueLoop }
        case .if(let branches, let elseBody, _):
            var tests: [(condition: Code, expr: Expr, body: Block)] = []
            for branch in branches {
                tests.append((try expression(branch.condition), branch.condition, try block(branch.body)))
            }
            let compiled = tests
            let elseCode = try elseBody.map { (body) throws(LangError) -> Block in try block(body) }
            if compiled.count == 1 {
                // `if c { ... }` or `if c { ... } else { ... }`, the usual forms, without a loop.
                let (test, expr, body) = compiled[0]
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
                    case .returned(let v): return .returned(v)
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
            return { ev throws(LangError) in try ev.loop(name, over: source, body: code, at: range) }
        }
    }

    /// A function's body as a function: the value it returns (a body that is one expression
    /// returns that expression's value, as in Swift), or nil.
    func function(_ decl: FunctionDecl) throws(LangError) -> Code {
        if decl.body.count == 1, case .expression(let e) = decl.body[0] { return try expression(e) }
        let body = try block(decl.body)
        return { ev throws(LangError) in
            if case .returned(let v) = try body(ev) { return v }
            return .nil
        }
    }

    // MARK: - Expressions

    func expression(_ expr: Expr) throws(LangError) -> Code {
        switch expr {
        case .number(let v, _): return { _ throws(LangError) in .number(v) }
        case .string(let s, _): return { _ throws(LangError) in .string(s) }
        case .bool(let b, _): return { _ throws(LangError) in .bool(b) }
        case .nil: return { _ throws(LangError) in .nil }
        case .name(let name, let range): return { ev throws(LangError) in try ev.lookup(name, at: range) }
        default: break
        }
        try checkStack(expr)
        let range = expr.range
        switch expr {
        case .number, .string, .bool, .nil, .name:
            preconditionFailure("leaves are compiled above")
        case .bracket(let rows, _):
            var compiledRows: [[Code]] = []
            for row in rows {
                var compiled: [Code] = []
                for e in row { compiled.append(try expression(e)) }
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
            let code = try expression(target), compiled = try indexParts(parts)
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
        let head = try expression(first)
        if links.count == 1 {
            let link = links[0], right = try expression(link.operand)
            return { ev throws(LangError) in
                try ev.checkStack(at: range)
                return try ev.apply(link, right, to: try head(ev))
            }
        }
        var operands: [Code] = []
        for link in links { operands.append(try expression(link.operand)) }
        let rights = operands
        return { ev throws(LangError) in
            try ev.checkStack(at: range)
            var value = try head(ev)
            for k in links.indices { value = try ev.apply(links[k], rights[k], to: value) }
            return value
        }
    }

    private func call(_ callee: Expr, _ arguments: [Argument], range: SourceRange) throws(LangError) -> Code {
        let function = try expression(callee)
        var compiled: [Code] = []
        for argument in arguments { compiled.append(try expression(argument.value)) }
        let codes = compiled
        let positional = arguments.allSatisfy { $0.label == nil }
        return { ev throws(LangError) in
            try ev.checkStack(at: range)
            let value = try function(ev)
            guard case .function(let callable) = value else {
                throw LangError(.notCallable(what: ev.describe(callee), got: value.kindDescription), at: range)
            }
            if positional, case .user(let f) = callable, codes.count == f.parameters.count {
                return try ev.callUser(f, positional: codes, at: range, calleeRange: callee.fullRange)
            }
            var values: [Evaluator.EvaluatedArgument] = []
            values.reserveCapacity(arguments.count)
            for (k, argument) in arguments.enumerated() {
                values.append(Evaluator.EvaluatedArgument(
                    label: argument.label, labelRange: argument.labelRange, value: try codes[k](ev), expr: argument.value))
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
