import Foundation
import Glibc
import Keras
import Kernels

/// `max-server bench --model FILE --batch N`: times predictions of a Keras model on one thread
/// (per image, after warm-up) and reports the memory a one-image prediction needs.
enum BenchCommand {
    static let command = Command(
        name: "bench",
        summary: "time a Keras model's predictions (microseconds per image, one thread)",
        help: """
        usage: max-server bench --model FILE [--weights WEIGHTS.h5] [--batch N] [--seconds S]

        Loads FILE (any Keras format; with --weights, FILE is an architecture JSON), feeds it
        pseudo-random inputs in 0..255 in batches of N (default 1) for about S seconds (default 2)
        after a warm-up, and prints the best of five rounds in microseconds per image: wall time
        and this thread's CPU time (the latter ignores time the scheduler gave other processes).
        Runs with the CPU kernels `max-server cpu` shows as selected (MAX_CPU overrides).
        Also prints the workspace one prediction uses and the process's peak resident memory.
        """,
        spec: ArgumentSpec(valued: ["--model", "--weights", "--batch", "--seconds"], maxPositionals: 0),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        guard let path = arguments.value("--model") else { throw UsageError("--model FILE is required") }
        let batch = try arguments.int("--batch") ?? 1
        guard batch > 0, batch <= 65_536 else { throw UsageError("--batch must be between 1 and 65536") }
        let seconds = Double(arguments.value("--seconds") ?? "2") ?? 2
        guard seconds > 0, seconds <= 600 else { throw UsageError("--seconds must be between 0 and 600") }

        let kernels = try ServiceOptions.selectKernels()
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let model = try ModelSummaryCommand.loadModel(path: path, weights: arguments.value("--weights"))
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6
        var generator = UInt32(12345)
        let input = (0..<(model.inputSize * batch)).map { _ -> Float in
            generator = generator &* 1_664_525 &+ 1_013_904_223
            return Float(generator >> 24)
        }
        var output = [Float](repeating: 0, count: model.outputSize * batch)

        // One-image prediction first: its peak memory is what a server pays per request.
        try runOnce(model, input: Array(input.prefix(model.inputSize)), batch: 1,
                    output: &output)
        let peakAfterOne = peakResidentKilobytes()

        // Warm up, then size rounds to about seconds / 5 each.
        let warmStart = cpuNanoseconds()
        var warmRuns = 0
        while cpuNanoseconds() - warmStart < 200_000_000 || warmRuns < 3 {
            try runOnce(model, input: input, batch: batch, output: &output)
            warmRuns += 1
        }
        let perRun = Double(cpuNanoseconds() - warmStart) / Double(warmRuns)
        let runsPerRound = max(1, Int(seconds * 1e9 / 5 / perRun))
        var bestWall = Double.infinity
        var bestCPU = Double.infinity
        for _ in 0..<5 {
            let wallStart = DispatchTime.now().uptimeNanoseconds
            let cpuStart = cpuNanoseconds()
            for _ in 0..<runsPerRound { try runOnce(model, input: input, batch: batch, output: &output) }
            let images = Double(runsPerRound * batch)
            bestCPU = min(bestCPU, Double(cpuNanoseconds() - cpuStart) / 1000 / images)
            bestWall = min(bestWall, Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1000 / images)
        }
        print("model: \(path)  input \(model.inputShape) -> output \(model.outputShape)  (loaded in "
              + String(format: "%.1f ms)", loadMilliseconds))
        print("kernels: \(kernels)")
        print(String(format: "batch %d: %.1f us/image wall, %.1f us/image cpu (best of 5 rounds of %d batches)",
                     batch, bestWall, bestCPU, runsPerRound))
        print(String(format: "memory: workspace %.1f KiB per concurrent prediction; peak RSS after one-image prediction %.1f MiB, now %.1f MiB",
                     Double(model.workspaceBytes) / 1024, Double(peakAfterOne) / 1024,
                     Double(peakResidentKilobytes()) / 1024))
        return 0
    }

    private static func runOnce(_ model: KerasModel, input: [Float], batch: Int, output: inout [Float]) throws {
        try input.withUnsafeBufferPointer { source in
            try output.withUnsafeMutableBufferPointer { destination in
                try model.predict(input: source, batchSize: batch,
                                  output: UnsafeMutableBufferPointer(rebasing: destination[0..<(batch * model.outputSize)]))
            }
        }
    }

    private static func cpuNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// VmHWM from /proc/self/status (0 where unavailable).
    private static func peakResidentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
