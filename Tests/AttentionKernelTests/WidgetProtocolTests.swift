import AttentionLanguage
import JSONValues
import JupyterProtocol
import Synchronization
import Testing

@testable import AttentionKernel

/// The Jupyter widget protocol (2.1) as a front end meets it, over the in-memory
/// transport: the real interpreter and dispatcher, no sockets.
@Suite struct WidgetProtocolTests {
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    let log = Log()
    let transport = InMemoryTransport()
    let dispatcher: KernelDispatcher
    let interpreter: AttentionInterpreter

    init() {
        let log = log
        interpreter = AttentionInterpreter(log: { log.add($0) })
        dispatcher = KernelDispatcher(interpreter: interpreter, transport: transport, session: "kernel", log: { log.add($0) })
    }

    func send(_ type: String, _ content: JSONObject, metadata: JSONObject = [:]) -> [InMemoryTransport.Sent] {
        transport.clearSent()
        var message = Message.request(type, content: .object(content))
        message.metadata = .object(metadata)
        transport.enqueue(message)
        _ = dispatcher.serve(.shell)
        return transport.sent
    }

    func execute(_ code: String) -> [InMemoryTransport.Sent] {
        send("execute_request", ["code": .string(code), "silent": false, "store_history": true, "allow_stdin": false])
    }

    func update(_ comm: String, _ state: JSONObject) -> [InMemoryTransport.Sent] {
        send("comm_msg", ["comm_id": .string(comm), "data": ["method": "update", "state": .object(state), "buffer_paths": []]])
    }

    /// The comm id of the model named `model` opened in `sent`.
    func commID(_ sent: [InMemoryTransport.Sent], model: String) throws -> String {
        let open = try #require(sent.messages("comm_open").first { $0.content["data"]?["state"]?["_model_name"]?.stringValue == model })
        return try #require(open.content["comm_id"]?.stringValue)
    }

    static let interactCell = """
        func weights(t) {
          heatmap(softmax([1, 2, 3, 4; 4, 3, 2, 1] / t), title: "t")
        }
        t = slider(0.1, 4, value: 1, description: "temperature")
        interact(weights, t: t)
        """

    @Test func aSliderOpensItsLayoutStyleAndModelAndShowsItsView() throws {
        let sent = execute("slider(0, 1, value: 0.25, description: \"x\")")
        #expect(sent.types == ["status", "execute_input", "comm_open", "comm_open", "comm_open", "display_data", "execute_reply", "status"])
        let opens = sent.messages("comm_open")
        #expect(opens.allSatisfy { $0.content["target_name"] == "jupyter.widget" && $0.metadata["version"] == "2.1.0" })
        let layout = try #require(opens[0].content["comm_id"]?.stringValue)
        let style = try #require(opens[1].content["comm_id"]?.stringValue)
        let state = try #require(opens[2].content["data"]?["state"])
        #expect(opens[0].content["data"]?["state"]?["_model_name"] == "LayoutModel")
        #expect(opens[1].content["data"]?["state"]?["_model_name"] == "SliderStyleModel")
        #expect(state["_model_name"] == "FloatSliderModel")
        #expect(state["_model_module"] == "@jupyter-widgets/controls")
        #expect(state["_model_module_version"] == "2.0.0")
        #expect(state["layout"]?.stringValue == "IPY_MODEL_" + layout)
        #expect(state["style"]?.stringValue == "IPY_MODEL_" + style)
        #expect(state["value"] == 0.25)
        #expect(state["description"] == "x")
        let view = try #require(sent.first("display_data")?.content["data"]?["application/vnd.jupyter.widget-view+json"])
        #expect(view == ["model_id": .string(try #require(opens[2].content["comm_id"]?.stringValue)), "version_major": 2, "version_minor": 0])
    }

    @Test func commInfoListsTheWidgetsByTarget() throws {
        _ = execute("c = checkbox(value: true)\nshow(c)")
        let sent = send("comm_info_request", ["target_name": "jupyter.widget"])
        let comms = try #require(sent.first("comm_info_reply")?.content["comms"]?.objectValue)
        #expect(comms.count == 3)
        #expect(comms.pairs.allSatisfy { $0.value["target_name"] == "jupyter.widget" })
        let none = send("comm_info_request", ["target_name": "jupyter.widget.control"])
        #expect(none.first("comm_info_reply")?.content["comms"] == [:])
    }

