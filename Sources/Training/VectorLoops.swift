/// The element-wise loops of training (activation gradients, bias sums, BatchNormalization,
/// max-pool routing) written on 8-float vectors. They are memory-bound, so the module stays
/// compiled for the baseline CPU (two SSE registers per vector there, one with AVX); the scalar
/// forms of these loops, with their Swift arrays and Double sums, took a third of a training step.
typealias Floats8 = SIMD8<Float>

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> Floats8 { UnsafeRawPointer(pointer).loadUnaligned(as: Floats8.self) }

@inline(__always)
func store8(_ value: Floats8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Floats8.self)
}

/// gradient[i] = output[i] > 0 ? gradient[i] : 0 (ReLU's derivative from its output; a NaN
/// output passes no gradient, as the comparison is false).
func maskByPositive(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
    var i = 0
    let zero = Floats8()
    while i &+ 8 <= count {
        store8(load8(gradient + i).replacing(with: 0, where: .!(load8(output + i) .> zero)), gradient + i)
        i &+= 8
    }
    while i < count {
        if !(output[i] > 0) { gradient[i] = 0 }
        i &+= 1
    }
}

/// Σ over rows of a rows x columns matrix, added into `sums`: four vectors of columns at a time
/// down every row, so the sums stay in registers.
func addColumnSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    var column = 0
    while column &+ 32 <= columns {
        var s0 = Floats8(), s1 = Floats8(), s2 = Floats8(), s3 = Floats8()
        var p = matrix + column
        for _ in 0..<rows {
            s0 += load8(p); s1 += load8(p + 8); s2 += load8(p + 16); s3 += load8(p + 24)
            p += columns
        }
        store8(load8(sums + column) + s0, sums + column)
        store8(load8(sums + column + 8) + s1, sums + column + 8)
        store8(load8(sums + column + 16) + s2, sums + column + 16)
        store8(load8(sums + column + 24) + s3, sums + column + 24)
        column &+= 32
    }
    while column &+ 8 <= columns {
        var s = Floats8()
        var p = matrix + column
        for _ in 0..<rows {
            s += load8(p)
            p += columns
        }
        store8(load8(sums + column) + s, sums + column)
        column &+= 8
    }
    while column < columns {
        var s: Float = 0
        for row in 0..<rows { s += matrix[row &* columns &+ column] }
        sums[column] += s
        column &+= 1
    }
}

/// A 2x2, stride-2 max pool whose windows all lie inside the image, keeping for every output
/// value which of its window's four inputs won (0-3 in row-major order, the first of equal
/// maxima, as TensorFlow and the kernels' poolGradient route it) for the backward pass, which
/// then never reads the input again (4 bytes per output, a quarter of the window's floats:
/// bytes would be smaller, but widening them to lane masks does not vectorise here). With `positiveOnly` (the input is a ReLU's output whose
/// mask this layer applies), a maximum that is not positive routes nothing (winner 4).
func maxPool2x2Forward(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, outputHeight: Int, outputWidth: Int,
                       channels: Int, positiveOnly: Bool, output: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>) {
    precondition(2 * outputHeight <= height && 2 * outputWidth <= width, "pool windows outside the image")
    let rowLength = width &* channels
    let inputSize = height &* rowLength, outputSize = outputHeight &* outputWidth &* channels
    let vectorChannels = channels - channels % 8
    let zero = Floats8()
    let none = SIMD8<Int32>(repeating: 4), second = SIMD8<Int32>(repeating: 1)
    let third = SIMD8<Int32>(repeating: 2), fourth = SIMD8<Int32>(repeating: 3)
    for image in 0..<batch {
        let source = input + image &* inputSize
        for outY in 0..<outputHeight {
            let top = 2 &* outY &* rowLength
            for outX in 0..<outputWidth {
                let a = top &+ 2 &* outX &* channels, b = a &+ channels, c = a &+ rowLength, d = c &+ channels
                let at = image &* outputSize &+ (outY &* outputWidth &+ outX) &* channels
                var ch = 0
                while ch < vectorChannels {
                    let xa = load8(source + (a &+ ch)), xb = load8(source + (b &+ ch))
                    let xc = load8(source + (c &+ ch)), xd = load8(source + (d &+ ch))
                    // Sequential "a later value wins only if greater" as masks.
                    var winner = SIMD8<Int32>()
                    var best = xa
                    let beatsA = xb .> best
                    best.replace(with: xb, where: beatsA); winner.replace(with: second, where: beatsA)
                    let cWins = xc .> best
                    best.replace(with: xc, where: cWins); winner.replace(with: third, where: cWins)
                    let dWins = xd .> best
                    best.replace(with: xd, where: dWins); winner.replace(with: fourth, where: dWins)
                    if positiveOnly { winner.replace(with: none, where: .!(best .> zero)) }
                    store8(best, output + (at &+ ch))
                    UnsafeMutableRawPointer(winners + (at &+ ch)).storeBytes(of: winner, as: SIMD8<Int32>.self)
                    ch &+= 8
                }
                while ch < channels {
                    var winner: Int32 = 0, best = source[a &+ ch]
                    if source[b &+ ch] > best { winner = 1; best = source[b &+ ch] }
                    if source[c &+ ch] > best { winner = 2; best = source[c &+ ch] }
                    if source[d &+ ch] > best { winner = 3; best = source[d &+ ch] }
                    if positiveOnly && !(best > 0) { winner = 4 }
                    output[at &+ ch] = best
                    winners[at &+ ch] = winner
                    ch &+= 1
                }
            }
        }
    }
}

