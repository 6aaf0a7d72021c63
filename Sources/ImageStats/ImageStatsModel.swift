import ImageCodecs
import ImageInput
import MAXFramework

/// Statistics of an uploaded image: its size, channel count and mean intensity. A small real
/// plugin: it decodes the upload with ImageCodecs and answers from the pixels.
public struct ImageStatsModel: ModelWrapper {
    /// One prediction, as served: `{"width": 28, "height": 28, "channels": 1, "mean_intensity": 33.3}`.
    public struct Statistics: Encodable, Equatable, Sendable {
        public let width: Int
        public let height: Int
        public let channels: Int
        /// Mean of the colour samples (alpha excluded), 0-255, rounded to 4 decimals.
        public let meanIntensity: Double

        enum CodingKeys: String, CodingKey {
            case width, height, channels
            case meanIntensity = "mean_intensity"
        }
    }

    public static let plugin = ModelPlugin(name: "image-stats") { context in
        ImageStatsModel(limits: DecodingLimits(maxPixels: context.maxImagePixels))
    }

    let limits: DecodingLimits

    public init(limits: DecodingLimits = .default) { self.limits = limits }

    public var metadata: ModelMetadata {
        ModelMetadata(id: "image-stats", name: "Image Statistics",
                      description: "Size, channel count and mean intensity of an uploaded image",
                      type: "Image Analysis", source: "https://github.com/IBM/MAX-Skeleton", license: "Apache-2.0")
    }

    public var input: ModelInputSpec {
        .files(ImageInput.fileSpec(description: "An image file (PNG, JPEG, BMP, GIF, TIFF or PNM)"))
    }

    public var output: ModelOutputSchema {
        ModelOutputSchema(properties: [
            SchemaProperty("width", .integer, "Width in pixels", example: .int(28)),
            SchemaProperty("height", .integer, "Height in pixels", example: .int(28)),
            SchemaProperty("channels", .integer, "Samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA", example: .int(1)),
            SchemaProperty("mean_intensity", .number, "Mean of the colour samples (alpha excluded), 0-255", example: .number(33.3)),
        ])
    }

    public func preProcess(_ input: ModelInput) throws -> Image {
        try ImageInput.decode(input, limits: limits)
    }

    public func predict(_ image: Image) throws -> Statistics {
        let channels = image.layout.channels
        let colourChannels = image.layout.hasAlpha ? channels - 1 : channels
        var sum: UInt64 = 0
        var index = 0
        while index + channels <= image.samples.count {
            for channel in 0..<colourChannels { sum += UInt64(image.samples[index + channel]) }
            index += channels
        }
        let count = image.width * image.height * colourChannels
        let mean = count > 0 ? Double(sum) / Double(count) : 0
        return Statistics(width: image.width, height: image.height, channels: channels,
                          meanIntensity: (mean * 10_000).rounded() / 10_000)
    }

    public func postProcess(_ statistics: Statistics, for input: ModelInput) throws -> [Statistics] {
        [statistics]
    }
}
