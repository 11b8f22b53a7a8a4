import AttentionCore

/// A builtin's arguments, matched against its signature, with typed accessors that
/// fail with located, student-friendly errors.
struct Arguments {
    let info: BuiltinInfo
    let evaluator: Evaluator
    /// The callee's range (where call errors point).
    let range: SourceRange
    private var slots: [String: (value: Value, range: SourceRange)] = [:]
    /// The values of a trailing `xs...` parameter.
    private(set) var rest: [(value: Value, range: SourceRange)] = []

    init(info: BuiltinInfo, evaluator: Evaluator, range: SourceRange, arguments: [Evaluator.EvaluatedArgument]) throws(LangError) {
        self.info = info
        self.evaluator = evaluator
        self.range = range
        let signature = info.parsed
        var positionalIndex = 0
        for argument in arguments {
            if let label = argument.label {
                guard signature.labelled.contains(where: { $0.name == label }) else {
                    let allowed = signature.labelled.map { "\($0.name):" }
                    var message = "\(info.name) has no argument '\(label):'"
                    if let s = Suggestions.closest(to: label, among: signature.labelled.map(\.name)) { message += "; did you mean \(s):?" }
                    message += allowed.isEmpty ? " It takes no labelled arguments." : " Its labelled arguments are \(allowed.joined(separator: ", "))."
                    message += " Usage: \(info.signature)"
                    throw .type(message, at: argument.labelRange ?? argument.range)
                }
                slots[label] = (argument.value, argument.range)
            } else if positionalIndex < signature.positional.count {
                slots[signature.positional[positionalIndex].name] = (argument.value, argument.range)
                positionalIndex += 1
            } else if signature.variadic != nil {
                rest.append((argument.value, argument.range))
            } else {
                var message = "\(info.name) takes \(signature.positional.count) positional argument\(signature.positional.count == 1 ? "" : "s")"
                if !signature.labelled.isEmpty {
                    message += "; pass the others by label (\(signature.labelled.map { "\($0.name):" }.joined(separator: ", ")))"
                }
                throw .type(message + ". Usage: \(info.signature)", at: argument.range)
            }
        }
        for parameter in signature.positional + signature.labelled where slots[parameter.name] == nil {
            switch parameter.defaultValue {
            case .required:
                let isLabelled = signature.labelled.contains { $0.name == parameter.name }
                throw .type("\(info.name) needs the argument \(isLabelled ? "\(parameter.name):" : "'\(parameter.name)'"). Usage: \(info.signature)", at: range)
            case .value(let v):
                slots[parameter.name] = (v, range)
            }
        }
    }

    func value(_ name: String) -> Value { slots[name]?.value ?? .nil }
    func range(of name: String) -> SourceRange { slots[name]?.range ?? range }

    private func typeError(_ name: String, expected: String, got: Value, at r: SourceRange? = nil) -> LangError {
        .type("\(info.name) expects \(expected) for '\(name)', got a \(got.kindDescription)", at: r ?? range(of: name))
    }

    // MARK: - Typed accessors

    /// A matrix; a number counts as 1×1.
    func matrix(_ name: String) throws(LangError) -> Matrix {
        try Arguments.matrix(value(name), info: info, name: name, at: range(of: name))
    }

    static func matrix(_ v: Value, info: BuiltinInfo, name: String, at range: SourceRange) throws(LangError) -> Matrix {
        switch v {
        case .matrix(let m): return m
        case .number(let d): return Matrix(scalar: d)
        default: throw .type("\(info.name) expects a matrix for '\(name)', got a \(v.kindDescription)", at: range)
        }
    }

    func optionalMatrix(_ name: String) throws(LangError) -> Matrix? {
        if case .nil = value(name) { return nil }
        return try matrix(name)
    }

    func number(_ name: String) throws(LangError) -> Double {
        let v = value(name)
        guard case .number(let d) = v else { throw typeError(name, expected: "a number", got: v) }
        return d
    }

    /// A whole number within ±2⁵³.
    func int(_ name: String) throws(LangError) -> Int {
        let d = try number(name)
        guard let i = Convert.exactInt(d) else {
            throw .value("\(info.name) expects a whole number for '\(name)', got \(Renderer.formatNumber(d))", at: range(of: name))
        }
        return i
    }

