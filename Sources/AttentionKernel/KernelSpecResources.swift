import FoundationEssentials
import JSONValues

/// The `attention` kernelspec, built into the binary so that `attention-kernel install`
/// works from a copied release binary, with no source tree beside it.
///
/// `kernelspec/attention/` in the repository holds the same files for people to read and
/// edit; `KernelSpecResourcesTests` fails when the two differ (regenerate the base64 text below from
/// the PNGs when a logo changes: `base64 -w0 kernelspec/attention/logo-32x32.png`).
public enum KernelSpecResources {
    /// kernel.json with `executable` as `argv[0]`: an absolute path, as ipykernel writes
    /// `sys.executable`, so a JupyterHub user's PATH does not matter.
    /// `supported_encryption` tells jupyter_client (8.10 and later) that it may hand the
    /// kernel CurveZMQ keys (`KernelManager.transport_encryption`).
    public static func kernelJSON(executable: String) -> JSONValue {
        [
            "argv": [.string(executable), "-f", "{connection_file}"],
            "display_name": "Attention (Swift)",
            "language": "attention",
            "interrupt_mode": "message",
            "env": [:],
            "metadata": ["debugger": false, "supported_encryption": ["curve"]],
        ]
    }

    /// The logos, by file name.
    public static let logos: [(name: String, png: [UInt8])] = [
        ("logo-32x32.png", logo32),
        ("logo-64x64.png", logo64),
    ]

    /// The bytes of a PNG written as base64; `KernelSpecResourcesTests` compares them with the files.
    private static func png(base64: String) -> [UInt8] {
        Data(base64Encoded: base64).map { [UInt8]($0) } ?? []
    }

    static let logo32 = png(base64: "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAgElEQVR42u2RoQ2AUBQDWQXBACAwhEAQDMACeJAEj/8YZmEo7F+AFPVcBYLkIdrk1JlLmiR/2H1lYJiPMYLxlVeAAvwDtHwOYJjvzwWMzy5QgALcA7S628AwX44BDPPpsYPx+gIFKMA9QGvTCQzzTbGCYb4aAhhvL1KAAvwDPPcA8RJNm30QAtIAAAAASUVORK5CYII=")

    static let logo64 = png(base64: "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAAAuUlEQVR42u3UoQ3CYBCG4a5SwQAgMIRAEAzAAniQBI8vhlkYCtsFyJEgf3dJRZN73uSTZx5xXSf9+34WkVl7P45jZDa3ewAAAAAAAAAAAAAAqgJIqt3yOkRm7f3xfYvMZvcEAQAAAAAAAAAAAAAoCiCpdtvDIzJr79fnITJr7/vXMzKb/AkCAAAAAAAAAAAAAFAUQFLt9v0lMmvvd6t7ZNbeb05DZDb1EwUAAAAAAAAAAAAAoCqAivYDE4k2eNxxyDUAAAAASUVORK5CYII=")
}
