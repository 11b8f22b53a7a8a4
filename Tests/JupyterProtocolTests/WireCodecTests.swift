import Foundation
import JSONValues
import Testing

@testable import JupyterProtocol

@Suite struct WireCodecTests {
    let signer = try! MessageSigner(key: "secret-key")

    @Test func hmacMatchesRFC4231TestCase2() throws {
        let signer = try MessageSigner(key: "Jefe")
        let data = Data("what do ya want for nothing?".utf8)
        #expect(signer.signature(for: [data]) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // The four frames are concatenated, so splitting the data anywhere gives the same MAC.
        #expect(signer.signature(for: [Data("what do ya ".utf8), Data("want for nothing?".utf8)])
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func unknownSchemeIsRejected() {
        #expect(throws: ConnectionError.unsupportedSignatureScheme("hmac-md5")) {
            try MessageSigner(key: "k", scheme: "hmac-md5")
        }
    }

    @Test func fixedFramesDecode() throws {
        let signer = try MessageSigner(key: "Jefe")
        let header = Data(#"{"msg_id":"a1","session":"s1","username":"u","date":"2024-01-01T00:00:00.000Z","msg_type":"kernel_info_request","version":"5.3","subshell_id":null}"#.utf8)
        let parts = [header, Data("{}".utf8), Data("{}".utf8), Data("{ }".utf8)]
        let sig = Data(signer.signature(for: parts).utf8)
        let frames = [Data("id0".utf8), Data("id1".utf8), WireCodec.delimiter, sig] + parts + [Data([0, 1, 2])]
        let message = try WireCodec.decode(frames, signer: signer)
        #expect(message.identities == [Data("id0".utf8), Data("id1".utf8)])
        #expect(message.msgType == "kernel_info_request")
        #expect(message.header.msgID == "a1")
        #expect(message.header.extra["subshell_id"] == .null)
        #expect(message.buffers == [Data([0, 1, 2])])
        #expect(message.content == .object([:]))
    }

    @Test func roundTripKeepsEverything() throws {
        var message = Message.request("execute_request", content: ["code": "x = 1\n", "silent": false])
        message.buffers = [Data("buf".utf8)]
        let frames = WireCodec.encode(message, signer: signer)
        #expect(frames[0] == Data("client".utf8))
        #expect(frames[1] == WireCodec.delimiter)
        #expect(frames[2].count == 64)
        #expect(try WireCodec.decode(frames, signer: signer) == message)
    }

    @Test func signatureIsCheckedOverBytesAsReceived() throws {
        // JSON with spacing this encoder would never produce: re-serializing would break it.
        let parts = [#"{ "msg_type" : "x" }"#, "{}", "{}", #"{"a":  1.50}"#].map { Data($0.utf8) }
        let frames = [WireCodec.delimiter, Data(signer.signature(for: parts).utf8)] + parts
        #expect(try WireCodec.decode(frames, signer: signer).content["a"] == .number(1.5))
    }

    @Test func badSignatureIsAnError() throws {
        var frames = WireCodec.encode(Message.request("kernel_info_request"), signer: signer)
        frames[2] = Data(String(repeating: "0", count: 64).utf8)
        #expect(throws: WireError.badSignature) { try WireCodec.decode(frames, signer: signer) }
        frames[2] = Data()
        #expect(throws: WireError.badSignature) { try WireCodec.decode(frames, signer: signer) }
        frames[2] = Data([0xff, 0xfe])
        #expect(throws: WireError.badSignature) { try WireCodec.decode(frames, signer: signer) }
        let other = try MessageSigner(key: "other")
        let signedElsewhere = WireCodec.encode(Message.request("kernel_info_request"), signer: other)
        #expect(throws: WireError.badSignature) { try WireCodec.decode(signedElsewhere, signer: signer) }
    }

    @Test func tamperedContentIsAnError() throws {
        var frames = WireCodec.encode(Message.request("execute_request", content: ["code": "1"]), signer: signer)
        frames[6] = Data(#"{"code":"2"}"#.utf8)
        #expect(throws: WireError.badSignature) { try WireCodec.decode(frames, signer: signer) }
    }

    @Test func emptyKeyMeansNoSignature() throws {
        let frames = WireCodec.encode(Message.request("kernel_info_request"), signer: .unsigned)
        #expect(frames[2].isEmpty)
        var forged = frames
        forged[2] = Data("whatever".utf8)
        #expect(try WireCodec.decode(forged, signer: try MessageSigner(key: "")).msgType == "kernel_info_request")
    }

    @Test func malformedFramesAreErrorsNotCrashes() throws {
        let s = MessageSigner.unsigned
        let d = WireCodec.delimiter
        #expect(throws: WireError.missingDelimiter) { try WireCodec.decode([], signer: s) }
        #expect(throws: WireError.missingDelimiter) { try WireCodec.decode([Data("x".utf8)], signer: s) }
        #expect(throws: WireError.tooFewFrames(0)) { try WireCodec.decode([d], signer: s) }
        #expect(throws: WireError.tooFewFrames(4)) { try WireCodec.decode([d, Data(), Data(), Data(), Data()], signer: s) }
        let bad = [Data([0xff, 0xfe, 0x80]), Data("{}".utf8), Data("{}".utf8), Data("{}".utf8)]
        #expect(throws: WireError.invalidJSON(frame: "header")) { try WireCodec.decode([d, Data()] + bad, signer: s) }
        let array = ["[]", "{}", "{}", "{}"].map { Data($0.utf8) }
        #expect(throws: WireError.notAnObject(frame: "header")) { try WireCodec.decode([d, Data()] + array, signer: s) }
        let content = [#"{"msg_type":"x"}"#, "{}", "{}", "42"].map { Data($0.utf8) }
        #expect(throws: WireError.notAnObject(frame: "content")) { try WireCodec.decode([d, Data()] + content, signer: s) }
        let noType = [#"{"msg_type":7}"#, "{}", "{}", "{}"].map { Data($0.utf8) }
        #expect(throws: WireError.invalidHeader) { try WireCodec.decode([d, Data()] + noType, signer: s) }
        let truncated = [#"{"msg_type":"x""#, "{}", "{}", "{}"].map { Data($0.utf8) }
        #expect(throws: WireError.invalidJSON(frame: "header")) { try WireCodec.decode([d, Data()] + truncated, signer: s) }
    }

    @Test func hugeFrameIsHandled() throws {
        let big = Data(repeating: UInt8(ascii: "a"), count: 5_000_000)
        let s = MessageSigner.unsigned
        #expect(throws: WireError.invalidJSON(frame: "header")) {
            try WireCodec.decode([WireCodec.delimiter, Data(), big, big, big, big], signer: s)
        }
    }

    @Test func constantTimeCompare() {
        #expect(MessageSigner.constantTimeEqual(Data("abc".utf8), Data("abc".utf8)))
        #expect(!MessageSigner.constantTimeEqual(Data("abc".utf8), Data("abd".utf8)))
        #expect(!MessageSigner.constantTimeEqual(Data("abc".utf8), Data("ab".utf8)))
        #expect(!MessageSigner.constantTimeEqual(Data("abc".utf8), Data("abcd".utf8)))
        #expect(!MessageSigner.constantTimeEqual(Data(), Data("a".utf8)))
    }

    /// The header date is ISO 8601 UTC with microseconds, and Foundation's own ISO 8601
    /// parser reads it back as the current time.
    @Test func headerDateIsISO8601WithMicrosecondsAndZ() throws {
        let before = Date()
        let date = MessageHeader.now()
        #expect(date.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/) != nil, "\(date)")
        let parsed = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(String(date.dropLast(4)) + "Z")
        #expect(abs(parsed.timeIntervalSince(before)) < 2, "\(date) is not now (\(before))")
    }
}
