import Foundation

/// Seconds on `clock` since its origin.
func seconds(on clock: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Wall-clock seconds (monotonic), for differences.
func now() -> Double { seconds(on: CLOCK_MONOTONIC) }

/// Seconds of CPU time used by the process's threads so far.
func cpuNow() -> Double { seconds(on: CLOCK_PROCESS_CPUTIME_ID) }

/// The median of sorted, non-empty times: the middle one, or the mean of the two middle ones.
func medianOfSorted(_ times: [Double]) -> Double {
    times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

func residentKiB() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
    return nil
}

func jsonString(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

/// A JSON array of already encoded rows, one row a line, as every table of the bench prints them.
func jsonArray(_ rows: [String]) -> String { "[\n  " + rows.joined(separator: ",\n  ") + "\n]" }
