/// Dequantisation and the inverse DCT: the accurate integer ("islow") algorithm that
/// libjpeg-turbo uses by default (Loeffler, Ligtenberg and Moschytz's factorisation with 13-bit
/// fixed-point constants and 2 extra bits kept between the column and row passes), so that our
/// samples match its own bit for bit. All arithmetic wraps: corrupt coefficients give garbage
/// pixels, never a trap.
enum JPEGInverseDCT {
    private static let constBits: Int32 = 13
    private static let pass1Bits: Int32 = 2

    // Cosine factors scaled by 2^13 and rounded.
    private static let fix0_298631336: Int32 = 2446
    private static let fix0_390180644: Int32 = 3196
    private static let fix0_541196100: Int32 = 4433
    private static let fix0_765366865: Int32 = 6270
    private static let fix0_899976223: Int32 = 7373
    private static let fix1_175875602: Int32 = 9633
    private static let fix1_501321110: Int32 = 12299
    private static let fix1_847759065: Int32 = 15137
    private static let fix1_961570560: Int32 = 16069
    private static let fix2_053119869: Int32 = 16819
    private static let fix2_562915447: Int32 = 20995
    private static let fix3_072711026: Int32 = 25172

    /// Transforms one block of quantised coefficients (natural order) into 8x8 samples.
    /// - Parameters:
    ///   - quantization: the 64 quantiser steps in natural order.
    ///   - workspace: 64 scratch values, reused across blocks.
    ///   - output: top-left sample; rows are `stride` apart.
    @inline(__always)
    static func transform(_ coefficients: UnsafePointer<Int16>, quantization: UnsafePointer<Int32>,
                          workspace: UnsafeMutablePointer<Int32>, output: UnsafeMutablePointer<UInt8>, stride: Int) {
        // Pass 1: columns, dequantising on the way; results keep pass1Bits extra bits.
        for column in 0..<8 {
            @inline(__always) func input(_ row: Int) -> Int32 {
                Int32(coefficients[row * 8 + column]) &* quantization[row * 8 + column]
            }
            if coefficients[8 + column] == 0 && coefficients[16 + column] == 0 && coefficients[24 + column] == 0
                && coefficients[32 + column] == 0 && coefficients[40 + column] == 0 && coefficients[48 + column] == 0
                && coefficients[56 + column] == 0 {
                let dc = input(0) &<< pass1Bits
                for row in 0..<8 { workspace[row * 8 + column] = dc }
                continue
            }
            let results = butterfly(input(0), input(1), input(2), input(3), input(4), input(5), input(6), input(7))
            let shift = constBits - pass1Bits
            let round: Int32 = 1 &<< (shift - 1)
            workspace[column] = (results.0 &+ round) &>> shift
            workspace[8 + column] = (results.1 &+ round) &>> shift
            workspace[16 + column] = (results.2 &+ round) &>> shift
            workspace[24 + column] = (results.3 &+ round) &>> shift
            workspace[32 + column] = (results.4 &+ round) &>> shift
            workspace[40 + column] = (results.5 &+ round) &>> shift
            workspace[48 + column] = (results.6 &+ round) &>> shift
            workspace[56 + column] = (results.7 &+ round) &>> shift
        }
        // Pass 2: rows; remove the scaling (2^(13+2) and the DCT's factor 8), re-centre on 128.
        let shift = constBits + pass1Bits + 3
        let round: Int32 = 1 &<< (shift - 1)
        for row in 0..<8 {
            let w = workspace + row * 8
            let out = output + row * stride
            if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
                let value = clampSample((w[0] &+ (1 &<< (pass1Bits + 2))) &>> (pass1Bits + 3))
                for column in 0..<8 { out[column] = value }
                continue
            }
            let r = butterfly(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
            out[0] = clampSample((r.0 &+ round) &>> shift)
            out[1] = clampSample((r.1 &+ round) &>> shift)
            out[2] = clampSample((r.2 &+ round) &>> shift)
            out[3] = clampSample((r.3 &+ round) &>> shift)
            out[4] = clampSample((r.4 &+ round) &>> shift)
            out[5] = clampSample((r.5 &+ round) &>> shift)
            out[6] = clampSample((r.6 &+ round) &>> shift)
            out[7] = clampSample((r.7 &+ round) &>> shift)
        }
    }

    /// A level-shifted sample (centred on 0) as an 8-bit sample.
    @inline(__always)
    private static func clampSample(_ value: Int32) -> UInt8 {
        let shifted = value &+ 128
        return UInt8(truncatingIfNeeded: shifted < 0 ? 0 : (shifted > 255 ? 255 : shifted))
    }

    /// The 8-point 1-D inverse DCT shared by both passes; outputs are scaled by 2^13.
    @inline(__always)
    private static func butterfly(_ x0: Int32, _ x1: Int32, _ x2: Int32, _ x3: Int32,
                                  _ x4: Int32, _ x5: Int32, _ x6: Int32, _ x7: Int32)
        -> (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) {
        // Even part: inputs 0, 2, 4, 6.
        let z1 = (x2 &+ x6) &* fix0_541196100
        let tmp2 = z1 &+ x6 &* (-fix1_847759065)
        let tmp3 = z1 &+ x2 &* fix0_765366865
        let tmp0 = (x0 &+ x4) &<< constBits
        let tmp1 = (x0 &- x4) &<< constBits
        let tmp10 = tmp0 &+ tmp3, tmp13 = tmp0 &- tmp3
        let tmp11 = tmp1 &+ tmp2, tmp12 = tmp1 &- tmp2

        // Odd part: inputs 7, 5, 3, 1.
        let sum71 = x7 &+ x1, sum53 = x5 &+ x3, sum73 = x7 &+ x3, sum51 = x5 &+ x1
        let z5 = (sum73 &+ sum51) &* fix1_175875602
        let odd7 = x7 &* fix0_298631336, odd5 = x5 &* fix2_053119869
        let odd3 = x3 &* fix3_072711026, odd1 = x1 &* fix1_501321110
        let zA = sum71 &* (-fix0_899976223), zB = sum53 &* (-fix2_562915447)
        let zC = sum73 &* (-fix1_961570560) &+ z5, zD = sum51 &* (-fix0_390180644) &+ z5
        let o0 = odd7 &+ zA &+ zC
        let o1 = odd5 &+ zB &+ zD
        let o2 = odd3 &+ zB &+ zC
        let o3 = odd1 &+ zA &+ zD

        return (tmp10 &+ o3, tmp11 &+ o2, tmp12 &+ o1, tmp13 &+ o0,
                tmp13 &- o0, tmp12 &- o1, tmp11 &- o2, tmp10 &- o3)
    }
}
