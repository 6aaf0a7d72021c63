import ImageStats
import MAXFramework
import MNIST

/// Every model plugin built into the executable; config.json `model.plugin` picks one by name.
/// Add a plugin: write its `ModelWrapper` with a `static let plugin`, list it here.
let registeredPlugins: [ModelPlugin] = [
    MNISTModel.plugin,
    ImageStatsModel.plugin,
]
