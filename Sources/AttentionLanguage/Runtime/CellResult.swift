/// How a cell ended.
public enum CellResult: Sendable {
    /// It ran to the end. The value of its last expression statement, unless that was
    /// nil or the cell ended with another kind of statement.
    case success(Value?)
    /// It stopped at an error. Bindings made before the failing statement remain.
    case failure(Diagnostic)

    /// The result's mimebundle (Jupyter's `execute_result`), if there is one.
    public var resultBundle: MimeBundle? {
        if case .success(let value?) = self { return Renderer.bundle(for: value) }
        return nil
    }

    /// The error, if the cell failed.
    public var diagnostic: Diagnostic? {
        if case .failure(let d) = self { return d }
        return nil
    }

    /// The result value, if the cell succeeded with one.
    public var value: Value? {
        if case .success(let v) = self { return v }
        return nil
    }
}
