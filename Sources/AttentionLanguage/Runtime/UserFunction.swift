/// A function the student defined with `func`. (Owned by the evaluator: it adds the body.)
public struct UserFunction: Sendable {
    public let name: String
    public let parameters: [String]
}
