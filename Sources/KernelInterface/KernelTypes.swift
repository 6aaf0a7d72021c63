/// What happens to results as a matrix multiply or convolution stores them: the activations
/// cheap enough to fuse. Anything else the caller applies afterwards.
public enum Epilogue: Sendable, Equatable {
    case none
    /// max(x, 0)
    case relu
    /// min(max(x, 0), 6)
    case relu6
}

/// Which reduction a pooling window computes. Average divides by the pixels the window covers
/// inside the image (TensorFlow's 'same' pooling does not count padding).
public enum PoolKind: Sendable, Equatable {
    case max
    case average
}
