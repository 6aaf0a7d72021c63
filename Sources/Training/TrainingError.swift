/// Why a training job cannot start or continue, with a message naming the setting, layer or
/// data at fault: the CLI prints it as one line (exit 1); HTTP answers it as a 422.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A key of the request is missing or has an unusable value: (key, what is wrong).
    case invalidSetting(String, String)
    /// Something the trainer does not implement (a layer class, an initializer, a setting).
    case unsupported(String)
    /// The data cannot train this model (shape or class count mismatch, too few images).
    case dataMismatch(String)
    /// The loss became NaN or infinite: the learning rate is too high, or the data is broken.
    case diverged(epoch: Int, batch: Int)
    /// The job was cancelled before it finished.
    case cancelled

    public var description: String {
        switch self {
        case let .invalidSetting(key, problem): return "\(key) \(problem)"
        case let .unsupported(what): return "not supported for training: \(what)"
        case let .dataMismatch(what): return what
        case let .diverged(epoch, batch):
            return "the loss became NaN or infinite at epoch \(epoch), batch \(batch); lower the learning rate"
        case .cancelled: return "training was cancelled"
        }
    }

    /// The key the error concerns, when it concerns one (HTTP puts it in the message).
    public var key: String? {
        if case let .invalidSetting(key, _) = self { return key }
        return nil
    }
}
