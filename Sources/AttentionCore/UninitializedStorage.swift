extension Array where Element == Double {
    /// `count` Doubles, every one written by `fill`, with no zero-fill first (products
    /// with β = 0 and the attention passes write each element once).
    ///
    /// An empty result never reaches `Array(unsafeUninitializedCapacity:)`: with capacity 0
    /// that initializer stores its count into the one empty-array object all threads
    /// share, a data race ThreadSanitizer reports when two threads do it at once.
    static func writtenInPlace(count: Int, _ fill: (UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
        if count == 0 { return [] }
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        }
    }
}
