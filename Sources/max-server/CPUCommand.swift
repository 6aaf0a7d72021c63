import Kernels

/// `max-server cpu`: which CPU kernels this binary has, which this machine runs, which it uses.
enum CPUCommand {
    static let command = Command(
        name: "cpu",
        summary: "show the CPU kernel classes compiled in, which this machine runs, and the one selected",
        help: """
        usage: max-server cpu [--runnable]

        The numeric kernels (matrix multiply, convolution, pooling, JPEG's IDCT and colour
        conversion) are compiled once per CPU class: avx512 (x86-64-v4), avx2 (x86-64-v3) and
        portable (the baseline). At start-up the widest class this machine runs is used: its
        flags must appear in /proc/cpuinfo and its instructions must pass a test in a child
        process. MAX_CPU=avx512|avx2|portable|auto overrides; a class the CPU lacks is refused.

          --runnable   print only the classes this machine runs, one a line (for scripts)
        """,
        spec: ArgumentSpec(flags: ["--runnable"], maxPositionals: 0),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let runnable = Kernels.runnable
        if arguments.has("--runnable") {
            for cpu in runnable { print(cpu) }
            return 0
        }
        print("compiled: " + Kernels.compiled.map { $0.cpu.rawValue }.joined(separator: ", "))
        print("runnable: " + runnable.map(\.rawValue).joined(separator: ", "))
        do {
            print("selected: \(try Kernels.select())")
        } catch let error as KernelSelectionError {
            throw CommandFailure(error.description)
        }
        return 0
    }
}
