import Foundation

/// Renders the layer table Keras prints for `model.summary()`.
struct ModelSummary {
    let name: String
    let layers: [LayerRecord]
    /// Functional models list the InputLayer and a "Connected to" column, as Keras does.
    let functional: Bool

    var text: String {
        var columns = [("Layer (type)", 33), ("Output Shape", 26), ("Param #", 12)]
        if functional { columns.append(("Connected to", 24)) }
        let width = columns.reduce(0) { $0 + $1.1 }
        func row(_ cells: [String]) -> String {
            zip(cells, columns).map { cell, column in
                cell.count >= column.1 ? cell + " " : cell.padding(toLength: column.1, withPad: " ", startingAt: 0)
            }.joined().trimmingTrailingSpaces()
        }
        var lines = ["Model: \"\(name)\"", String(repeating: "_", count: width), row(columns.map(\.0)),
                     String(repeating: "=", count: width)]
        var trainable = 0
        var nonTrainable = 0
        let shown = functional ? layers : layers.filter { $0.className != "InputLayer" }
        for (index, layer) in shown.enumerated() {
            let shape = "(None, " + layer.outputShape.map(String.init).joined(separator: ", ")
                + (layer.outputShape.count == 1 ? ")" : ")")
            let parameters = layer.trainableParameters + layer.nonTrainableParameters
            var cells = ["\(layer.name) (\(layer.className))", shape, "\(parameters)"]
            if functional { cells.append(layer.inboundLayers.map { "\($0)[0][0]" }.joined(separator: ", ")) }
            lines.append(row(cells))
            lines.append(String(repeating: index == shown.count - 1 ? "=" : "-", count: width))
            trainable += layer.trainableParameters
            nonTrainable += layer.nonTrainableParameters
        }
        if shown.isEmpty { lines.append(String(repeating: "=", count: width)) }
        lines.append("Total params: \(trainable + nonTrainable) (\(ModelSummary.bytes(trainable + nonTrainable)))")
        lines.append("Trainable params: \(trainable) (\(ModelSummary.bytes(trainable)))")
        lines.append("Non-trainable params: \(nonTrainable) (\(ModelSummary.bytes(nonTrainable)))")
        return lines.joined(separator: "\n")
    }

    /// float32 storage, in Keras's units.
    static func bytes(_ parameters: Int) -> String {
        let bytes = Double(parameters * 4)
        if bytes < 1024 { return "\(Int(bytes)).00 B" }
        if bytes < 1024 * 1024 { return String(format: "%.2f KB", bytes / 1024) }
        return String(format: "%.2f MB", bytes / (1024 * 1024))
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
