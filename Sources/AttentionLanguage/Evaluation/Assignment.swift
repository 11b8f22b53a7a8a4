import AttentionCore

/// Assignments that change part of a bound value: `A[i, j] = v`, `xs[i] = v`, and
/// `xs = xs + ys` (`s = s + t` for strings), and `xs = append(xs, v)`.
///
/// Values keep value semantics (`B = A; A[0, 0] = 5` leaves B as it was), but a binding that
/// alone holds its matrix, list or string is changed where it lives instead of copied: every
/// check that can fail runs first, with nothing changed (a failed statement keeps the old
/// binding), then `modifyBinding` hands the stored value over while it is its only holder,
/// so copy-on-write finds the storage unshared. Filling an n×n matrix element by element
/// then costs O(n²) in all, not O(n⁴), and n appends O(n), not O(n²).
extension Evaluator {
    /// `A[i, j] = v` and `xs[i] = v`.
    func assignElements(of name: ResolvedName, indices parts: [CompiledPart], value valueCode: Code, at range: SourceRange) throws(LangError) {
        // Only the shape of the target is kept, not a second reference to its storage.
        enum Target { case matrix(rows: Int, cols: Int), list(count: Int), other(kind: String) }
        let target: Target
        switch try lookup(name, at: range) {
        case .matrix(let m): target = .matrix(rows: m.rows, cols: m.cols)
        case .list(let items): target = .list(count: items.count)
        case let other: target = .other(kind: other.kindDescription)
        }
        let value = try valueCode(self)
        switch target {
        case .matrix(let rowCount, let colCount):
            let rowSelection = try resolve(parts[0], count: rowCount, axis: "row", at: range)
            let colSelection = parts.count > 1 ? try resolve(parts[1], count: colCount, axis: "column", at: range) : .many(Array(0..<colCount))
            try assignMatrix(name, rowSelection, colSelection, value, at: range)
        case .list(let count):
            guard parts.count == 1, case .one(let i) = try resolve(parts[0], count: count, axis: "item", at: range) else {
                throw LangError(.listAssignOneItem, at: range)
            }
            if value.holdsItems, case .list(var items) = try lookup(name, at: range) {
                // A list or record going in may deepen or widen the list: check the list it makes.
                items[i] = value
                try checkListDepth(items, at: range)
            }
            _ = try modifyBinding(name) { (bound: inout Value) throws(LangError) in
                guard case .list(var items) = bound else { return }
                bound = .nil
                items[i] = value
                bound = .list(items)
            }
        case .other(let kind):
            throw LangError(.notElementAssignable(name: name.text, kind: kind), at: range)
        }
    }

    /// `A[i, j] = v` with two single indices, the form loops write: the target and indices read
    /// as operands, the checks and their order those of `assignElements` (target, value, row,
    /// column), which it hands anything but a matrix to before evaluating any part.
    func assignElement(of name: ResolvedName, row: Operand, _ rowExpr: Expr, col: Operand, _ colExpr: Expr, value valueCode: Code, parts: [CompiledPart], at range: SourceRange) throws(LangError) {
        let rowCount: Int, colCount: Int
        switch try lookup(name, at: range) {
        case .matrix(let m): (rowCount, colCount) = (m.rows, m.cols)
        default: return try assignElements(of: name, indices: parts, value: valueCode, at: range)
        }
        let value = try valueCode(self)
        let rowSelection = try select(try row.value(self), of: rowExpr, count: rowCount, axis: "row")
        let colSelection = try select(try col.value(self), of: colExpr, count: colCount, axis: "column")
        try assignMatrix(name, rowSelection, colSelection, value, at: range)
    }

    /// Stores `value` at the selected elements of the matrix bound to `name`, in place.
    @inline(__always)
    private func assignMatrix(_ name: ResolvedName, _ rowSelection: Selection, _ colSelection: Selection, _ value: Value, at range: SourceRange) throws(LangError) {
        if case .one(let i) = rowSelection, case .one(let j) = colSelection, case .number(let d) = value {
            modifyMatrix(name) { $0[i, j] = d }  // the common case, without building index lists
            return
        }
        let rows = rowSelection.indices, cols = colSelection.indices
        switch value {
        case .number(let d):
            modifyMatrix(name) { m in for i in rows { for j in cols { m[i, j] = d } } }
        case .matrix(let v) where v.rows == rows.count && v.cols == cols.count:
            modifyMatrix(name) { m in for (a, i) in rows.enumerated() { for (b, j) in cols.enumerated() { m[i, j] = v[a, b] } } }
        case .matrix(let v) where v.count == 1:
            modifyMatrix(name) { m in for i in rows { for j in cols { m[i, j] = v.storage[0] } } }
        case .matrix(let v):
            throw LangError(.assignShapeMismatch(value: v.shapeDescription, rows: rows.count, cols: cols.count, name: name.text), at: range)
        default:
            throw LangError(.matrixElementType(got: value.kindDescription), at: range)
        }
    }

    /// Runs `body` on the matrix bound to `name`, in place (see the type's comment).
    private func modifyMatrix(_ name: ResolvedName, _ body: (inout Matrix) -> Void) {
        _ = try? modifyBinding(name) { (bound: inout Value) throws(LangError) in
            guard case .matrix(var m) = bound else { return }
            bound = .nil  // `m` is now the storage's only holder
            body(&m)
            bound = .matrix(m)
        }
    }

