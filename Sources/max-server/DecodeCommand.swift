import Foundation
import ImageCodecs
import MNIST

/// `max-server decode IMAGE --out OUT.pam`: decodes with our own decoders (format sniffed from
/// the bytes) and writes the pixels as PAM, PNG, PGM or PPM, chosen by OUT's extension.
/// `--bench N` decodes N times and prints the mean microseconds per decode; with `--digit`, each
/// decode is followed by the MNIST plugin's preprocessing, timed separately.
enum DecodeCommand {
    static let command = Command(
        name: "decode",
        summary: "decode an image (PNG, JPEG, GIF, TIFF, BMP, PNM/PAM) and write its pixels",
        help: """
        usage: max-server decode IMAGE [--out OUT.pam|.png|.pgm|.ppm] [--bench N [--digit]] [--max-pixels N]

        Decodes IMAGE (format found from its bytes, not its name) and prints its size and layout.
          --out FILE        write the decoded pixels; the extension picks the format:
                            .pam (all channels, 16 bits for a 16-bit file), .png (8-bit),
                            .pgm (luma), .ppm (RGB)
          --bench N         decode N times and print the mean microseconds per decode
          --digit           with --bench: also time the MNIST preprocessing (the 28x28 field the
                            model sees) of each decoded image
          --max-pixels N    refuse images larger than N pixels (default 50000000)
        """,
        spec: ArgumentSpec(valued: ["--out", "--bench", "--max-pixels"], flags: ["--digit"], maxPositionals: 1,
                           minPositionals: 1),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        guard let path = arguments.positionals.first else { throw UsageError("expected an IMAGE path") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read \(path)")
        }
        let bytes = [UInt8](data)
        var limits = DecodingLimits.default
        if let maxPixels = try arguments.int("--max-pixels") {
            guard maxPixels > 0 else { throw UsageError("--max-pixels must be positive") }
            limits.maxPixels = maxPixels
        }
        // Usage errors first, before any output.
        let runs = try arguments.int("--bench")
        if let runs, runs <= 0 { throw UsageError("--bench needs a positive count") }
        let outFormat = try arguments.value("--out").map { out -> (path: String, encode: (Image) throws -> [UInt8]) in
            switch URL(fileURLWithPath: out).pathExtension.lowercased() {
            // PAM keeps a 16-bit file's samples: the image is decoded again at its own depth.
            case "pam": return (out, { _ in PNMEncoder.pam(try ImageDecoder.decodeWide(bytes, limits: limits)) })
            case "png": return (out, { PNGEncoder.encode($0) })
            case "pgm": return (out, PNMEncoder.pgm)
            case "ppm": return (out, PNMEncoder.ppm)
            default: throw UsageError("--out must end in .pam, .png, .pgm or .ppm")
            }
        }
        let image: Image
        do {
            image = try ImageDecoder.decode(bytes, limits: limits)
        } catch let error as ImageDecodingError {
            throw CommandFailure("\(path): \(error)")
        }
        let format = ImageFormat.sniff(bytes).map { "\($0)" } ?? "?"
        print("\(path): \(format) \(image.width)x\(image.height) \(image.layout)")

        if let runs {
            let start = DispatchTime.now().uptimeNanoseconds
            var checksum = 0
            for _ in 0..<runs {
                let decoded = try ImageDecoder.decode(bytes, limits: limits)
                checksum &+= Int(decoded.samples.last ?? 0)  // keeps the work observable
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            let mean = Double(elapsed) / 1000 / Double(runs)
            print(String(format: "bench: %d decodes, mean %.2f us per decode (checksum %d)", runs, mean, checksum))
            if arguments.has("--digit") {
                let digitStart = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<runs {
                    let field = try DigitPreprocessor.normalized(image)
                    checksum &+= Int(field.samples[field.samples.count / 2])
                }
                let digitMean = Double(DispatchTime.now().uptimeNanoseconds - digitStart) / 1000 / Double(runs)
                print(String(format: "bench: %d digit preprocessings, mean %.2f us each (checksum %d)", runs, digitMean, checksum))
            }
        }

        if let outFormat {
            let encoded: [UInt8]
            do {
                encoded = try outFormat.encode(image)
            } catch let error as ImageDecodingError {
                throw CommandFailure("\(path): \(error)")
            }
            guard FileManager.default.createFile(atPath: outFormat.path, contents: Data(encoded)) else {
                throw CommandFailure("cannot write \(outFormat.path)")
            }
        }
        return 0
    }
}