/// The gradient of `maxPool2x2Forward`: each output gradient goes to the input that won its
/// window (none for winner 4) and every other input gets 0. Windows do not overlap, so the input
/// gradient is written, not added to; rows and columns no window covers are zeroed.
func maxPool2x2Gradient(winners: UnsafePointer<Int32>, outputGradient: UnsafePointer<Float>, batch: Int,
                        height: Int, width: Int, outputHeight: Int, outputWidth: Int, channels: Int,
                        inputGradient: UnsafeMutablePointer<Float>) {
    precondition(2 * outputHeight <= height && 2 * outputWidth <= width, "pool windows outside the image")
    let rowLength = width &* channels
    let inputSize = height &* rowLength, outputSize = outputHeight &* outputWidth &* channels
    let vectorChannels = channels - channels % 8
    let zero = Floats8()
    let first = SIMD8<Int32>(repeating: 0), second = SIMD8<Int32>(repeating: 1)
    let third = SIMD8<Int32>(repeating: 2), fourth = SIMD8<Int32>(repeating: 3)
    for image in 0..<batch {
        let destination = inputGradient + image &* inputSize
        for outY in 0..<outputHeight {
            let top = 2 &* outY &* rowLength
            for outX in 0..<outputWidth {
                let a = top &+ 2 &* outX &* channels, b = a &+ channels, c = a &+ rowLength, d = c &+ channels
                let at = image &* outputSize &+ (outY &* outputWidth &+ outX) &* channels
                var ch = 0
                while ch < vectorChannels {
                    let winner = UnsafeRawPointer(winners + (at &+ ch)).loadUnaligned(as: SIMD8<Int32>.self)
                    let g = load8(outputGradient + (at &+ ch))
                    // Against vectors, not scalars: the scalar forms of .== are not vectorised.
                    store8(zero.replacing(with: g, where: winner .== first), destination + (a &+ ch))
                    store8(zero.replacing(with: g, where: winner .== second), destination + (b &+ ch))
                    store8(zero.replacing(with: g, where: winner .== third), destination + (c &+ ch))
                    store8(zero.replacing(with: g, where: winner .== fourth), destination + (d &+ ch))
                    ch &+= 8
                }
                while ch < channels {
                    let winner = winners[at &+ ch], g = outputGradient[at &+ ch]
                    destination[a &+ ch] = winner == 0 ? g : 0
                    destination[b &+ ch] = winner == 1 ? g : 0
                    destination[c &+ ch] = winner == 2 ? g : 0
                    destination[d &+ ch] = winner == 3 ? g : 0
                    ch &+= 1
                }
            }
            // A last column no window covers.
            if 2 &* outputWidth < width {
                let start = destination + (top &+ 2 &* outputWidth &* channels)
                let count = (width &- 2 &* outputWidth) &* channels
                start.update(repeating: 0, count: count)
                (start + rowLength).update(repeating: 0, count: count)
            }
        }
        // Last rows no window covers.
        let covered = 2 &* outputHeight &* rowLength
        (destination + covered).update(repeating: 0, count: inputSize &- covered)
    }
}

// MARK: BatchNormalization's per-channel loops (rows of `channels` values, NHWC order)

/// Rows summed in float before each sum joins its Double total (enough to keep the sums of a
/// large batch exact to float precision).
private let blockRows = 64

/// y[row][c] = x[row][c] · scale[c] + shift[c].
func scaleAndShiftChannels(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                           scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
    let vectorChannels = channels - channels % 8
    for row in 0..<rows {
        let source = x + row &* channels, destination = y + row &* channels
        var c = 0
        while c < vectorChannels {
            store8(load8(source + c) * load8(scale + c) + load8(shift + c), destination + c)
            c &+= 8
        }
        while c < channels {
            destination[c] = source[c] * scale[c] + shift[c]
            c &+= 1
        }
    }
}

