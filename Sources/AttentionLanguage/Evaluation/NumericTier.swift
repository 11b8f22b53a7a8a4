/// The numeric tier: a second compiled version of a user function whose body computes only
/// with numbers, run by a small register machine over unboxed `Double`s.
///
/// The general closures pass every value as a 32-byte `Value` and switch on its case at
/// every operator, every condition and every call. When a function's body uses only number
/// literals, its parameters and locals, globals that hold numbers, `+ - * / %`, unary `-`,
/// comparisons, `&&`/`||`/`!`, `if`/`else`, `while`, `for` over `lo..<hi`, `break`,
/// `continue`, `return` of a number and calls of global functions with positional arguments,
/// `NumericCompiler` compiles it to a `NumericProgram`: instructions over the slots of a
/// frame of `Double`s (the function's locals, then temporaries), run by
/// `Evaluator.runMachine`. As in CPython, a call from numeric code to numeric code does not
/// recurse on the native stack: the machine pushes the callee's frame and activation on its
/// own stacks and jumps, so a call costs a few loads and stores, with no closure, no
/// reference counting and no stack probe.
///
/// Guards, in the spirit of CPython 3.11's specialising interpreter:
/// - Entry (`Evaluator.run`): every argument is a number, else the general version runs
///   before anything was executed.
/// - Everything the tier does not decide itself (a callee that has no numeric version or is
///   not a user function, a global that is not a number, a range bound that is not whole,
///   falling off the end of the body, which returns nil, a recursion deeper than the
///   machine's own stacks hold) ends the machine's run with `NumericExit.bail`, and the
///   general version of the function the run started in runs from the start with the same
///   arguments. Numeric code has no side effect (it binds only its own frame's locals,
///   prints nothing, calls no builtin), so running it again is unobservable, and the general
///   version raises whatever error or result the case gives, with its message and location.
///   A function that bailed is not tried again (`UserFunction.isNumericEnabled`), so a bail
///   costs one extra run at most.
/// - Interrupts and the call-depth limit are checked where the general path checks them for
///   calls and loops, and raise the same errors, decorated with the same function, source
///   and "called from" lines.
///
/// Which reads are allowed is decided when compiling: a local is read only where every path
/// has assigned it (a parameter always has), since the general path reads an unbound local
/// from the session instead. The results are the general path's bit for bit: the same
/// `Double` operations (`Evaluator.numbers`) in the same order.
///
/// One byte: an error raised waits in the evaluator (`Evaluator.raise`).
enum NumericExit: Error {
    /// An error the general path raises at the same point (interrupt, limits), waiting in
    /// the evaluator (`Evaluator.raise`, `takeError`).
    case raised
    /// Something the tier leaves to the general version (see above).
    case bail
}

/// What a numeric instruction does. `a`, `b` and `c` name frame slots unless the case says
/// otherwise; `k` is the instruction's constant. Binary operators come in three operand
/// forms: two slots (`SS`), a slot and the constant (`SK`), the constant and a slot (`KS`),
/// so an operand is read without a test of its kind.
enum NumericOp: UInt8 {
    /// c = a + b (and the forms with the constant); the other operators likewise.
    case addSS, addSK, addKS, subtractSS, subtractSK, subtractKS, multiplySS, multiplySK, multiplyKS
    case divideSS, divideSK, divideKS, moduloSS, moduloSK, moduloKS
    /// c = -a
    case negate
    /// c = a
    case move
    /// c = k
    case constant
    /// c = the session's number bound to the name with interned id a; bails when it is not a number.
    case global
    /// Jumps to c when `test` holds for a and b (or a and k); `Unless`: when it does not.
    case jumpIfSS, jumpIfSK, jumpUnlessSS, jumpUnlessSK
    /// Jumps to c.
    case jump
    /// Calls through call site a with the arguments in slots b, b + 1, …; the value goes to c.
    case call
    /// Returns a's value (`returnK`: k) to the caller's destination slot.
    case returnSlot, returnConstant
    /// Polls for an interrupt, reporting the loop at `ranges[a]`.
    case poll
    /// Starts `for … in a..<b`: both bounds whole (else bail) go to slots c (the counter) and
    /// c + 1 (the end).
    case forStart
    /// If counter c < end c + 1, the loop variable a takes it; else jumps to b.
    case forNext
    /// Counter c + 1, then jumps to b.
    case forStep
    /// The body ended without `return`: the call's value is nil, which numeric code has not.
    case bail
}

