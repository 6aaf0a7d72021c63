import Foundation

/// Bounds on what one training run may allocate, checked before the allocation happens: a
/// request naming a huge network, image size or batch gets an error naming the limit instead
/// of taking the process's memory. The service sets them from `training.max_parameters` and
/// `training.max_memory_bytes`; the CLI from the machine's memory.
public struct TrainingLimits: Sendable, Equatable {
    /// Weights of the network, trainable or not.
    public var maxParameters: Int
    /// `Network.trainingMemoryEstimate` for the run's batch, threads and optimizer.
    public var maxMemoryBytes: Int
    /// How messages name the two limits (config keys for the service).
    public var parametersName: String
    public var memoryName: String

    public init(maxParameters: Int = .max, maxMemoryBytes: Int = .max, parametersName: String = "the parameter limit",
                memoryName: String = "the memory limit") {
        self.maxParameters = maxParameters
        self.maxMemoryBytes = maxMemoryBytes
        self.parametersName = parametersName
        self.memoryName = memoryName
    }

    /// What the command line allows: three quarters of the machine's memory, and as many
    /// parameters as fit in it.
    public static var machine: TrainingLimits {
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4 * 3)
        return TrainingLimits(maxParameters: memory / 16, maxMemoryBytes: memory,
                              parametersName: "what this machine's memory holds", memoryName: "3/4 of this machine's memory")
    }

    /// Refuses a run whose estimated working set is above `maxMemoryBytes` (with `threads`
    /// threads, the batch split as the trainer splits it).
    func checkMemory(_ network: Network, batch: Int, threads: Int, optimizerSlots: Int) throws {
        let bytes = network.trainingMemoryEstimate(batch: batch, pieces: batchPieces(batch, threads: threads), optimizerSlots: optimizerSlots)
        guard bytes <= maxMemoryBytes else {
            throw TrainingError.invalidSetting(
                "train_args.batch_size",
                "of \(batch) with this network needs about \(Self.mebibytes(bytes)) MiB to train, more than the \(Self.mebibytes(maxMemoryBytes)) MiB \(memoryName) allows; use a smaller batch, image size or network")
        }
    }

    static func mebibytes(_ bytes: Int) -> Int { bytes / (1 << 20) }
}

/// Counts the weights a network's layers create, refusing the layer that goes over the limit
/// before its weights are allocated.
final class ParameterBudget {
    let limit: Int
    let limitName: String
    private(set) var used = 0

    init(limit: Int = .max, limitName: String = "the parameter limit") {
        self.limit = limit
        self.limitName = limitName
    }

    /// The element count of a weight of this shape (saturating at Int.max).
    static func count(of shape: [Int]) -> Int {
        shape.reduce(1) { product, size in
            let (result, overflow) = product.multipliedReportingOverflow(by: max(size, 0))
            return overflow ? .max : result
        }
    }

    func take(_ counts: [Int], layer: String) throws {
        var total = used
        for count in counts {
            let (sum, overflow) = total.addingReportingOverflow(count)
            total = overflow ? .max : sum
        }
        guard total <= limit else {
            throw TrainingError.invalidSetting(
                "network", "is too large: layer '\(layer)' brings it to \(total == .max ? "more than \(Int.max)" : "\(total)") weights, more than the \(limit) \(limitName) allows")
        }
        used = total
    }
}

extension Int {
    /// Saturating arithmetic for estimates that must not trap on absurd inputs.
    func saturatingAdd(_ other: Int) -> Int {
        let (value, overflow) = addingReportingOverflow(other)
        return overflow ? .max : value
    }

    func saturatingMultiply(_ other: Int) -> Int {
        let (value, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : value
    }
}