/// gradientSums[c] = Σ dy[row][c]; productSums[c] = Σ dy[row][c] · x̂[row][c], where
/// x̂ = (x - mean) · inverse.
func sumGradientChannels(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, channels: Int,
                         mean: UnsafePointer<Float>, inverse: UnsafePointer<Float>,
                         gradientSums: UnsafeMutablePointer<Double>, productSums: UnsafeMutablePointer<Double>) {
    gradientSums.update(repeating: 0, count: channels)
    productSums.update(repeating: 0, count: channels)
    let vectorChannels = channels - channels % 8
    var first = 0
    while first < rows {
        let end = min(first &+ blockRows, rows)
        var c = 0
        while c < vectorChannels {
            var gradientTotal = Floats8(), productTotal = Floats8()
            let m = load8(mean + c), inv = load8(inverse + c)
            var offset = first &* channels &+ c
            for _ in first..<end {
                let g = load8(dy + offset)
                gradientTotal += g
                productTotal += g * ((load8(x + offset) - m) * inv)
                offset &+= channels
            }
            for lane in 0..<8 {
                gradientSums[c &+ lane] += Double(gradientTotal[lane])
                productSums[c &+ lane] += Double(productTotal[lane])
            }
            c &+= 8
        }
        while c < channels {
            var gradientTotal: Float = 0, productTotal: Float = 0
            for row in first..<end {
                let g = dy[row &* channels &+ c]
                gradientTotal += g
                productTotal += g * ((x[row &* channels &+ c] - mean[c]) * inverse[c])
            }
            gradientSums[c] += Double(gradientTotal)
            productSums[c] += Double(productTotal)
            c &+= 1
        }
        first = end
    }
}

/// dx = scale · (dy - meanGradient - x̂ · meanProduct) per channel, x̂ = (x - mean) · inverse.
/// With `positiveInputOnly` (x is a ReLU's output whose mask this pass applies), dx = 0 where
/// x is not positive.
func batchNormalizationInputGradient(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, channels: Int,
                                     mean: UnsafePointer<Float>, inverse: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                                     meanGradient: UnsafePointer<Float>, meanProduct: UnsafePointer<Float>,
                                     positiveInputOnly: Bool = false, into dx: UnsafeMutablePointer<Float>) {
    let vectorChannels = channels - channels % 8
    let zero = Floats8()
    for row in 0..<rows {
        let base = row &* channels
        var c = 0
        while c < vectorChannels {
            let value = load8(x + (base &+ c))
            let normalized = (value - load8(mean + c)) * load8(inverse + c)
            let centred = load8(dy + (base &+ c)) - load8(meanGradient + c) - normalized * load8(meanProduct + c)
            var result = load8(scale + c) * centred
            if positiveInputOnly { result.replace(with: zero, where: .!(value .> zero)) }
            store8(result, dx + (base &+ c))
            c &+= 8
        }
        while c < channels {
            let normalized = (x[base &+ c] - mean[c]) * inverse[c]
            let result = scale[c] * (dy[base &+ c] - meanGradient[c] - normalized * meanProduct[c])
            dx[base &+ c] = positiveInputOnly && !(x[base &+ c] > 0) ? 0 : result
            c &+= 1
        }
    }
}

/// Per channel, the mean and the sum of squared deviations from it of `rows` rows, in one pass
/// over memory: each block of rows (small enough to stay in the L1 cache) is summed, then its
/// squared deviations about its own mean are summed, and blocks are merged in Double as in
/// Chan, Golub and LeVeque's pairwise variance (as exact as two passes over the whole batch).
func channelMoments(_ x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafeMutablePointer<Double>,
                    squares: UnsafeMutablePointer<Double>) {
    mean.update(repeating: 0, count: channels)
    squares.update(repeating: 0, count: channels)
    let vectorChannels = channels - channels % 8
    var seen = 0.0
    var first = 0
    @inline(__always) func merge(_ c: Int, _ blockMean: Double, _ blockSquares: Double, _ count: Double) {
        let delta = blockMean - mean[c], total = seen + count
        mean[c] += delta * count / total
        squares[c] += blockSquares + delta * delta * seen * count / total
    }
    while first < rows {
        let end = min(first &+ blockRows, rows)
        let count = Float(end &- first)
        var c = 0
        while c < vectorChannels {
            var total = Floats8()
            var p = x + (first &* channels &+ c)
            for _ in first..<end {
                total += load8(p)
                p += channels
            }
            let blockMean = total / Floats8(repeating: count)
            var deviations = Floats8()
            p = x + (first &* channels &+ c)
            for _ in first..<end {
                let d = load8(p) - blockMean
                deviations += d * d
                p += channels
            }
            for lane in 0..<8 { merge(c &+ lane, Double(blockMean[lane]), Double(deviations[lane]), Double(count)) }
            c &+= 8
        }
        while c < channels {
            var total: Float = 0
            for row in first..<end { total += x[row &* channels &+ c] }
            let blockMean = total / count
            var deviations: Float = 0
            for row in first..<end {
                let d = x[row &* channels &+ c] - blockMean
                deviations += d * d
            }
            merge(c, Double(blockMean), Double(deviations), Double(count))
            c &+= 1
        }
        seen += Double(count)
        first = end
    }
}
