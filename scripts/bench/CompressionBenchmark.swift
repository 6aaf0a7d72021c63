// Times the Compression module on one file; built and run by scripts/bench-inflate.sh, which
// compiles this file together with Sources/Compression/*.swift as a single optimized module.
//
//   compression-bench FILE.zz [RUNS]   inflate the zlib stream (best of RUNS, default 5); then
//                                      CRC-32, Adler-32 and Deflate of the output (RUNS > 0)
//   compression-bench FILE.zz 1 --inflate-only   one inflate, e.g. under valgrind
import Foundation

@main
struct CompressionBenchmark {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard (2...4).contains(arguments.count), let data = FileManager.default.contents(atPath: arguments[1]) else {
            FileHandle.standardError.write("usage: compression-bench FILE.zz [RUNS] [--inflate-only]\n".data(using: .utf8) ?? Data())
            exit(2)
        }
        let runs = arguments.count > 2 ? max(1, Int(arguments[2]) ?? 5) : 5
        let stream = [UInt8](data)
        var output: [UInt8] = []
        let inflateSeconds = try best(of: runs) { output = try Inflate.zlib(stream) }
        report("swift Inflate.zlib", bytes: output.count, seconds: inflateSeconds)
        if arguments.last == "--inflate-only" { return }
        var crc: UInt32 = 0
        report("swift CRC32", bytes: output.count, seconds: try best(of: 5) { crc = CRC32.checksum(output) })
        var adler: UInt32 = 0
        report("swift Adler32", bytes: output.count, seconds: try best(of: 5) { adler = Adler32.checksum(output) })
        print(String(format: "checksums: crc32=%08x adler32=%08x", crc, adler))
        benchmarkDeflate(output)
    }

    /// The encoder is optional at this point in the module's history; see Deflate.swift.
    static func benchmarkDeflate(_ input: [UInt8]) {
        #if COMPRESSION_BENCH_DEFLATE
        for level in [1, 6, 9] {
            var compressed: [UInt8] = []
            let seconds = (try? best(of: 2) { compressed = Deflate.zlib(input, level: level) }) ?? 0
            let ratio = Double(compressed.count) / Double(max(1, input.count))
            report(String(format: "swift Deflate.zlib level %d (ratio %.3f)", level, ratio), bytes: input.count, seconds: seconds)
            if (try? Inflate.zlib(compressed)) != input { print("  ROUND TRIP FAILED at level \(level)") }
            // Left beside the input for the script to decode with Python's zlib.
            let path = (CommandLine.arguments[1] as NSString).deletingLastPathComponent + "/swift-level\(level).zz"
            _ = FileManager.default.createFile(atPath: path, contents: Data(compressed))
        }
        #endif
    }

    static func best(of runs: Int, _ body: () throws -> Void) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return fastest
    }

    static func report(_ what: String, bytes: Int, seconds: Double) {
        let label = what.padding(toLength: 44, withPad: " ", startingAt: 0)
        print(label + String(format: " %8.1f MB/s  (%d bytes in %.1f ms)", Double(bytes) / seconds / 1e6, bytes, seconds * 1000))
    }
}
