import KernelInterface
import XCTest

final class AlignedBufferTests: XCTestCase {
    /// Small buffers come from the heap, large ones are mapped; both are aligned for AVX-512,
    /// start zeroed and hold what is written to every element.
    func testSmallAndLargeBuffersAreAlignedZeroedAndWritable() {
        let largeCount = AlignedBuffer.mappedBytes / MemoryLayout<Float>.stride + 3
        for (count, mapped) in [(0, false), (5, false), (1000, false), (largeCount, true)] {
            let buffer = AlignedBuffer(count: count)
            XCTAssertEqual(buffer.isMapped, mapped, "\(count) floats")
            XCTAssertEqual(Int(bitPattern: buffer.pointer) % 64, 0, "\(count) floats: 64-byte aligned")
            let capacity = max(count, 16)
            XCTAssertTrue((0..<capacity).allSatisfy { buffer.pointer[$0] == 0 }, "\(count) floats: zeroed")
            for index in 0..<capacity { buffer.pointer[index] = Float(index) }
            XCTAssertEqual(buffer.pointer[capacity - 1], Float(capacity - 1))
        }
    }

    /// A large buffer costs resident memory only for the pages written: a workspace sized for
    /// a batch of 32 that serves single images stays small. (A heap buffer zeroed on creation
    /// would be resident whole.) Freeing it gives those pages back.
    func testLargeBuffersAreResidentOnlyWhereWritten() throws {
        guard let before = residentBytes() else { throw XCTSkip("/proc/self/statm is not readable here") }
        var buffer: AlignedBuffer? = AlignedBuffer(count: 16 << 20)  // 64 MiB
        buffer!.pointer.update(repeating: 1, count: 1 << 20)  // the first 4 MiB written
        let written = try XCTUnwrap(residentBytes())
        XCTAssertLessThan(written - before, 12 << 20, "only the 4 MiB written may be resident, not 64 MiB")
        XCTAssertGreaterThanOrEqual(written - before, 3 << 20, "the written pages are resident")
        buffer = nil
        let freed = try XCTUnwrap(residentBytes())
        XCTAssertLessThan(freed - before, 2 << 20, "freeing returns the pages")
    }

    private func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
