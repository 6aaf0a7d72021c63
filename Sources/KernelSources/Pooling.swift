// MaxPooling2D / AveragePooling2D and their gradients. Padded positions never win a max and
// are not counted in an average (TensorFlow's 'same' pooling divides by the number of real
// pixels under the window).
import KernelInterface

/// The part of an output pixel's window inside the image: rows y0..<y1, columns x0..<x1.
@inline(__always)
private func clippedWindow(_ w: Window2D, outY: Int, outX: Int) -> (y0: Int, y1: Int, x0: Int, x1: Int) {
    let startY = outY &* w.strideHeight &- w.padTop
    let startX = outX &* w.strideWidth &- w.padLeft
    let y0 = max(startY, 0), y1 = max(min(startY &+ w.kernelHeight, w.inputHeight), y0)
    let x0 = max(startX, 0), x1 = max(min(startX &+ w.kernelWidth, w.inputWidth), x0)
    return (y0, y1, x0, x1)
}

/// One output pixel's window in the input: `rows` x `columns` pixels from `corner`.
private struct PoolWindow {
    let corner: UnsafePointer<Float>
    let rows: Int
    let columns: Int
    let channels: Int
    let rowStride: Int
}

/// The arithmetic pooling needs, implemented on each concrete vector type: the standard library's
/// generic SIMD comparisons go lane by lane, its concrete ones are single instructions.
private protocol PoolVector: SIMD where Scalar == Float {
    func maximum(_ other: Self) -> Self
    func plus(_ other: Self) -> Self
    func divided(by other: Self) -> Self
}

extension SIMD16<Float>: PoolVector {
    @inline(__always) func maximum(_ other: Self) -> Self { replacing(with: other, where: self .< other) }
    @inline(__always) func plus(_ other: Self) -> Self { self + other }
    @inline(__always) func divided(by other: Self) -> Self { self / other }
}

extension SIMD8<Float>: PoolVector {
    @inline(__always) func maximum(_ other: Self) -> Self { replacing(with: other, where: self .< other) }
    @inline(__always) func plus(_ other: Self) -> Self { self + other }
    @inline(__always) func divided(by other: Self) -> Self { self / other }
}

extension SIMD4<Float>: PoolVector {
    @inline(__always) func maximum(_ other: Self) -> Self { replacing(with: other, where: self .< other) }
    @inline(__always) func plus(_ other: Self) -> Self { self + other }
    @inline(__always) func divided(by other: Self) -> Self { self / other }
}

/// Pools channels c, c + V.scalarCount, ... while a whole group fits; returns the first channel
/// left. Generic only so that it is written once: every call names a concrete vector type.
@inline(__always)
private func poolChannels<V: PoolVector>(_ type: V.Type, _ kind: PoolKind, _ window: PoolWindow,
                                         _ result: UnsafeMutablePointer<Float>, from start: Int) -> Int {
    @inline(__always) func load(_ pointer: UnsafePointer<Float>) -> V { UnsafeRawPointer(pointer).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ value: V, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: V.self)
    }
    let width = V.scalarCount
    var c = start
    let channels = window.channels
    if kind == .max && window.rows == 2 && window.columns == 2 {
        // The common 2x2 max pool, unrolled.
        let top = window.corner, below = window.corner + window.rowStride
        while c &+ width <= channels {
            let upper = load(top + c).maximum(load(top + (c &+ channels)))
            let lower = load(below + c).maximum(load(below + (c &+ channels)))
            store(upper.maximum(lower), result + c)
            c &+= width
        }
        return c
    }
    let count = V(repeating: Float(window.rows &* window.columns))
    while c &+ width <= channels {
        var accumulator = V(repeating: kind == .max ? -.infinity : 0)
        var row = window.corner + c
        for _ in 0..<window.rows {
            var pixel = row
            for _ in 0..<window.columns {
                accumulator = kind == .max ? accumulator.maximum(load(pixel)) : accumulator.plus(load(pixel))
                pixel += channels
            }
            row += window.rowStride
        }
        store(kind == .max ? accumulator : accumulator.divided(by: count), result + c)
        c &+= width
    }
    return c
}

/// The channels left after the vector groups, one at a time.
@inline(__always)
private func poolSingleChannels(_ kind: PoolKind, _ window: PoolWindow, _ result: UnsafeMutablePointer<Float>, from start: Int) {
    for c in start..<max(start, window.channels) {
        var accumulator: Float = kind == .max ? -.infinity : 0
        var row = window.corner + c
        for _ in 0..<window.rows {
            var pixel = row
            for _ in 0..<window.columns {
                accumulator = kind == .max ? (accumulator < pixel.pointee ? pixel.pointee : accumulator) : accumulator + pixel.pointee
                pixel += window.channels
            }
            row += window.rowStride
        }
        result[c] = kind == .max ? accumulator : accumulator / Float(window.rows &* window.columns)
    }
}

extension Backend {
    public static func pool(_ kind: PoolKind, _ input: UnsafePointer<Float>, batch: Int, window w: Window2D, channels: Int,
                            output: UnsafeMutablePointer<Float>) {
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* channels
        for image in 0..<batch {
            let source = input + image &* inputSize
            let destination = output + image &* outputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let (y0, y1, x0, x1) = clippedWindow(w, outY: outY, outX: outX)
                    let window = PoolWindow(corner: source + (y0 &* w.inputWidth &+ x0) &* channels,
                                            rows: y1 &- y0, columns: x1 &- x0, channels: channels,
                                            rowStride: w.inputWidth &* channels)
                    let result = destination + (outY &* w.outputWidth &+ outX) &* channels
                    // Whole vectors of channels, then the rest in halves and quarters of one
                    // (24 channels under AVX-512: 16 + 8), then single channels.
                    var c = poolChannels(Vec.self, kind, window, result, from: 0)
                    c = poolChannels(SIMD8<Float>.self, kind, window, result, from: c)
                    c = poolChannels(SIMD4<Float>.self, kind, window, result, from: c)
                    poolSingleChannels(kind, window, result, from: c)
                }
            }
        }
    }

    public static func poolGradient(_ kind: PoolKind, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                    batch: Int, window w: Window2D, channels: Int, inputGradient: UnsafeMutablePointer<Float>) {
        let inputSize = w.inputPixels &* channels
        let outputSize = w.outputPixels &* channels
        for image in 0..<batch {
            let source = input + image &* inputSize
            let gradient = outputGradient + image &* outputSize
            let destination = inputGradient + image &* inputSize
            for outY in 0..<w.outputHeight {
                for outX in 0..<w.outputWidth {
                    let (y0, y1, x0, x1) = clippedWindow(w, outY: outY, outX: outX)
                    guard y1 > y0, x1 > x0 else { continue }
                    let incoming = gradient + (outY &* w.outputWidth &+ outX) &* channels
                    switch kind {
                    case .max:
                        for c in 0..<channels {
                            // The first maximum in row-major order takes the gradient.
                            var best = (y0 &* w.inputWidth &+ x0) &* channels &+ c
                            for y in y0..<y1 {
                                for x in x0..<x1 {
                                    let index = (y &* w.inputWidth &+ x) &* channels &+ c
                                    if source[index] > source[best] { best = index }
                                }
                            }
                            destination[best] += incoming[c]
                        }
                    case .average:
                        let count = Float((y1 &- y0) &* (x1 &- x0))
                        for y in y0..<y1 {
                            for x in x0..<x1 {
                                let pixel = destination + (y &* w.inputWidth &+ x) &* channels
                                for c in 0..<channels { pixel[c] += incoming[c] / count }
                            }
                        }
                    }
                }
            }
        }
    }
}
