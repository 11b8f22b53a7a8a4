import AttentionCore

/// A builtin's arguments, matched against its signature, with typed accessors that
/// fail with located, student-friendly errors.
struct Arguments {
    let info: Builtin
    let evaluator: Evaluator
    /// The callee's range (where call errors point).
    let range: SourceRange
    private var slots: [String: (value: Value, range: SourceRange)] = [:]
    /// The values of a trailing `xs...` parameter.
    private(set) var rest: [(value: Value, range: SourceRange)] = []
    /// The labelled arguments a `name: value, ...` signature takes beyond its declared ones, in call order.
    private(set) var extraLabelled: [(label: String, value: Value, range: SourceRange)] = []

    init(info: Builtin, evaluator: Evaluator, range: SourceRange, arguments: [Evaluator.EvaluatedArgument]) throws(LangError) {
        self.info = info
        self.evaluator = evaluator
        self.range = range
        let signature = info.parsed
        var positionalIndex = 0
        for argument in arguments {
            if let label = argument.label {
                if signature.anyLabels, !signature.labelled.contains(where: { $0.name == label }) {
                    extraLabelled.append((label, argument.value, argument.labelRange ?? argument.range))
                    continue
                }
                guard signature.labelled.contains(where: { $0.name == label }) else {
                    let allowed = signature.labelled.map(\.name)
                    throw LangError(
                        .unknownLabel(
                            builtin: info.name, label: label, suggestion: Suggestions.closest(to: label, among: allowed),
                            allowed: allowed, usage: info.signature),
                        at: argument.labelRange ?? argument.range)
                }
                slots[label] = (argument.value, argument.range)
            } else if positionalIndex < signature.positional.count {
                slots[signature.positional[positionalIndex].name] = (argument.value, argument.range)
                positionalIndex += 1
            } else if signature.variadic != nil {
                rest.append((argument.value, argument.range))
            } else {
                throw LangError(
                    .tooManyPositional(
                        builtin: info.name, count: signature.positional.count, labelled: signature.labelled.map(\.name),
                        usage: info.signature),
                    at: argument.range)
            }
        }
        for parameter in signature.positional + signature.labelled where slots[parameter.name] == nil {
            switch parameter.defaultValue {
            case .required:
                let isLabelled = signature.labelled.contains { $0.name == parameter.name }
                throw LangError(
                    .missingArgument(builtin: info.name, parameter: parameter.name, labelled: isLabelled, usage: info.signature),
                    at: range)
            case .value(let v):
                slots[parameter.name] = (v, range)
            }
        }
    }

    /// The value passed for `name` (its default when the call left it out). Reading a
    /// name the signature does not declare is the kernel's bug, and fails loudly.
    func value(_ name: String) throws(LangError) -> Value {
        try declared(name)
        return slots[name]?.value ?? .nil
    }

    /// Where the argument `name` is written (the call itself for a default).
    func range(of name: String) throws(LangError) -> SourceRange {
        try declared(name)
        return slots[name]?.range ?? range
    }

    private func declared(_ name: String) throws(LangError) {
        guard info.parsed.declares(name) else {
            throw LangError(.undeclaredParameter(builtin: info.name, parameter: name, signature: info.signature), at: range)
        }
    }

    private func typeError(_ name: String, expected: String, got: Value) throws(LangError) -> LangError {
        LangError(.argumentType(builtin: info.name, parameter: name, expected: expected, got: got.kindDescription), at: try range(of: name))
    }

    // MARK: - Typed accessors

    /// A matrix; a number counts as 1×1.
    func matrix(_ name: String) throws(LangError) -> Matrix {
        try Arguments.matrix(value(name), info: info, name: name, at: range(of: name))
    }

    static func matrix(_ v: Value, info: Builtin, name: String, at range: SourceRange) throws(LangError) -> Matrix {
        guard let m = v.asMatrix else {
            throw LangError(.argumentType(builtin: info.name, parameter: name, expected: "a matrix", got: v.kindDescription), at: range)
        }
        return m
    }

    /// A matrix, where a list of numbers (what `append` collects from `[]`) is a 1×n row:
    /// the reductions and `show` accept both ways of holding numbers.
    func matrixOrNumbers(_ name: String) throws(LangError) -> Matrix {
        let v = try value(name)
        if case .list(let items) = v {
            guard let row = Value.numbersRow(items) else { throw try typeError(name, expected: "a matrix or a list of numbers", got: v) }
            return row
        }
        return try matrix(name)
    }

    func optionalMatrix(_ name: String) throws(LangError) -> Matrix? {
        if case .nil = try value(name) { return nil }
        return try matrix(name)
    }

    /// The argument `name` through `extract`, or a TypeError saying it should be `expected`.
    private func typed<T>(_ name: String, _ expected: String, _ extract: (Value) -> T?) throws(LangError) -> T {
        let v = try value(name)
        guard let t = extract(v) else { throw try typeError(name, expected: expected, got: v) }
        return t
    }

    func number(_ name: String) throws(LangError) -> Double {
        try typed(name, "a number") { if case .number(let d) = $0 { d } else { nil } }
    }

    /// A whole number within ±2⁵³.
    func int(_ name: String) throws(LangError) -> Int {
        let d = try number(name)
        guard let i = Convert.exactInt(d) else {
            throw LangError(.argumentNotWhole(builtin: info.name, parameter: name, value: d), at: try range(of: name))
        }
        return i
    }

