/// A dense, row-major, two-dimensional matrix of `Double`.
///
/// Every value the library computes is 2-D: a row vector is 1×C, a column vector R×1.
/// Element (i, j) lives at `storage[i * cols + j]`. `Matrix` is a value type with
/// copy-on-write storage (Swift arrays), so passing it around is cheap and a student's
/// binding can never be changed behind their back.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    /// Row-major elements, `rows * cols` of them.
    public var storage: [Double]

    /// A matrix from row-major storage. Throws when the element count is not rows·cols
    /// or a dimension is negative.
    public init(rows: Int, cols: Int, storage: [Double]) throws(CoreError) {
        guard rows >= 0, cols >= 0 else { throw .invalidArgument("a matrix cannot have negative size \(rows)×\(cols)") }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, count == storage.count else {
            throw .invalidArgument("\(storage.count) values cannot fill a \(rows)×\(cols) matrix")
        }
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Internal initializer for callers that have already checked `storage.count == rows * cols`.
    init(uncheckedRows rows: Int, cols: Int, storage: [Double]) {
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A rows×cols matrix with every element equal to `value`.
    public init(rows: Int, cols: Int, repeating value: Double) {
        self.init(uncheckedRows: max(rows, 0), cols: max(cols, 0), storage: Array(repeating: value, count: max(rows, 0) * max(cols, 0)))
    }

    /// A matrix from nested rows. Throws when rows are ragged.
    public init(_ nested: [[Double]]) throws(CoreError) {
        let cols = nested.first?.count ?? 0
        var storage: [Double] = []
        storage.reserveCapacity(nested.count * cols)
        for (i, row) in nested.enumerated() {
            guard row.count == cols else {
                throw .invalidArgument("row \(i) has \(row.count) values but row 0 has \(cols); every row needs the same length")
            }
            storage.append(contentsOf: row)
        }
        self.init(uncheckedRows: nested.count, cols: cols, storage: storage)
    }

    /// A rows×cols matrix whose element (i, j) is `f(i, j)`.
    public init(rows: Int, cols: Int, _ f: (Int, Int) -> Double) {
        var storage = [Double]()
        storage.reserveCapacity(rows * cols)
        for i in 0..<rows { for j in 0..<cols { storage.append(f(i, j)) } }
        self.init(uncheckedRows: rows, cols: cols, storage: storage)
    }

    /// The 1×n row of `values`.
    public init(row values: [Double]) { self.init(uncheckedRows: 1, cols: values.count, storage: values) }

    /// A 1×1 matrix holding `value`.
    public init(scalar value: Double) { self.init(uncheckedRows: 1, cols: 1, storage: [value]) }

    public var count: Int { storage.count }
    public var shape: (rows: Int, cols: Int) { (rows, cols) }
    public var isEmpty: Bool { storage.isEmpty }

    /// Element (i, j); the caller guarantees the indices are in range.
    @inlinable public subscript(i: Int, j: Int) -> Double {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// Row i as an array.
    public func row(_ i: Int) -> ArraySlice<Double> { storage[(i * cols)..<((i + 1) * cols)] }

    /// "4×3", the way shapes are written in messages.
    public var shapeDescription: String { "\(rows)×\(cols)" }
}

/// What can go wrong inside the library. The language turns these into its own
/// located diagnostics; nothing in the library traps on bad input.
public enum CoreError: Error, Equatable, Sendable {
    /// Two operands whose shapes do not fit: `operation` names what was attempted.
    case shapeMismatch(operation: String, lhs: String, rhs: String, hint: String?)
    /// An argument out of its domain (negative size, heads not dividing d_model, ...).
    case invalidArgument(String)
    /// A result would exceed the configured size limit.
    case tooLarge(String)

    public var message: String {
        switch self {
        case .shapeMismatch(let op, let lhs, let rhs, let hint):
            "cannot \(op) a \(lhs) matrix and a \(rhs) matrix" + (hint.map { "; \($0)" } ?? "")
        case .invalidArgument(let m): m
        case .tooLarge(let m): m
        }
    }
}
