import Foundation
import Testing

@testable import JupyterProtocol

/// `curve_publickey` / `curve_secretkey` in a connection file (jupyter_client 8.10's
/// transport encryption): both or neither, each 40 characters of Z85.
@Suite struct CurveKeysTests {
    // A real pair made by zmq.curve_keypair().
    static let publicKey = "b3^!1[(z^ja*K/#Xg1e>-x#4)=^SSZfyM=T5JbLk"
    static let secretKey = "0PS9W>0v+u7NY4%M&j#5oUlnWX/?06b?bk@u*&XF"

    func file(_ extra: String) -> Data {
        Data(#"{"shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5,"ip":"127.0.0.1"\#(extra)}"#.utf8)
    }

    @Test func bothKeysAreRead() throws {
        let info = try ConnectionInfo.parse(file(#","curve_publickey":"\#(Self.publicKey)","curve_secretkey":"\#(Self.secretKey)""#))
        #expect(info.curve == CurveKeys(publicKey: Self.publicKey, secretKey: Self.secretKey))
    }

    @Test func noKeysOrNullKeysMeanNoEncryption() throws {
        #expect(try ConnectionInfo.parse(file("")).curve == nil)
        #expect(try ConnectionInfo.parse(file(#","curve_publickey":null,"curve_secretkey":null"#)).curve == nil)
    }

    @Test func halfAPairOrAMalformedKeyIsAnError() throws {
        #expect(throws: ConnectionError.invalidCurveKey("curve_publickey without curve_secretkey")) {
            try ConnectionInfo.parse(file(#","curve_publickey":"\#(Self.publicKey)""#))
        }
        #expect(throws: ConnectionError.invalidCurveKey("curve_secretkey without curve_publickey")) {
            try ConnectionInfo.parse(file(#","curve_secretkey":"\#(Self.secretKey)""#))
        }
        #expect(throws: ConnectionError.invalidCurveKey("curve_secretkey is not 40 characters of Z85")) {
            try ConnectionInfo.parse(file(#","curve_publickey":"\#(Self.publicKey)","curve_secretkey":"short""#))
        }
        // 40 characters, but '~' and ' ' are not in Z85's alphabet.
        let bad = String(Self.publicKey.dropLast(2)) + "~ "
        #expect(throws: ConnectionError.invalidCurveKey("curve_publickey is not 40 characters of Z85")) {
            try ConnectionInfo.parse(file(#","curve_publickey":"\#(bad)","curve_secretkey":"\#(Self.secretKey)""#))
        }
        #expect(throws: ConnectionError.invalidCurveKey("curve_publickey is not a string")) {
            try ConnectionInfo.parse(file(#","curve_publickey":5,"curve_secretkey":"\#(Self.secretKey)""#))
        }
        #expect(ConnectionError.invalidCurveKey("x").description == "connection file has an unusable CurveZMQ key: x")
    }
}