    /// A size (rows, columns, a dimension): a whole number ≥ 0, ≤ the element limit.
    func size(_ name: String) throws(LangError) -> Int {
        let d = try number(name)
        if d.isFinite, d == d.rounded(), d > Double(evaluator.limits.maxElements) {
            throw LangError(
                .sizeOverLimit(builtin: info.name, parameter: name, value: d, limit: evaluator.limits.maxElements), at: try range(of: name))
        }
        let i = try int(name)
        guard i >= 0 else { throw LangError(.negativeSizeArgument(builtin: info.name, parameter: name, value: i), at: try range(of: name)) }
        return i
    }

    /// A whole number ≥ 1 (heads, dimensions that must exist).
    func positive(_ name: String) throws(LangError) -> Int {
        let i = try size(name)
        guard i >= 1 else { throw LangError(.notPositive(builtin: info.name, parameter: name, value: i), at: try range(of: name)) }
        return i
    }

    /// A seed: a whole number ≥ 0.
    func seed(_ name: String = "seed") throws(LangError) -> UInt64 {
        let i = try int(name)
        guard i >= 0 else { throw LangError(.negativeSeed(i), at: try range(of: name)) }
        return UInt64(i)
    }

    func bool(_ name: String) throws(LangError) -> Bool {
        try typed(name, "true or false") { if case .bool(let b) = $0 { b } else { nil } }
    }

    func string(_ name: String) throws(LangError) -> String {
        try typed(name, "a string") { if case .string(let s) = $0 { s } else { nil } }
    }

    func optionalString(_ name: String) throws(LangError) -> String? {
        if case .nil = try value(name) { return nil }
        return try string(name)
    }

    /// A list (its items unchecked); `expected` words the TypeError for anything else.
    func list(_ name: String, expected: String = "a list") throws(LangError) -> [Value] {
        try typed(name, expected) { if case .list(let items) = $0 { items } else { nil } }
    }

    /// A record.
    func record(_ name: String) throws(LangError) -> Record {
        try typed(name, "a record") { if case .record(let r) = $0 { r } else { nil } }
    }

    /// A function: a user's `func`, a lambda or a builtin.
    func function(_ name: String) throws(LangError) -> Callable {
        try typed(name, "a function") { if case .function(let f) = $0 { f } else { nil } }
    }

    /// Labels: a list of strings (numbers are written out), or nil.
    func optionalLabels(_ name: String) throws(LangError) -> [String]? {
        let v = try value(name)
        switch v {
        case .nil: return nil
        case .list(let items):
            var labels: [String] = []
            for item in items {
                switch item {
                case .string(let s): labels.append(s)
                case .number(let d): labels.append(Renderer.formatNumber(d))
                default: throw try typeError(name, expected: "a list of strings", got: item)
                }
            }
            return labels
        case .matrix(let m) where m.rows == 1: return m.storage.map(Renderer.formatNumber)
        default: throw try typeError(name, expected: "a list of strings", got: v)
        }
    }

    /// Labels that must number `count` (one per row, per head, per curve), or nil;
    /// `mismatch` words the error from the number given.
    func optionalLabels(_ name: String, count: Int, mismatch: (Int) -> Reason) throws(LangError) -> [String]? {
        guard let labels = try optionalLabels(name) else { return nil }
        guard labels.count == count else { throw LangError(mismatch(labels.count), at: try range(of: name)) }
        return labels
    }

    /// A list of matrices.
    func matrices(_ name: String) throws(LangError) -> [Matrix] {
        let v = try value(name)
        guard case .list(let items) = v else { throw try typeError(name, expected: "a list of matrices", got: v) }
        var out: [Matrix] = []
        for item in items {
            guard case .matrix(let m) = item else { throw try typeError(name, expected: "a list of matrices", got: item) }
            out.append(m)
        }
        return out
    }

    /// Token ids: a list of whole numbers or a 1×n matrix.
    func ids(_ name: String) throws(LangError) -> [Int] {
        let v = try value(name)
        var numbers: [Double] = []
        switch v {
        case .list(let items):
            for item in items {
                guard case .number(let d) = item else { throw try typeError(name, expected: "token ids (a list of whole numbers)", got: item) }
                numbers.append(d)
            }
        case .matrix(let m) where m.rows == 1 || m.count == 0: numbers = m.storage
        case .number(let d): numbers = [d]
        default: throw try typeError(name, expected: "token ids (a list or a 1×n matrix)", got: v)
        }
        var ids: [Int] = []
        for d in numbers {
            guard let i = Convert.exactInt(d) else {
                throw LangError(.tokenIDNotWhole(d), at: try range(of: name))
            }
            ids.append(i)
        }
        return ids
    }

    /// The axis of a reduction or softmax: nil (when allowed), 0 or 1.
    /// Counted from the end as in NumPy, -1 is the last axis (1) and -2 the first (0).
    func axis(_ name: String = "axis", optional: Bool) throws(LangError) -> Int? {
        if optional, case .nil = try value(name) { return nil }
        let i = try int(name)
        guard (-2...1).contains(i) else {
            throw LangError(.badAxis(i), at: try range(of: name))
        }
        return i < 0 ? i + 2 : i
    }

    /// Runs a library call with errors located at this call.
    func core<T>(_ body: () throws(CoreError) -> T) throws(LangError) -> T {
        try evaluator.core(at: range, body)
    }

    func checkSize(rows: Int, cols: Int) throws(LangError) {
        try evaluator.checkSize(rows: rows, cols: cols, at: range)
    }
}
