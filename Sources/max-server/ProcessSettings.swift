import ImageCodecs
import MAXFramework

/// Settings that act on the whole process rather than on one server object: the shared budget
/// for decoded images, which the framework cannot set since it knows nothing of images.
enum ProcessSettings {
    static func apply(_ configuration: MAXConfiguration) {
        DecodingBudget.shared.capacity = configuration.imageMemoryBudget
        DecodingBudget.shared.wait = configuration.memoryWait
    }
}