    @Test func anUpdateChangesTheValueEchoesItAndReplacesTheInteractOutput() throws {
        let cell = execute(Self.interactCell)
        let slider = try commID(cell, model: "FloatSliderModel")
        let box = try #require(cell.messages("comm_open").last)
        #expect(box.content["data"]?["state"]?["_model_name"] == "VBoxModel")
        #expect(box.content["data"]?["state"]?["children"] == [.string("IPY_MODEL_" + slider)])
        let first = try #require(cell.messages("display_data").last)
        let displayID = try #require(first.content["transient"]?["display_id"]?.stringValue)
        let before = try #require(first.content["data"]?["text/html"]?.stringValue)

        let sent = update(slider, ["value": 0.2])
        #expect(sent.types == ["status", "comm_msg", "update_display_data", "status"])
        #expect(sent.first("comm_msg")?.content["data"] == ["method": "echo_update", "state": ["value": 0.2], "buffer_paths": []])
        let replaced = try #require(sent.first("update_display_data"))
        #expect(replaced.content["transient"]?["display_id"]?.stringValue == displayID)
        let after = try #require(replaced.content["data"]?["text/html"]?.stringValue)
        #expect(after.contains("<table") && after != before)
        // The first display carries the PNG too (saved notebooks, PDF); a live re-run only the HTML.
        #expect(first.content["data"]?["image/png"] != nil)
        #expect(replaced.content["data"]?["image/png"] == nil)
        #expect(execute("t.value").first("execute_result")?.content["data"]?["text/plain"] == "0.2")
        // Out of range: clamped to the slider's max, and the echo says so.
        let clamped = update(slider, ["value": 99])
        #expect(clamped.first("comm_msg")?.content["data"]?["state"] == ["value": 4])
    }

    @Test func anErrorInTheCallbackIsShownInItsOutputAndBindingsSurvive() throws {
        let cell = execute("""
            kept = 41
            func f(n) {
              if n > 2 { return [1, 2] @ [3, 4] }
              print("n is", n)
            }
            interact(f, n: int_slider(0, 5, value: 1))
            """)
        #expect(cell.first("error") == nil)
        let slider = try commID(cell, model: "IntSliderModel")
        let sent = update(slider, ["value": 3])
        #expect(sent.first("error") == nil)
        let html = try #require(sent.first("update_display_data")?.content["data"]?["text/html"]?.stringValue)
        #expect(html.contains("ShapeError"))
        let back = update(slider, ["value": 2])
        #expect(back.first("update_display_data")?.content["data"]?["text/plain"] == "n is 2")
        #expect(execute("kept + 1").first("execute_result")?.content["data"]?["text/plain"] == "42")
    }

    @Test func unknownCommsAndMalformedStatesAreDroppedWithALogLine() throws {
        _ = execute("h = int_slider(0, 3, value: 1)\nshow(h)")
        let unknown = send("comm_msg", ["comm_id": "no-such-comm", "data": ["method": "update", "state": ["value": 2]]])
        #expect(unknown.types == ["status", "status"])
        #expect(log.all.contains { $0.contains("no-such-comm") })

        let slider = try commID(execute("h2 = int_slider(0, 3, value: 1)\nh2"), model: "IntSliderModel")
        for bad: JSONValue in ["two", 1.5, nil, ["nested": true]] {
            let sent = update(slider, ["value": bad])
            #expect(sent.first("error") == nil)
            // The view is put back to the kernel's value.
            #expect(sent.first("comm_msg")?.content["data"]?["method"] == "update")
            #expect(sent.first("comm_msg")?.content["data"]?["state"]?["value"] == 1)
        }
        #expect(log.all.filter { $0.contains("refused") }.count == 4)
        let noState = send("comm_msg", ["comm_id": .string(slider), "data": ["method": "update", "state": "oops"]])
        #expect(noState.types == ["status", "status"])
        let noMethod = send("comm_msg", ["comm_id": .string(slider), "data": ["what": 1]])
        #expect(noMethod.types == ["status", "status"])
        #expect(execute("h2.value").first("execute_result")?.content["data"]?["text/plain"] == "1")
    }