/// `< <= > >= == !=` of a numeric jump, named by the operator's text (`BinaryOp`'s raw
/// value); stored as one byte all the same.
enum NumberTest: String {
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="

    @inline(__always)
    func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .less: a < b
        case .lessEqual: a <= b
        case .greater: a > b
        case .greaterEqual: a >= b
        case .equal: a == b
        case .notEqual: a != b
        }
    }

    /// The test with its operands swapped (`k < x` is `x > k`, NaN included).
    var swapped: NumberTest {
        switch self {
        case .less: .greater
        case .lessEqual: .greaterEqual
        case .greater: .less
        case .greaterEqual: .lessEqual
        case .equal, .notEqual: self
        }
    }
}

/// One instruction of a `NumericProgram` (24 bytes).
struct NumericInstruction {
    var op: NumericOp
    var test: NumberTest = .less
    var a: Int32 = 0
    var b: Int32 = 0
    var c: Int32 = 0
    var k: Double = 0
}

/// A call in numeric code of the global function `target`, and what it found there last.
struct NumericCallSite {
    let target: ResolvedName
    let arity: Int
    /// The call (an interrupt before it) and the callee's name (the depth limit, "called from").
    let range: SourceRange
    let calleeRange: SourceRange
    /// The same version guard as the general path's calls (`Evaluator.cachedCallee`).
    var cache = CalleeCache()
    /// The cached callee's numeric program, unretained: the cache holds the function, and
    /// the function holds its program.
    var program: Unmanaged<NumericProgram>?
}

/// A function's numeric version: its instructions, call sites and frame size. The buffers
/// never move, so the machine reads them through pointers without reference counting.
/// Unchecked Sendable: the call sites' caches change only on the evaluation thread of the
/// session that defined the function, one cell at a time (as `CalleeCacheBox`).
final class NumericProgram: @unchecked Sendable {
    let code: UnsafeMutablePointer<NumericInstruction>
    let codeCount: Int
    let sites: UnsafeMutablePointer<NumericCallSite>
    let siteCount: Int
    /// The loops' ranges, for an interrupt's location (`NumericOp.poll`).
    let ranges: [SourceRange]
    /// Slots of a frame: the locals (`FunctionDecl.localIDs`, parameters first), then
    /// temporaries and loop counters.
    let frameSize: Int
    /// For errors raised inside it (`LangError.leave`).
    let declaration: FunctionDecl

    init(code: [NumericInstruction], sites: [NumericCallSite], ranges: [SourceRange], frameSize: Int, declaration: FunctionDecl) {
        self.code = .allocate(capacity: max(code.count, 1))
        self.code.initialize(from: code, count: code.count)
        self.codeCount = code.count
        self.sites = .allocate(capacity: max(sites.count, 1))
        self.sites.initialize(from: sites, count: sites.count)
        self.siteCount = sites.count
        self.ranges = ranges
        self.frameSize = frameSize
        self.declaration = declaration
    }

    deinit {
        code.deinitialize(count: codeCount)
        code.deallocate()
        sites.deinitialize(count: siteCount)
        sites.deallocate()
    }
}

/// Compiles a function's numeric version, or finds that its body has something the tier does
/// not run (`compile` returns nil). See `NumericExit` for what it runs.
struct NumericCompiler {
    /// Why a body is left to the general version alone (never shown: it only stops compiling).
    struct Unsupported: Error {}

    /// An operand read in place: a slot, or a constant carried by the instruction.
    enum Operand {
        case slot(Int32)
        case constant(Double)
    }

    /// The slot of each local name, by interned id (the function's `localIDs`, in order).
    private let slots: [Int: Int]
    /// The compiling thread's stack, as the general compiler's (`Compiler.stackGuard`).
    private let stackGuard: StackGuard

    private var code: [NumericInstruction] = []
    private var sites: [NumericCallSite] = []
    private var ranges: [SourceRange] = []
    /// The first free temporary slot, and the most slots any point of the body used.
    private var nextTemporary: Int
    private var frameSize: Int
    /// Per enclosing loop: the jumps `continue` and `break` left, patched when the loop's
    /// step and end are known.
    private var loops: [(continues: [Int], breaks: [Int])] = []

    /// How deep expressions and statements may nest in a numeric version (a chain counts each
    /// link). Deeper or longer bodies are rare in students' code and are the general
    /// version's alone, which keeps this compiler's own recursion small.
    static let maxNesting = 48

