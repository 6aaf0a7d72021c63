// Dequantisation and the inverse DCT: the accurate integer ("islow") algorithm that
// libjpeg-turbo uses by default (Loeffler, Ligtenberg and Moschytz's factorisation with 13-bit
// fixed-point constants and 2 extra bits kept between the column and row passes), so that our
// samples match its own bit for bit. Both passes work on 8 lanes at once (`SIMD8<Int32>`): the
// column pass on the block's rows, the row pass on its transposed intermediate. All arithmetic
// wraps: corrupt coefficients give garbage pixels, never a trap. At the x86-64 baseline (SSE2:
// no 32-bit lane multiply, min or max) this takes about 2.9x the instructions of the AVX2 build,
// which is why it is a kernel.

extension Backend {
    /// A row of blocks, each written 8 samples to the right of the one before.
    public static func inverseDCT(_ coefficients: UnsafePointer<Int16>, blocks: Int, quantization: UnsafePointer<Int32>,
                                  output: UnsafeMutablePointer<UInt8>, stride: Int) {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { workspace in
            guard let scratch = workspace.baseAddress else { return }
            for block in 0..<blocks {
                JPEGInverseDCT.transform(coefficients + block &* 64, quantization: quantization, workspace: scratch,
                                         output: output + block &* 8, stride: stride)
            }
        }
    }
}

enum JPEGInverseDCT {
    typealias Lanes = SIMD8<Int32>

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
        let raw = UnsafeRawPointer(coefficients)
        @inline(__always) func row(_ index: Int) -> SIMD8<Int16> {
            raw.loadUnaligned(fromByteOffset: index * 16, as: SIMD8<Int16>.self)
        }
        let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)

        // A block with only a DC coefficient (common) is flat: the full computation reduces to this.
        var acBits = r1 | r2 | r3 | r4 | r5 | r6 | r7
        acBits[0] |= r0[1] | r0[2] | r0[3] | r0[4] | r0[5] | r0[6] | r0[7]
        if acBits == .zero {
            let dc = (Int32(r0[0]) &* quantization[0]) &<< pass1Bits
            let value = clampSample((dc &+ (1 &<< (pass1Bits + 2))) &>> (pass1Bits + 3))
            for y in 0..<8 { (output + y * stride).update(repeating: value, count: 8) }
            return
        }

        // Pass 1: the 8 columns at once (lane = column), dequantising on the way; results keep
        // pass1Bits extra bits.
        let quant = UnsafeRawPointer(quantization)
        @inline(__always) func dequantized(_ coefficientRow: SIMD8<Int16>, _ index: Int) -> Lanes {
            Lanes(truncatingIfNeeded: coefficientRow) &* quant.loadUnaligned(fromByteOffset: index * 32, as: Lanes.self)
        }
        let columns = butterfly(dequantized(r0, 0), dequantized(r1, 1), dequantized(r2, 2), dequantized(r3, 3),
                                dequantized(r4, 4), dequantized(r5, 5), dequantized(r6, 6), dequantized(r7, 7))
        let shift1 = Lanes(repeating: constBits - pass1Bits)
        let round1 = Lanes(repeating: 1 &<< (constBits - pass1Bits - 1))
        let rawWorkspace = UnsafeMutableRawPointer(workspace)
        rawWorkspace.storeBytes(of: (columns.0 &+ round1) &>> shift1, toByteOffset: 0, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.1 &+ round1) &>> shift1, toByteOffset: 32, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.2 &+ round1) &>> shift1, toByteOffset: 64, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.3 &+ round1) &>> shift1, toByteOffset: 96, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.4 &+ round1) &>> shift1, toByteOffset: 128, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.5 &+ round1) &>> shift1, toByteOffset: 160, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.6 &+ round1) &>> shift1, toByteOffset: 192, as: Lanes.self)
        rawWorkspace.storeBytes(of: (columns.7 &+ round1) &>> shift1, toByteOffset: 224, as: Lanes.self)

        // Pass 2: the 8 rows at once (lane = row), reading the workspace transposed; remove the
        // scaling (2^(13+2) and the DCT's factor 8) and re-centre on 128.
        @inline(__always) func column(_ k: Int) -> Lanes {
            Lanes(workspace[k], workspace[8 + k], workspace[16 + k], workspace[24 + k],
                  workspace[32 + k], workspace[40 + k], workspace[48 + k], workspace[56 + k])
        }
        let rows = butterfly(column(0), column(1), column(2), column(3), column(4), column(5), column(6), column(7))
        let shift2 = Lanes(repeating: constBits + pass1Bits + 3)
        let round2Centre = Lanes(repeating: (1 &<< (constBits + pass1Bits + 2)) &+ (128 &<< (constBits + pass1Bits + 3)))
        @inline(__always) func samples(_ values: Lanes) -> SIMD8<UInt8> {
            let shifted = (values &+ round2Centre) &>> shift2
            return SIMD8<UInt8>(truncatingIfNeeded: shifted.clamped(lowerBound: .zero, upperBound: Lanes(repeating: 255)))
        }
        let s0 = samples(rows.0), s1 = samples(rows.1), s2 = samples(rows.2), s3 = samples(rows.3)
        let s4 = samples(rows.4), s5 = samples(rows.5), s6 = samples(rows.6), s7 = samples(rows.7)
        for y in 0..<8 {
            let out = output + y * stride
            out[0] = s0[y]; out[1] = s1[y]; out[2] = s2[y]; out[3] = s3[y]
            out[4] = s4[y]; out[5] = s5[y]; out[6] = s6[y]; out[7] = s7[y]
        }
    }

    /// A level-shifted sample (centred on 0) as an 8-bit sample.
    @inline(__always)
    private static func clampSample(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(value &+ 128, 0), 255))
    }

    /// The 8-point 1-D inverse DCT shared by both passes, on 8 independent lanes; outputs are
    /// scaled by 2^13.
    @inline(__always)
    private static func butterfly(_ x0: Lanes, _ x1: Lanes, _ x2: Lanes, _ x3: Lanes,
                                  _ x4: Lanes, _ x5: Lanes, _ x6: Lanes, _ x7: Lanes)
        -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
        // Even part: inputs 0, 2, 4, 6.
        let z1 = (x2 &+ x6) &* fix0_541196100
        let tmp2 = z1 &+ x6 &* (-fix1_847759065)
        let tmp3 = z1 &+ x2 &* fix0_765366865
        let tmp0 = (x0 &+ x4) &<< Lanes(repeating: constBits)
        let tmp1 = (x0 &- x4) &<< Lanes(repeating: constBits)
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
