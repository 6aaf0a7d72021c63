import Foundation
import XCTest
@testable import Metrics

final class ProcessMetricsTests: XCTestCase {
    /// A folder laid out like /proc/PID, with a command name holding spaces and parentheses.
    func testReadsAProcFolderFieldByField() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("fd"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stat = "4242 (max (server) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 5000 123456789 300 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
        try stat.write(to: folder.appendingPathComponent("stat"), atomically: true, encoding: .utf8)
        try "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n"
            .write(to: folder.appendingPathComponent("system-stat"), atomically: true, encoding: .utf8)
        try """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            1024                 524288               files
            """.write(to: folder.appendingPathComponent("limits"), atomically: true, encoding: .utf8)
        for name in ["0", "1", "2"] {
            try "".write(to: folder.appendingPathComponent("fd").appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let metrics = ProcessMetrics(procRoot: folder.path, systemStatPath: folder.appendingPathComponent("system-stat").path)
        let reading = try XCTUnwrap(metrics.read())
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        XCTAssertEqual(reading, ProcessMetrics.Reading(
            cpuSeconds: 400 / ticks, residentBytes: 300 * page, virtualBytes: 123_456_789,
            startTimeSeconds: 1_700_000_000 + 5000 / ticks, openDescriptors: 3, maxDescriptors: 1024, threads: 7))
    }

    func testMalformedStatGivesNothingRatherThanNonsense() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "4242 (short) S 1 2 3\n".write(to: folder.appendingPathComponent("stat"), atomically: true, encoding: .utf8)
        XCTAssertNil(ProcessMetrics(procRoot: folder.path).read())
        XCTAssertTrue(ProcessMetrics(procRoot: folder.appendingPathComponent("absent").path).collect().isEmpty)
    }

    func testThisProcessIsReadAsItIs() throws {
        #if os(Linux)
        let metrics = ProcessMetrics()
        let before = try XCTUnwrap(metrics.read())
        XCTAssertGreaterThan(before.residentBytes, 1_048_576, "a test process holds more than 1 MiB")
        XCTAssertGreaterThan(before.threads, 0)
        let now = Date().timeIntervalSince1970
        XCTAssertLessThanOrEqual(before.startTimeSeconds, now + 1)
        XCTAssertGreaterThan(before.startTimeSeconds, now - 24 * 3600, "this test process started today")
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        XCTAssertEqual(before.maxDescriptors.map(UInt64.init), UInt64(limit.rlim_cur))

        // Five more descriptors are counted as five more.
        let opened = (0..<5).map { _ in open("/dev/null", O_RDONLY) }
        defer { opened.forEach { close($0) } }
        let after = try XCTUnwrap(metrics.read())
        XCTAssertEqual(try XCTUnwrap(after.openDescriptors) - XCTUnwrap(before.openDescriptors), 5)

        // CPU time grows with work done: spin until getrusage says this process used 0.2 s more CPU
        // (however loaded the machine, so the wall time it takes does not matter), then /proc must
        // show at least 0.15 s more (its 10 ms ticks leave room).
        func usedCPU() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        var sink = 0.0
        let startCPU = usedCPU(), deadline = Date().addingTimeInterval(60)
        while usedCPU() - startCPU < 0.2 && Date() < deadline { for step in 0..<10_000 { sink += sin(Double(step)) } }
        XCTAssertNotEqual(sink, 42)
        XCTAssertGreaterThanOrEqual(usedCPU() - startCPU, 0.2, "the spin got 0.2 s of CPU within a minute")
        let later = try XCTUnwrap(metrics.read())
        XCTAssertGreaterThan(later.cpuSeconds, before.cpuSeconds + 0.15)

        let names = metrics.collect().map(\.name)
        XCTAssertEqual(names, ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                               "process_start_time_seconds", "process_threads", "process_open_fds", "process_max_fds"])
        #else
        throw XCTSkip("/proc is Linux's")
        #endif
    }
}