    private init(_ decl: FunctionDecl, stackGuard: StackGuard) {
        var slots: [Int: Int] = [:]
        for (slot, id) in decl.localIDs.enumerated() { slots[id] = slot }
        self.slots = slots
        self.stackGuard = stackGuard
        self.nextTemporary = decl.localIDs.count
        self.frameSize = decl.localIDs.count
    }

    static func compile(_ decl: FunctionDecl, stackGuard: StackGuard) -> NumericProgram? {
        var compiler = NumericCompiler(decl, stackGuard: stackGuard)
        do {
            var assigned = Assigned(0..<decl.parameters.count)
            try compiler.block(decl.body, &assigned, 0)
            compiler.emit(NumericInstruction(op: .bail))
            guard compiler.code.count < Int(Int32.max), compiler.frameSize < Int(Int32.max) else { return nil }
            return NumericProgram(code: compiler.code, sites: compiler.sites, ranges: compiler.ranges, frameSize: compiler.frameSize, declaration: decl)
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

    // MARK: - Emitting

    @discardableResult
    private mutating func emit(_ instruction: NumericInstruction) -> Int {
        code.append(instruction)
        return code.count - 1
    }

    /// Points the jump at `index` (its `c`) to the next instruction.
    private mutating func patch(_ index: Int) {
        code[index].c = Int32(code.count)
    }

    private mutating func temporary() -> Int32 {
        let slot = nextTemporary
        nextTemporary += 1
        frameSize = max(frameSize, nextTemporary)
        return Int32(slot)
    }

    // MARK: - Statements

    private mutating func block(_ statements: [Stmt], _ assigned: inout Assigned, _ depth: Int) throws(Unsupported) {
        let d = try descend(depth)
        for s in statements { try statement(s, &assigned, d) }
    }

    private mutating func statement(_ statement: Stmt, _ assigned: inout Assigned, _ depth: Int) throws(Unsupported) {
        let d = try descend(depth)
        let mark = nextTemporary
        defer { nextTemporary = mark }
        switch statement {
        case .assign(let name, let value, _):
            guard let slot = slots[name.id] else { throw Unsupported() }
            try number(value, into: Int32(slot), assigned, d)
            assigned.insert(slot)
        case .return(let e?, _):
            switch try operand(e, assigned, d) {
            case .slot(let s): emit(NumericInstruction(op: .returnSlot, a: s))
            case .constant(let k): emit(NumericInstruction(op: .returnConstant, k: k))
            }
        case .break:
            guard !loops.isEmpty else { throw Unsupported() }
            loops[loops.count - 1].breaks.append(emit(NumericInstruction(op: .jump)))
        case .continue:
            guard !loops.isEmpty else { throw Unsupported() }
            loops[loops.count - 1].continues.append(emit(NumericInstruction(op: .jump)))
        case .if(let branches, let elseBody, _):
            var after: Assigned?
            var ends: [Int] = []
            for branch in branches {
                var falses: [Int] = []
                try condition(branch.condition, jumpIf: false, &falses, assigned, d)
                var inside = assigned
                try block(branch.body, &inside, d)
                after = after.map { $0.intersection(inside) } ?? inside
                ends.append(emit(NumericInstruction(op: .jump)))
                for j in falses { patch(j) }
            }
            if let elseBody {
                var inside = assigned
                try block(elseBody, &inside, d)
                assigned = (after ?? inside).intersection(inside)
            }
            for j in ends { patch(j) }
        case .while(let test, let body, let range):
            let top = code.count
            ranges.append(range)
            emit(NumericInstruction(op: .poll, a: Int32(ranges.count - 1)))
            var exits: [Int] = []
            try condition(test, jumpIf: false, &exits, assigned, d)
            var inside = assigned
            loops.append(([], []))
            try block(body, &inside, d)
            emit(NumericInstruction(op: .jump, c: Int32(top)))
            let loop = loops.removeLast()
            for j in loop.continues { code[j].c = Int32(top) }
            for j in exits + loop.breaks { patch(j) }
        case .for(let name, .chain(let lo, let links), let body, let range) where links.count == 1 && links[0].op == .range:
            guard let variable = slots[name.id] else { throw Unsupported() }
            let low = try operandInSlot(lo, assigned, d), high = try operandInSlot(links[0].operand, assigned, d)
            // The counter and the end stay reserved while the loop runs.
            let counter = temporary()
            _ = temporary()
            emit(NumericInstruction(op: .forStart, a: low, b: high, c: counter))
            let top = emit(NumericInstruction(op: .forNext, a: Int32(variable), c: counter))
            ranges.append(range)
            emit(NumericInstruction(op: .poll, a: Int32(ranges.count - 1)))
            var inside = assigned
            inside.insert(variable)
            loops.append(([], []))
            try block(body, &inside, d)
            let loop = loops.removeLast()
            for j in loop.continues { patch(j) }  // to the step
            emit(NumericInstruction(op: .forStep, b: Int32(top), c: counter))
            code[top].b = Int32(code.count)
            for j in loop.breaks { patch(j) }
        default:
            throw Unsupported()
        }
    }

    // MARK: - Expressions

    /// The expression's value as an operand: a local's own slot, a constant, or a temporary
    /// the instructions just emitted fill.
    private mutating func operand(_ expr: Expr, _ assigned: Assigned, _ depth: Int) throws(Unsupported) -> Operand {
        switch expr {
        case .number(let k, _): return .constant(k)
        case .name(let name, _) where slots[name.id] != nil:
            let slot = slots[name.id]!
            // A local read before every path assigned it reads the session's binding.
            guard assigned.contains(slot) else { throw Unsupported() }
            return .slot(Int32(slot))
        default:
            let slot = temporary()
            try number(expr, into: slot, assigned, depth)
            return .slot(slot)
        }
    }

    /// The expression's value in a slot (a constant is loaded into a temporary).
    private mutating func operandInSlot(_ expr: Expr, _ assigned: Assigned, _ depth: Int) throws(Unsupported) -> Int32 {
        switch try operand(expr, assigned, depth) {
        case .slot(let s): return s
        case .constant(let k):
            let slot = temporary()
            emit(NumericInstruction(op: .constant, c: slot, k: k))
            return slot
        }
    }

    /// Emits instructions that leave the expression's value in `target`.
    private mutating func number(_ expr: Expr, into target: Int32, _ assigned: Assigned, _ depth: Int) throws(Unsupported) {
        let d = try descend(depth)
        let mark = nextTemporary
        defer { nextTemporary = mark }
        switch expr {
        case .number(let k, _):
            emit(NumericInstruction(op: .constant, c: target, k: k))
        case .name(let name, _):
            if let slot = slots[name.id] {
                guard assigned.contains(slot) else { throw Unsupported() }
                emit(NumericInstruction(op: .move, a: Int32(slot), c: target))
            } else {
                guard let id = Int32(exactly: name.id) else { throw Unsupported() }
                emit(NumericInstruction(op: .global, a: id, c: target))
            }
        case .unary(.negate, let operand, _):
            let slot = try operandInSlot(operand, assigned, d)
            emit(NumericInstruction(op: .negate, a: slot, c: target))
        case .chain(let first, let links) where links.allSatisfy({ [.add, .subtract, .multiply, .divide, .modulo].contains($0.op) }):
            guard d + links.count < Self.maxNesting else { throw Unsupported() }
            var value = try operand(first, assigned, d)
            for (k, link) in links.enumerated() {
                let right = try operand(link.operand, assigned, d)
                // Intermediate results go to a temporary: `target` may be an operand still to read.
                let destination = k == links.count - 1 ? target : temporary()
                let base: NumericOp
                switch link.op {
                case .add: base = .addSS
                case .subtract: base = .subtractSS
                case .multiply: base = .multiplySS
                case .divide: base = .divideSS
                default: base = .moduloSS
                }
                switch (value, right) {
                case (.slot(let a), .slot(let b)):
                    emit(NumericInstruction(op: base, a: a, b: b, c: destination))
                case (.slot(let a), .constant(let k)):
                    emit(NumericInstruction(op: NumericOp(rawValue: base.rawValue + 1)!, a: a, c: destination, k: k))
                case (.constant(let k), .slot(let b)):
                    emit(NumericInstruction(op: NumericOp(rawValue: base.rawValue + 2)!, b: b, c: destination, k: k))
                case (.constant(let k), .constant(let l)):
                    let a = temporary()
                    emit(NumericInstruction(op: .constant, c: a, k: k))
                    emit(NumericInstruction(op: NumericOp(rawValue: base.rawValue + 1)!, a: a, c: destination, k: l))
                }
                value = .slot(destination)
            }
        case .call(.name(let name, let calleeRange), let arguments, let range) where slots[name.id] == nil && arguments.allSatisfy({ $0.label == nil }):
            // The arguments go to consecutive temporaries, the callee's first slots.
            let first = nextTemporary
            for _ in arguments { _ = temporary() }
            for (k, argument) in arguments.enumerated() { try number(argument.value, into: Int32(first + k), assigned, d) }
            sites.append(NumericCallSite(target: ResolvedName(name, slot: nil), arity: arguments.count, range: range, calleeRange: calleeRange))
            emit(NumericInstruction(op: .call, a: Int32(sites.count - 1), b: Int32(first), c: target))
        default:
            throw Unsupported()
        }
    }

    /// Emits a test of `expr` that jumps (to a target patched later, collected in `jumps`)
    /// when the condition's truth is `jumpIf`, and falls through otherwise.
    private mutating func condition(_ expr: Expr, jumpIf: Bool, _ jumps: inout [Int], _ assigned: Assigned, _ depth: Int) throws(Unsupported) {
        let d = try descend(depth)
        let mark = nextTemporary
        defer { nextTemporary = mark }
        switch expr {
        case .bool(let b, _):
            if b == jumpIf { jumps.append(emit(NumericInstruction(op: .jump))) }
        case .unary(.not, let operand, _):
            try condition(operand, jumpIf: !jumpIf, &jumps, assigned, d)
        case .chain(let first, let links) where links.allSatisfy({ $0.op == .and || $0.op == .or }):
            guard d + links.count < Self.maxNesting else { throw Unsupported() }
            // Left to right as `((a op b) op c)`: each link decides by its operator whether the
            // value so far settles the whole.
            let parts = [first] + links.map(\.operand)
            try logical(parts, ops: links.map(\.op), jumpIf: jumpIf, &jumps, assigned, d)
        case .chain(let first, let links) where links.count == 1:
            guard let test = NumberTest(rawValue: links[0].op.rawValue) else { throw Unsupported() }
            let left = try operand(first, assigned, d), right = try operand(links[0].operand, assigned, d)
            let (ss, sk): (NumericOp, NumericOp) = jumpIf ? (.jumpIfSS, .jumpIfSK) : (.jumpUnlessSS, .jumpUnlessSK)
            switch (left, right) {
            case (.slot(let a), .slot(let b)):
                jumps.append(emit(NumericInstruction(op: ss, test: test, a: a, b: b)))
            case (.slot(let a), .constant(let k)):
                jumps.append(emit(NumericInstruction(op: sk, test: test, a: a, k: k)))
            case (.constant(let k), .slot(let b)):
                jumps.append(emit(NumericInstruction(op: sk, test: test.swapped, a: b, k: k)))
            case (.constant(let k), .constant(let l)):
                let a = temporary()
                emit(NumericInstruction(op: .constant, c: a, k: k))
                jumps.append(emit(NumericInstruction(op: sk, test: test, a: a, k: l)))
            }
        default:
            throw Unsupported()
        }
    }

    /// `parts[0] ops[0] parts[1] …`, grouped from the left, with short-circuiting: the last
    /// part decides what is left; an `&&` whose left side is false (an `||` whose left side is
    /// true) settles the whole value as false (true) without evaluating its right side.
    private mutating func logical(_ parts: [Expr], ops: [BinaryOp], jumpIf: Bool, _ jumps: inout [Int], _ assigned: Assigned, _ depth: Int) throws(Unsupported) {
        guard let op = ops.last else {
            try condition(parts[0], jumpIf: jumpIf, &jumps, assigned, depth)
            return
        }
        let left = Array(parts.dropLast()), leftOps = Array(ops.dropLast())
        // `L && R`: false when L is false. `L || R`: true when L is true.
        let settles = op == .or
        if settles == jumpIf {
            // L settling the value is a jump; otherwise R decides.
            try logical(left, ops: leftOps, jumpIf: settles, &jumps, assigned, depth)
            try condition(parts[parts.count - 1], jumpIf: jumpIf, &jumps, assigned, depth)
        } else {
            // L settling the value means falling through past R.
            var skip: [Int] = []
            try logical(left, ops: leftOps, jumpIf: settles, &skip, assigned, depth)
            try condition(parts[parts.count - 1], jumpIf: jumpIf, &jumps, assigned, depth)
            for j in skip { patch(j) }
        }
    }
}