    /// `x = x + e`: the left operand is looked up and `e` evaluated as for any `+`; when both
    /// are lists (or both strings) and the limits allow the result, `e` is appended to the
    /// bound value in place. Anything else is the ordinary `+`.
    func assignSum(_ name: ResolvedName, at nameRange: SourceRange, _ link: ChainLink, rhs rhsCode: Code) throws(LangError) {
        let tail: Value
        do {
            let lhs = try lookup(name, at: nameRange)
            let rhs = try rhsCode(self)
            if case .number(let a) = lhs, case .number(let b) = rhs {
                bind(name, .number(a + b))  // `s = s + x`, the commonest statement of a loop
                return
            }
            switch (lhs, rhs) {
            case (.list(let a), .list(let b)):
                try checkCount(a.count + b.count, at: link.range)
                try checkAppendedList(a, b, at: link.range)
            case (.string(let a), .string(let b)):
                try checkStringLength(a.utf8.count + b.utf8.count, at: link.range)
            default:
                bind(name, try arithmetic(.add, lhs, rhs, at: link.range, rhs: link.operand))
                return
            }
            tail = rhs
        }  // `lhs` ends here, so the binding is the only holder below
        _ = try modifyBinding(name) { (bound: inout Value) throws(LangError) in bound.append(tail) }
    }

    /// `xs = append(xs, v)` when `append` is the builtin: `v` is added where the binding
    /// lives (amortised O(1), so n appends cost O(n)) after `OtherBuiltins.checkAppend` has
    /// passed with nothing changed. When the name `append` is bound to something else, the
    /// statement runs as written (`general`).
    func assignAppend(_ name: ResolvedName, callee: ResolvedName, _ append: SelfAppend, item itemCode: Code, general: Code) throws(LangError) {
        if let bound = binding(callee) {
            guard case .function(.builtin(let builtin)) = bound, builtin == "append" else {
                bind(name, try general(self))
                return
            }
        }
        try checkInterrupt(at: append.calleeRange)
        let item: Value
        do {
            let xs = try lookup(name, at: append.xsRange)
            item = try itemCode(self)
            try OtherBuiltins.checkAppend(xs, item, self, xsRange: append.xsRange, vRange: append.itemRange, at: append.calleeRange)
        }  // `xs` ends here, so the binding is the only holder below
        _ = try modifyBinding(name) { (bound: inout Value) throws(LangError) in bound.appendItem(item) }
    }

    /// `checkListDepth(a + b)` without walking `a` when `a` holds no lists or records (the
    /// usual list of tokens or matrices): its items then add exactly `a.count` to the size
    /// and nothing to the depth, so only `b` needs the walk.
    private func checkAppendedList(_ a: [Value], _ b: [Value], at range: SourceRange) throws(LangError) {
        guard !a.contains(where: \.holdsItems) else { return try checkListDepth(a + b, at: range) }
        try checkListDepth(b, at: range, alreadyCounted: a.count)
    }
}

extension Value {
    /// True for the values that hold other values (lists and records), the only ones that
    /// count towards the nesting and size limits beyond themselves.
    var holdsItems: Bool {
        switch self {
        case .list, .record: true
        default: false
        }
    }

    /// `append(self, item)` in place, for the pairings `OtherBuiltins.checkAppend` allows: a
    /// list gets the item; a row's storage is moved out (not copied) and gets the number.
    /// (`if case`, not `switch self`: a switch may keep a copy of `self` for its whole body,
    /// a second holder that would make every append copy.)
    mutating func appendItem(_ item: Value) {
        if case .list(var items) = self {
            self = .nil
            items.append(item)
            self = .list(items)
        } else if case .matrix(var m) = self, case .number(let d) = item {
            self = .nil
            var storage: [Double] = []
            swap(&storage, &m.storage)
            storage.append(d)
            self = .matrix(Matrix(row: storage))
        }
    }

    /// `self + tail` for two lists or two strings, in place: `self` is set to nil while its
    /// payload grows, so the payload's storage is not shared with `self`.
    mutating func append(_ tail: Value) {
        if case .list(var items) = self, case .list(let more) = tail {
            self = .nil
            items.append(contentsOf: more)
            self = .list(items)
        } else if case .string(var text) = self, case .string(let more) = tail {
            self = .nil
            text += more
            self = .string(text)
        }
    }
}

/// The statement `xs = append(xs, v)`: the same name assigned and passed first, two
/// positional arguments. Recognised when compiling, so that it can run in place.
struct SelfAppend: Sendable {
    let callee: Name
    let calleeRange: SourceRange
    let xsRange: SourceRange
    let item: Expr
    /// The item's whole source, for its errors (computed once, not at every append).
    let itemRange: SourceRange

    init?(_ name: Name, _ value: Expr) {
        guard case .call(.name(let callee, let calleeRange), let arguments, _) = value, callee.text == "append",
            arguments.count == 2, arguments[0].label == nil, arguments[1].label == nil,
            case .name(let xs, let xsRange) = arguments[0].value, xs.id == name.id
        else { return nil }
        (self.callee, self.calleeRange, self.xsRange, item) = (callee, calleeRange, xsRange, arguments[1].value)
        itemRange = item.fullRange
    }
}
