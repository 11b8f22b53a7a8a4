/// The one registry of builtins: every entry carries its name, category, signature,
/// documentation, example and implementation (see `Builtin`). Each category's entries
/// live in their own file (`BuildBuiltins.swift`, ...) beside the helpers they share.
/// `help()`, completion, inspection, the reference test and calls all read this table.
public enum BuiltinTable {
    /// All builtins, in the order `help()` lists them.
    public static let all: [Builtin] = build + shape + math + arrays + attention + positions + models + learning + data + display + widgets + exploring + explaining + grading + other

    /// Builtin names, in table order.
    public static let names: [String] = all.map(\.name)

    private static let byName: [String: Builtin] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// The entry for `name`, if it is a builtin.
    public static func info(_ name: String) -> Builtin? { byName[name] }

    /// The `help("numpy")` page: each builtin that has a NumPy twin, beside it.
    public static var numpyTable: String {
        // A very long signature (train's) is cut after its first labelled parameters, so the
        // twins stay in one column.
        func short(_ signature: String) -> String {
            guard signature.count > 48, let cut = signature.firstRange(of: ", batch:") else { return signature }
            return signature[..<cut.lowerBound] + ", …)"
        }
        let pairs: [(signature: String, twin: String)] = all.compactMap { b in b.numpy.map { (short(b.signature), $0) } }
        let width = pairs.map(\.signature.count).max() ?? 0
        var out = "Builtins and their NumPy twins (np is numpy, rng = np.random.default_rng(seed)):\n\n"
        for pair in pairs {
            let padding = String(repeating: " ", count: width - pair.signature.count)
            out += "    \(pair.signature)\(padding)   \(pair.twin)\n"
        }
        return out
    }

    /// The `help("differentiable")` page: what `grad` can follow a matrix through.
    public static var differentiableList: String {
        "grad and value_and_grad follow matrices through the operators + - * / ** @ and unary -, .T, indexing and slicing "
            + "(A[i], A[:, a:b], A[i, j], and A[ids] as an embedding lookup), record arithmetic, and these builtins:\n\n    "
            + all.filter(\.isDifferentiable).map(\.name).joined(separator: " ")
            + "\n\nThese read a followed matrix as a plain value (no gradient flows through them): "
            + all.filter { if case .readsValues? = $0.differentiation { true } else { false } }.map(\.name).joined(separator: " ")
            + "\n\nAny other builtin given a followed matrix stops with a TypeError naming it.\n"
    }

    /// The `help()` page without a topic: every builtin's signature, by category.
    public static var overview: String {
        var out = "Builtins (help(name) for details):\n"
        for category in BuiltinCategory.allCases {
            out += "\n\(category.rawValue):\n"
            for builtin in all where builtin.category == category { out += "    \(builtin.signature)\n" }
        }
        return out
    }
}

extension Evaluator {
    /// Calls the builtin `name`: matches the arguments to its signature, then runs its entry.
    func callBuiltin(_ name: String, _ arguments: [EvaluatedArgument], at range: SourceRange) throws(LangError) -> Value {
        guard let builtin = BuiltinTable.info(name) else {
            throw LangError(.noSuchBuiltin(name: name, suggestion: nil), at: range)
        }
        host.builtinCalled(name)
        if let tape, arguments.contains(where: { $0.value.containsTracked }) {
            return try callFollowing(builtin, arguments, tape: tape, at: range)
        }
        return try builtin.implementation(Arguments(info: builtin, evaluator: self, range: range, arguments: arguments))
    }
}
