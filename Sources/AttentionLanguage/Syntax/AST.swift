/// Binary operators, loosest to tightest: `||`; `&&`; comparisons; `..<`; `+ -`; `* / % @`; `**`.
enum BinaryOp: String, Sendable {
    case or = "||", and = "&&"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case range = "..<"
    case add = "+", subtract = "-"
    case multiply = "*", divide = "/", modulo = "%", matmul = "@"
    case power = "**"
}

enum UnaryOp: String, Sendable {
    case negate = "-", not = "!"
}

/// One part of an index: `i`, `a:b` (either end may be missing), or `:`.
enum IndexPart: Sendable {
    case single(Expr)
    case slice(lower: Expr?, upper: Expr?)
}

/// A call argument: positional, or labelled as in `seed: 1`.
struct Argument: Sendable {
    let label: String?
    let labelRange: SourceRange?
    let value: Expr
}

/// One step of an `Expr.chain`: the operator (`range` spans it) and its right operand.
struct ChainLink: Sendable {
    let op: BinaryOp
    let operand: Expr
    let range: SourceRange
    /// Where the chain's first operand starts: the left operand's text, for a message that
    /// quotes it (`A == 1` → "use eq(A, 1)"), is the source from here to the operator.
    var leftStart = 0
}

/// An expression, with its source range on every node.
///
/// The depth of every tree is bounded by the parser's nesting limit (`ATTN_MAX_NESTING`):
/// the only syntax that can repeat without nesting, a run of left-associative operators
/// (`1 + 1 + ... + 1`, however long), is one flat `chain` node, not a left-nested tree. So
/// no code that walks or frees a tree recursively (`fullRange`, the evaluator, and the
/// release of the tree itself, which Swift does recursively for an `indirect enum`) can go
/// deeper than the nesting limit allows.
indirect enum Expr: Sendable {
    case number(Double, SourceRange)
    case string(String, SourceRange)
    case bool(Bool, SourceRange)
    case `nil`(SourceRange)
    case name(Name, SourceRange)
    /// `[a, b; c, d]`: rows of elements. One row without `;` or line breaks may also be a list.
    case bracket(rows: [[Expr]], SourceRange)
    case unary(UnaryOp, Expr, SourceRange)
    /// `a + b - c`: operators of one precedence level, applied left to right to the result so
    /// far (`(a + b) - c`); never empty. Each link's `range` spans its operator.
    case chain(Expr, [ChainLink])
    /// `a ** b` (right associative, so nested: bounded by the nesting limit). `range` spans `**`.
    case power(Expr, Expr, SourceRange)
    case call(Expr, [Argument], SourceRange)
    case index(Expr, [IndexPart], SourceRange)
    /// `.T`, `.shape`, `r.name`. `range` spans the field name.
    case field(Expr, String, SourceRange)

    /// Where the node is reported: an operator's position for operator and postfix nodes (for a
    /// chain, its last operator, the one applied last).
    var range: SourceRange {
        switch self {
        case .number(_, let r), .string(_, let r), .bool(_, let r), .nil(let r), .name(_, let r),
            .bracket(_, let r), .unary(_, _, let r), .power(_, _, let r), .call(_, _, let r),
            .index(_, _, let r), .field(_, _, let r):
            r
        case .chain(let first, let links):
            links.last?.range ?? first.range
        }
    }

    /// The whole source stretch of the expression, operands included (for quoting it).
    var fullRange: SourceRange {
        switch self {
        case .chain(let first, let links):
            let start = first.fullRange
            guard let last = links.last else { return start }
            return SourceRange(start: start.start, startOffset: start.startOffset, endOffset: max(last.range.endOffset, last.operand.fullRange.endOffset))
        case .power(let lhs, let rhs, let r):
            let start = lhs.fullRange
            return SourceRange(start: start.start, startOffset: start.startOffset, endOffset: max(r.endOffset, rhs.fullRange.endOffset))
        case .call(let callee, _, let r), .index(let callee, _, let r), .field(let callee, _, let r):
            let start = callee.fullRange
            return SourceRange(start: start.start, startOffset: start.startOffset, endOffset: max(r.endOffset, start.endOffset))
        case .unary(_, let operand, let r):
            return SourceRange(start: r.start, startOffset: r.startOffset, endOffset: max(r.endOffset, operand.fullRange.endOffset))
        default:
            return range
        }
    }
}

/// A statement.
indirect enum Stmt: Sendable {
    /// `let x = e` or `x = e`.
    case assign(name: Name, value: Expr, SourceRange)
    /// `A[i, j] = e`: replaces elements of a bound matrix or list.
    case assignIndex(name: Name, indices: [IndexPart], value: Expr, SourceRange)
    case expression(Expr)
    /// `func f(a, b) { ... }` or `func f(x) = e` (stored as a body returning `e`).
    case function(FunctionDecl)
    case `return`(Expr?, SourceRange)
    /// `for name in iterable { body }`.
    case `for`(name: Name, iterable: Expr, body: [Stmt], SourceRange)
    case `while`(condition: Expr, body: [Stmt], SourceRange)
    /// `if c1 { } else if c2 { } else { }`: the branches in order, and the final else.
    case `if`(branches: [(condition: Expr, body: [Stmt])], elseBody: [Stmt]?, SourceRange)
    case `break`(SourceRange)
    case `continue`(SourceRange)
}

/// A function definition, kept with the source it was written in. A class: a call reads
/// it through one reference instead of copying five.
final class FunctionDecl: Sendable {
    let name: String
    let parameters: [String]
    let body: [Stmt]
    let range: SourceRange
    let source: SourceText
    /// `name` and `parameters` interned (see `Name`).
    let nameID: Int
    let parameterIDs: [Int]
    /// The names a call binds, by interned id: the parameters, then every other name the body
    /// assigns (`x = e`, `A[i] = e`, a `for` variable, a nested `func`), in order of first
    /// appearance. A call keeps their values in a frame of this many slots, the k-th name in
    /// slot k, so the compiler resolves each local name to its slot (see `Compiler`).
    let localIDs: [Int]

    init(name: String, parameters: [String], body: [Stmt], range: SourceRange, source: SourceText) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.range = range
        self.source = source
        self.nameID = NameTable.shared.id(for: name)
        let parameterIDs = parameters.map { NameTable.shared.id(for: $0) }
        self.parameterIDs = parameterIDs
        var ids = parameterIDs
        func collect(_ statements: [Stmt]) {
            for statement in statements {
                switch statement {
                case .assign(let name, _, _), .assignIndex(let name, _, _, _):
                    if !ids.contains(name.id) { ids.append(name.id) }
                case .for(let name, _, let body, _):
                    if !ids.contains(name.id) { ids.append(name.id) }
                    collect(body)
                case .function(let decl):
                    // The nested function's own locals are its own calls'; only its name is bound here.
                    if !ids.contains(decl.nameID) { ids.append(decl.nameID) }
                case .while(_, let body, _):
                    collect(body)
                case .if(let branches, let elseBody, _):
                    for branch in branches { collect(branch.body) }
                    collect(elseBody ?? [])
                case .expression, .return, .break, .continue:
                    break
                }
            }
        }
        collect(body)
        self.localIDs = ids
    }
}