    @Test func requestStateAndRequestStatesAreAnswered() throws {
        let cell = execute("d = dropdown([\"a\", \"b\", \"c\"], value: \"b\")\nd")
        let dropdown = try commID(cell, model: "DropdownModel")
        let state = send("comm_msg", ["comm_id": .string(dropdown), "data": ["method": "request_state"]])
        let reply = try #require(state.first("comm_msg")?.content["data"])
        #expect(reply["method"] == "update")
        #expect(reply["state"]?["index"] == 1)
        #expect(reply["state"]?["_options_labels"] == ["a", "b", "c"])

        _ = send("comm_open", ["comm_id": "ctl", "target_name": "jupyter.widget.control", "data": [:]])
        let states = send("comm_msg", ["comm_id": "ctl", "data": ["method": "request_states"]])
        let all = try #require(states.first("comm_msg")?.content["data"])
        #expect(all["method"] == "update_states")
        let models = try #require(all["states"]?.objectValue)
        #expect(models.count == 3)
        #expect(models[dropdown]?["model_name"] == "DropdownModel")
        #expect(models[dropdown]?["state"]?["index"] == 1)

        _ = send("comm_msg", ["comm_id": .string(dropdown), "data": ["method": "update", "state": ["index": 2]]])
        #expect(execute("d.value").first("execute_result")?.content["data"]?["text/plain"] == "c")
        // A front end closing the comm forgets it; later messages to it are logged and dropped.
        _ = send("comm_close", ["comm_id": .string(dropdown), "data": [:]])
        #expect(send("comm_msg", ["comm_id": .string(dropdown), "data": ["method": "request_state"]]).types == ["status", "status"])
        // Shown again, the widget gets new models, with its current value.
        let again = execute("d")
        let reopened = try commID(again, model: "DropdownModel")
        #expect(reopened != dropdown)
        #expect(again.messages("comm_open").last?.content["data"]?["state"]?["index"] == 2)
    }

    @Test func updatesWaitingTogetherRunTheFunctionOnceWithTheLatestValue() throws {
        let cell = execute("calls = 0\nfunc f(t) {\n  print(t)\n}\ninteract(f, t: slider(0, 10, value: 0))")
        let slider = try commID(cell, model: "FloatSliderModel")
        transport.clearSent()
        for v in 1...5 {
            transport.enqueue(Message.request("comm_msg", content: ["comm_id": .string(slider), "data": ["method": "update", "state": ["value": .number(Double(v))]]]))
        }
        _ = dispatcher.serve(.shell)
        let updates = transport.sent.messages("update_display_data")
        #expect(updates.count == 1)
        #expect(updates.first?.content["data"]?["text/plain"] == "5")
        #expect(transport.sent.messages("comm_msg").count == 5)  // every update is echoed
    }

    @Test func exploreRedrawsItsHeatmapForTemperatureMaskLayerAndHead() throws {
        let cell = execute("explore(sentence: \"abcd\", seed: 3)")
        let names = cell.messages("comm_open").compactMap { $0.content["data"]?["state"]?["_model_name"]?.stringValue }
        #expect(names.filter { $0 != "LayoutModel" && !$0.hasSuffix("StyleModel") } == ["TextModel", "FloatSliderModel", "DropdownModel", "DropdownModel", "CheckboxModel", "VBoxModel"])
        let first = try #require(cell.messages("display_data").last?.content["data"]?["text/plain"]?.stringValue)
        #expect(first.contains("layer 0, head 0, temperature 1, causal"))
        let temperature = try commID(cell, model: "FloatSliderModel")
        let sharper = try #require(update(temperature, ["value": 0.1]).first("update_display_data")?.content["data"]?["text/plain"]?.stringValue)
        #expect(sharper.contains("temperature 0.1") && sharper != first)
        let causal = try commID(cell, model: "CheckboxModel")
        let open = try #require(update(causal, ["value": false]).first("update_display_data")?.content["data"]?["text/plain"]?.stringValue)
        #expect(open.contains("no mask"))
        let layer = try #require(cell.messages("comm_open").first { $0.content["data"]?["state"]?["description"] == "layer" }?.content["comm_id"]?.stringValue)
        let second = try #require(update(layer, ["index": 1]).first("update_display_data")?.content["data"]?["text/plain"]?.stringValue)
        #expect(second.contains("layer 1"))
        let text = try commID(cell, model: "TextModel")
        let longer = try #require(update(text, ["value": "abcdef"]).first("update_display_data")?.content["data"]?["text/plain"]?.stringValue)
        #expect(longer.contains("6×6"))
    }
}
