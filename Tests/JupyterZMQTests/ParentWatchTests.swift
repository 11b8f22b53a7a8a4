import Glibc
import Testing

@testable import JupyterZMQ

/// Which process the kernel watches, and when it counts as gone (the process side is
/// tested end to end in integration/test_orphans.py, with a real `kill -9`).
@Suite struct ParentWatchTests {
    static let live = ProcessStat(state: "S", startTime: 1000)

    @Test func parsesProcStatWhateverTheCommandName() throws {
        // The command name may hold spaces and parentheses; fields count from the last ')'.
        let fields = (4...52).map(String.init).joined(separator: " ")  // field 22 reads "22"
        let stat = try #require(ProcessStat.parse("4242 (a (b) c) S \(fields)"))
        #expect(stat == ProcessStat(state: "S", startTime: 22))
        #expect(ProcessStat.parse("4242 (zombie) Z \(fields)")?.isZombie == true)
        #expect(ProcessStat.parse("garbage") == nil)
        #expect(ProcessStat.parse("1 (x) S 2 3") == nil)
    }

    @Test func readsThisProcessAndNoMissingOne() throws {
        let me = try #require(ProcessStat.read(getpid()))
        #expect(me.state == "R" || me.state == "S")
        #expect(me.startTime > 0)
        #expect(ProcessStat.read(Int32.max) == nil)
    }

    @Test func withoutJPYParentPIDTheParentPIDIsWatched() {
        #expect(ParentWatch.target(environment: [:], parent: 300, stat: { _ in Self.live })
                == ParentWatch(target: .parent(300)))
        // Already re-parented to init: nothing to watch.
        #expect(ParentWatch.target(environment: [:], parent: 1, stat: { _ in Self.live }) == nil)
    }

    @Test func jpyParentPIDOfTheParentIsWatchedAsTheParent() {
        #expect(ParentWatch.target(environment: ["JPY_PARENT_PID": "300"], parent: 300, stat: { _ in Self.live })
                == ParentWatch(target: .parent(300)))
    }

    @Test func jpyParentPIDOfAnotherProcessIsWatchedWithItsStartTime() {
        let watch = ParentWatch.target(environment: ["JPY_PARENT_PID": " 500\n"], parent: 300, stat: { _ in Self.live })
        #expect(watch == ParentWatch(target: .process(500, startTime: 1000)))
        // A dead, zombie or meaningless JPY_PARENT_PID falls back to the parent.
        #expect(ParentWatch.target(environment: ["JPY_PARENT_PID": "500"], parent: 300, stat: { _ in nil })
                == ParentWatch(target: .parent(300)))
        #expect(ParentWatch.target(environment: ["JPY_PARENT_PID": "500"], parent: 300,
                                   stat: { _ in ProcessStat(state: "Z", startTime: 1000) }) == ParentWatch(target: .parent(300)))
        #expect(ParentWatch.target(environment: ["JPY_PARENT_PID": "1"], parent: 300, stat: { _ in Self.live })
                == ParentWatch(target: .parent(300)))
        #expect(ParentWatch.target(environment: ["JPY_PARENT_PID": "x"], parent: 300, stat: { _ in Self.live })
                == ParentWatch(target: .parent(300)))
    }

    @Test func goneMeansANewParentOrAMissingZombieOrReusedProcess() {
        let parent = ParentWatch(target: .parent(300))
        #expect(!parent.isGone(parent: 300, stat: { _ in nil }))
        #expect(parent.isGone(parent: 1, stat: { _ in Self.live }))
        #expect(parent.isGone(parent: 77, stat: { _ in Self.live }))  // a subreaper adopted us

        let other = ParentWatch(target: .process(500, startTime: 1000))
        #expect(!other.isGone(parent: 300, stat: { _ in Self.live }))
        #expect(other.isGone(parent: 300, stat: { _ in nil }))
        #expect(other.isGone(parent: 300, stat: { _ in ProcessStat(state: "Z", startTime: 1000) }))
        #expect(other.isGone(parent: 300, stat: { _ in ProcessStat(state: "S", startTime: 2000) }))
    }

    @Test func thisTestProcessHasAParentToWatch() {
        let watch = ParentWatch.current(environment: [:])
        #expect(watch?.pid == getppid() || getppid() == 1)
        #expect(watch.map { !$0.isGone() } ?? true)
    }
}