    /// A size (rows, columns, a dimension): a whole number ≥ 0, ≤ the element limit.
    func size(_ name: String) throws(LangError) -> Int {
        let d = try number(name)
        if d.isFinite, d == d.rounded(), d > Double(evaluator.limits.maxElements) {
            throw .limit(
                "\(info.name): \(name) = \(Renderer.formatNumber(d)) is more than the \(evaluator.limits.maxElements) elements allowed (raise ATTN_MAX_ELEMENTS to allow more)",
                at: range(of: name))
        }
        let i = try int(name)
        guard i >= 0 else { throw .value("\(info.name) expects a size ≥ 0 for '\(name)', got \(i)", at: range(of: name)) }
        return i
    }

    /// A whole number ≥ 1 (heads, dimensions that must exist).
    func positive(_ name: String) throws(LangError) -> Int {
        let i = try size(name)
        guard i >= 1 else { throw .value("\(info.name) expects \(name) ≥ 1, got \(i)", at: range(of: name)) }
        return i
    }

    /// A seed: a whole number ≥ 0.
    func seed(_ name: String = "seed") throws(LangError) -> UInt64 {
        let i = try int(name)
        guard i >= 0 else { throw .value("a seed must be a whole number ≥ 0, got \(i)", at: range(of: name)) }
        return UInt64(i)
    }

    func bool(_ name: String) throws(LangError) -> Bool {
        let v = value(name)
        guard case .bool(let b) = v else { throw typeError(name, expected: "true or false", got: v) }
        return b
    }

    func string(_ name: String) throws(LangError) -> String {
        let v = value(name)
        guard case .string(let s) = v else { throw typeError(name, expected: "a string", got: v) }
        return s
    }

    func optionalString(_ name: String) throws(LangError) -> String? {
        if case .nil = value(name) { return nil }
        return try string(name)
    }

    /// Labels: a list of strings (numbers are written out), or nil.
    func optionalLabels(_ name: String) throws(LangError) -> [String]? {
        let v = value(name)
        switch v {
        case .nil: return nil
        case .list(let items):
            var labels: [String] = []
            for item in items {
                switch item {
                case .string(let s): labels.append(s)
                case .number(let d): labels.append(Renderer.formatNumber(d))
                default: throw typeError(name, expected: "a list of strings", got: item)
                }
            }
            return labels
        case .matrix(let m) where m.rows == 1: return m.storage.map(Renderer.formatNumber)
        default: throw typeError(name, expected: "a list of strings", got: v)
        }
    }

    /// A list of matrices.
    func matrices(_ name: String) throws(LangError) -> [Matrix] {
        let v = value(name)
        guard case .list(let items) = v else { throw typeError(name, expected: "a list of matrices", got: v) }
        var out: [Matrix] = []
        for item in items {
            guard case .matrix(let m) = item else { throw typeError(name, expected: "a list of matrices", got: item) }
            out.append(m)
        }
        return out
    }

    /// Token ids: a list of whole numbers or a 1×n matrix.
    func ids(_ name: String) throws(LangError) -> [Int] {
        let v = value(name)
        var numbers: [Double] = []
        switch v {
        case .list(let items):
            for item in items {
                guard case .number(let d) = item else { throw typeError(name, expected: "token ids (a list of whole numbers)", got: item) }
                numbers.append(d)
            }
        case .matrix(let m) where m.rows == 1 || m.count == 0: numbers = m.storage
        case .number(let d): numbers = [d]
        default: throw typeError(name, expected: "token ids (a list or a 1×n matrix)", got: v)
        }
        var ids: [Int] = []
        for d in numbers {
            guard let i = Convert.exactInt(d) else {
                throw .value("token ids must be whole numbers, got \(Renderer.formatNumber(d))", at: range(of: name))
            }
            ids.append(i)
        }
        return ids
    }

    /// The axis of a reduction or softmax: nil (when allowed), 0 or 1.
    func axis(_ name: String = "axis", optional: Bool) throws(LangError) -> Int? {
        if optional, case .nil = value(name) { return nil }
        let i = try int(name)
        guard i == 0 || i == 1 else {
            throw .value("axis must be 0 (down the columns) or 1 (along the rows), got \(i)", at: range(of: name))
        }
        return i
    }

    /// Runs a library call with errors located at this call.
    func core<T>(_ body: () throws(CoreError) -> T) throws(LangError) -> T {
        try evaluator.core(at: range, body)
    }

    func checkSize(rows: Int, cols: Int) throws(LangError) {
        try evaluator.checkSize(rows: rows, cols: cols, at: range)
    }
}
