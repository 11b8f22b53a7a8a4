import Foundation
import JSONValues
import Testing

@testable import AttentionKernel

/// The kernelspec built into the binary is the one in the repository's
/// `kernelspec/attention/` (kernel.json with its argv[0] replaced, and the two logos).
@Suite struct KernelSpecResourcesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("kernelspec/attention")

    @Test func kernelJSONMatchesTheRepositoryCopy() throws {
        let text = try Data(contentsOf: Self.folder.appendingPathComponent("kernel.json"))
        let file = try JSONValue.parse(text)
        #expect(KernelSpecResources.kernelJSON(executable: "attention-kernel") == file)
        let installed = KernelSpecResources.kernelJSON(executable: "/opt/bin/attention-kernel")
        #expect(installed["argv"] == ["/opt/bin/attention-kernel", "-f", "{connection_file}"])
        #expect(installed["metadata"]?["supported_encryption"] == ["curve"])
    }

    @Test func logosMatchTheRepositoryPNGs() throws {
        #expect(KernelSpecResources.logos.map(\.name) == ["logo-32x32.png", "logo-64x64.png"])
        for logo in KernelSpecResources.logos {
            let file = try Data(contentsOf: Self.folder.appendingPathComponent(logo.name))
            #expect([UInt8](file) == logo.png, "\(logo.name) differs from the built-in copy")
            #expect(logo.png.starts(with: [0x89, 0x50, 0x4e, 0x47]))
        }
    }
}
