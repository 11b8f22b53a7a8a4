/// Calls a builtin by name: matches the arguments to its signature, then hands them to
/// the category that implements it.
extension Evaluator {
    func callBuiltin(_ name: String, _ arguments: [EvaluatedArgument], at range: SourceRange) throws(LangError) -> Value {
        guard let info = BuiltinTable.info(name) else {
            throw .name("'\(name)' is not a builtin", at: range)
        }
        let args = try Arguments(info: info, evaluator: self, range: range, arguments: arguments)
        if let v = try BuildBuiltins.call(name, args) { return v }
        if let v = try ShapeBuiltins.call(name, args) { return v }
        if let v = try MathBuiltins.call(name, args) { return v }
        if let v = try AttentionBuiltins.call(name, args) { return v }
        if let v = try ModelBuiltins.call(name, args) { return v }
        if let v = try DisplayBuiltins.call(name, args) { return v }
        if let v = try GradingBuiltins.call(name, args) { return v }
        if let v = try OtherBuiltins.call(name, args) { return v }
        throw .name("the builtin '\(name)' has no implementation", at: range)
    }
}
